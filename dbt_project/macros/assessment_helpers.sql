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

{# A month 'YYYY-MM' of a date. #}
{% macro assessment_month_of(day) -%}
to_char({{ day }}, 'YYYY-MM')
{%- endmacro %}

{# A rule parameter that the rulebook states as a fixed number rather than a named
   parameter (section 7's table): read from the seed when a deployment adds it, else
   the rulebook's value. #}
{% macro assessment_param_or(name, as_of, rulebook_value) -%}
coalesce({{ rule_param(name, as_of) }}, {{ rulebook_value }})
{%- endmacro %}
