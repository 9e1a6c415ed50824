{# The business date of a monitoring run, as a SQL date expression: the dbt var
   business_date ('YYYY-MM-DD') passed on every daily run, else the latest
   business date with a loaded file (quarantine.file_loads, status loaded).
   The ref is taken only without the var: taken always, every caller would depend on
   the ledger's view, and so would the period_status data tests, which a rerun's
   build of the per-date marts would then run against marts still at the high-water
   mark. dbt parses again whenever the vars change, so parse and run agree. #}
{% macro monitoring_business_date() -%}
{%- set bd = var('business_date', none) -%}
{%- if bd -%}
date '{{ bd }}'
{%- else -%}
(select max(business_date) from {{ ref('stg_quarantine__file_loads') }} where status = 'loaded')
{%- endif -%}
{%- endmacro %}

{# Rule 6: households at a status or beyond against a cumulative target; a
   target of 0 or none counts as ratio 1 (and is flagged by the caller). #}
{% macro monitoring_ratio(households, target) -%}
trim_scale(case when coalesce({{ target }}, 0) = 0 then 1::numeric else ({{ households }})::numeric / {{ target }} end)
{%- endmacro %}

{# Rule 6: month_score = round2(w_signed × min(signed_ratio, 1) + w_cleared × min(cleared_ratio, 1)),
   with the weights in force on the month's last day. #}
{% macro monitoring_month_score(signed_ratio, cleared_ratio, month_end) -%}
{{ round2(rule_param('w_signed', month_end) ~ ' * least(' ~ signed_ratio ~ ', 1) + ' ~ rule_param('w_cleared', month_end) ~ ' * least(' ~ cleared_ratio ~ ', 1)') }}
{%- endmacro %}

{# Flags of a demolition row: which targets were missing or 0 (ratio taken as 1). #}
{% macro monitoring_target_flags(has_target, target_signed, target_cleared) -%}
array_remove(array[
    case when not {{ has_target }} then 'no_target' end,
    case when {{ has_target }} and coalesce({{ target_signed }}, 0) = 0 then 'target_signed_zero' end,
    case when {{ has_target }} and coalesce({{ target_cleared }}, 0) = 0 then 'target_cleared_zero' end
], null)::text[]
{%- endmacro %}
