{# Date helpers shared by the assessment and monitoring models. #}

{# The month 'YYYY-MM' of a date expression. #}
{% macro month_of(day) -%}
to_char({{ day }}, 'YYYY-MM')
{%- endmacro %}
