{# Generic data test: the combination of columns is unique (the grain of a model). #}
{% test monitoring_unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
