-- 干部季度等次 A/B/C/D: every cadre active in the roster in force on the quarter's last
-- day, in their department of that day (rule 3), with the base pay payroll derives from.
with grades as (
    select * from {{ ref('int_assessment__cadre_grades') }}
)

select
    cadre_id::text as cadre_id,
    name::text as name,
    dept_code::text as dept_code,
    role::text as role,
    quarter::text as quarter,
    individual_score::numeric(8, 2) as individual_score,
    grade::text as grade,
    grade_reason::text as grade_reason,
    string_to_array(coalesce(flags, ''), ',')::text[] as flags,
    quarterly_base_pay::numeric(12, 2) as base_pay,
    dept_score::numeric(8, 2) as dept_score,
    dept_grade::text as dept_grade,
    explanation::text as explanation,
    {{ period_status_columns('ingest.quarter_end(quarter)') }}
from grades
