{# Generic data test: no two rows share the same values of `columns` (the grain of a model). #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{# Generic data test (issue 13): every row says whether its period is final as of the build, from the
   period's own last day (`last_day`, an expression over the row's period columns); with
   `as_of_is_build_date`, as_of_date is the business date of the build on every row. #}
{% test period_status(model, last_day, as_of_is_build_date=true) %}
{#- a check of the macro that computes the status, not of the day's data: the suite runs it, a daily build
    does not (kaohe.transform.CODE_CHECKS) -#}
{{ config(tags=['code_invariant']) }}
select * from {{ model }}
where is_final is distinct from {{ period_is_final(last_day) }}
{%- if as_of_is_build_date %}
   or as_of_date is distinct from {{ monitoring_business_date() }}
{%- endif %}
{% endtest %}
