{# The period status every period mart ends with (issue 13), one definition for all of them:
     as_of_date  the business date the build was computed as of (monitoring_business_date(): the dbt var
                 business_date, which the pipeline sets to the warehouse's high-water mark);
     is_final    the period's last day is on or before it, i.e. its last day has been run.
   Final is not frozen: a late file or a changed rule can still revise a final quarter (payroll then
   publishes a new version, rule 4); an open period's figures are provisional (进行中). #}
{% macro period_is_final(last_day) -%}
({{ last_day }} <= {{ monitoring_business_date() }})::boolean
{%- endmacro %}

{% macro period_status_columns(last_day) -%}
{{ monitoring_business_date() }}::date as as_of_date,
    {{ period_is_final(last_day) }} as is_final
{%- endmacro %}
