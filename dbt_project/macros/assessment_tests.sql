{# Data tests of the assessment marts. #}

{# Section 8: the lineage rows of every score add up to it exactly, every score has lineage, and no
   lineage exists without a score. `subject` is dept_code (the department's score: its rows carry no
   cadre) or cadre_id (an individual score); `score_column` names the score in `scores`. #}
{% test assessment_lineage_adds_up(model, scores, subject, score_column) %}
with lineage as (
    select quarter, {{ subject }}, sum(points) as points
    from {{ model }}
    where cadre_id is {{ 'null' if subject == 'dept_code' else 'not null' }}
    group by quarter, {{ subject }}
),

scores as (
    select quarter, {{ subject }}, {{ score_column }} as score
    from {{ scores }}
    where {{ score_column }} is not null
)

select coalesce(s.quarter, l.quarter) as quarter, coalesce(s.{{ subject }}, l.{{ subject }}) as {{ subject }},
       s.score, l.points
from scores s
full join lineage l on l.quarter = s.quarter and l.{{ subject }} = s.{{ subject }}
where s.score is distinct from l.points
{% endtest %}
