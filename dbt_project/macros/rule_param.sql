{# The value of a rulebook parameter in force on a day (a SQL date expression):
   rules are data (seed rule_parameters), versioned by effective date. #}
{% macro rule_param(name, as_of) -%}
(select p.value from {{ ref('rule_parameters') }} p
  where p.param = '{{ name }}' and p.effective_from <= {{ as_of }}
  order by p.effective_from desc limit 1)
{%- endmacro %}

{# Round half away from zero to 2 decimals: PostgreSQL's round(numeric) does
   exactly that; this macro names the rulebook's rounding points. #}
{% macro round2(expr) -%}
round(({{ expr }})::numeric, 2)
{%- endmacro %}
