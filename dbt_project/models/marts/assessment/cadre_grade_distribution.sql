-- 干部等次分布: per department and quarter, how many cadres got each grade against the department's A places
-- (rule 3's quota) and how many grades an override decided. Aggregate and non-personal — no names, no pay — so
-- the BI role can show the distribution without reading a cadre's row.
with grades as (
    select * from {{ ref('int_assessment__cadre_grades') }}
),

departments as (
    select dept_code, quarter, dept_name, dept_class from {{ ref('dept_quarter_scores') }}
)

select
    g.quarter::text as quarter,
    g.dept_code::text as dept_code,
    max(d.dept_name)::text as dept_name,
    max(d.dept_class)::text as dept_class,
    max(g.dept_grade)::text as dept_grade,
    count(*)::integer as cadres,
    count(*) filter (where g.role in ('deputy', 'staff'))::integer as deputies_and_staff,
    -- one value per department and quarter (a window over it in the intermediate model)
    max(g.a_places)::integer as a_places,
    count(*) filter (where g.grade = 'A')::integer as grade_a,
    count(*) filter (where g.grade = 'B')::integer as grade_b,
    count(*) filter (where g.grade = 'C')::integer as grade_c,
    count(*) filter (where g.grade = 'D')::integer as grade_d,
    count(*) filter (where g.grade is null)::integer as ungraded,
    count(*) filter (where g.grade_reason = 'quota')::integer as a_by_quota,
    count(*) filter (where g.grade_reason in ('commendation', 'unresponsive', 'sanction'))::integer as overrides,
    count(*) filter (where g.grade_reason = 'threshold' and g.a_candidate_place > g.a_places)::integer as a_quota_full,
    {{ period_status_columns('ingest.quarter_end(g.quarter)') }}
from grades as g
left join departments as d on d.dept_code = g.dept_code and d.quarter = g.quarter
group by g.quarter, g.dept_code
