{# Helpers of the assessment models (rules 1–3, 7, 8). #}

{# The rulebook's rounding (2 decimals, half away from zero) applied to a value that
   may carry division noise: a quotient of decimals is computed to 40 places, so it is
   first rounded to 30 places (which restores any terminating exact value, e.g. 2.345
   computed as 2.34499…9) and only then to 2. Use at the rulebook's rounding points only. #}
{% macro assessment_round2(expr) -%}
{{ round2('round((' ~ expr ~ ')::numeric, 30)') }}
{%- endmacro %}

{# An exact-enough decimal quotient: 40 decimal places (trailing zeros trimmed), never
   binary floating point. #}
{% macro assessment_div(numerator, denominator) -%}
trim_scale(({{ numerator }})::numeric(80, 40) / ({{ denominator }}))
{%- endmacro %}

{# Text of a numeric value without trailing zeros (for lineage and explanations). #}
{% macro assessment_num_text(expr) -%}
coalesce(trim_scale(({{ expr }})::numeric)::text, '—')
{%- endmacro %}

{# A rule parameter that the rulebook states as a fixed number rather than a named
   parameter (section 7's table): read from the seed when a deployment adds it, else
   the rulebook's value. #}
{% macro assessment_param_or(name, as_of, rulebook_value) -%}
coalesce({{ rule_param(name, as_of) }}, {{ rulebook_value }})
{%- endmacro %}

{# Events in force (加减分事项, 督办问责): one row per event_id, its latest delivery (highest
   load, then row). A re-delivery with identical `content_columns` changes nothing — the
   lineage keeps citing the delivery that first carried the current content — and
   withdrawn = true removes the event. #}
{% macro assessment_events_in_force(deliveries_relation, content_columns, columns) -%}
with deliveries as (
    select
        *,
        jsonb_build_array({{ content_columns | join(', ') }}, coalesce(withdrawn, false)) as content
    from {{ deliveries_relation }}
),

versioned as (
    select
        *,
        row_number() over (partition by event_id order by load_id desc, row_number desc) as newest,
        (content is distinct from lag(content) over (partition by event_id order by load_id, row_number)) as changed
    from deliveries
),

-- the delivery that first carried the current content
first_carrier as (
    select distinct on (v.event_id) v.event_id, v.file_name, v.row_number, v.delivered_on
    from versioned v
    join versioned cur on cur.event_id = v.event_id and cur.newest = 1
    where v.changed and (v.load_id, v.row_number) <= (cur.load_id, cur.row_number)
    order by v.event_id, v.load_id desc, v.row_number desc
)

select
    {%- for column in columns %}
    v.{{ column }},
    {%- endfor %}
    ingest.quarter_of(v.occurred_on) as quarter,
    f.delivered_on,
    f.file_name,
    f.row_number
from versioned v
join first_carrier f on f.event_id = v.event_id
where v.newest = 1
    and not coalesce(v.withdrawn, false)
{%- endmacro %}

{# Rule 1's completion ratio: actual / target capped at ratio_cap; a target of 0 (or none)
   counts as complete (1, capped too). #}
{% macro assessment_capped_ratio(actual, target) -%}
case
    when coalesce({{ target }}, 0) = 0 then least(1, ratio_cap)
    else least({{ assessment_div(actual, target) }}, ratio_cap)
end
{%- endmacro %}

{# The columns every indicator-points model (int_assessment__ratio_*_points, deduction_points,
   evaluation_points) selects, in order: int_assessment__indicator_points unions them by these names. #}
{% macro assessment_points_columns() -%}
{{ return(['period_type', 'period', 'dept_code', 'indicator_code', 'scoring', 'indicator_source', 'weight',
           'target', 'actual', 'ratio', 'points', 'flag', 'source']) }}
{%- endmacro %}
