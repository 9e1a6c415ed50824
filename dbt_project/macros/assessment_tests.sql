{# Data tests of the assessment marts. #}

{# Section 8: the lineage rows of every department score add up to it exactly, and
   every scored department has lineage (and no lineage exists without a score). #}
{% test assessment_lineage_adds_up_to_dept_scores(model, scores) %}
with lineage as (
    select quarter, dept_code, sum(points) as points
    from {{ model }}
    where cadre_id is null
    group by quarter, dept_code
),

scores as (
    select quarter, dept_code, score from {{ scores }} where score is not null
)

select coalesce(s.quarter, l.quarter) as quarter, coalesce(s.dept_code, l.dept_code) as dept_code,
       s.score, l.points
from scores s
full join lineage l on l.quarter = s.quarter and l.dept_code = s.dept_code
where s.score is distinct from l.points
{% endtest %}

{# Section 8: the lineage rows of every individual score add up to it exactly. #}
{% test assessment_lineage_adds_up_to_individual_scores(model, scores) %}
with lineage as (
    select quarter, cadre_id, sum(points) as points
    from {{ model }}
    where cadre_id is not null
    group by quarter, cadre_id
),

scores as (
    select quarter, cadre_id, individual_score from {{ scores }} where individual_score is not null
)

select coalesce(s.quarter, l.quarter) as quarter, coalesce(s.cadre_id, l.cadre_id) as cadre_id,
       s.individual_score, l.points
from scores s
full join lineage l on l.quarter = s.quarter and l.cadre_id = s.cadre_id
where s.individual_score is distinct from l.points
{% endtest %}
