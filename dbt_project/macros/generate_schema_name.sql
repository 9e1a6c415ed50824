{# Schemas are part of the public interface (marts, payroll): use the configured
   name as-is rather than dbt's default "<target>_<custom>" prefixing. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}
