-- 等次判定: for each department and cadre grade of a quarter, the rule, override or
-- quota that decided it, in words with the numbers and parameters used (section 8),
-- so `kaohe explain` can tell the whole story from the warehouse alone.
with dept_grades as (
    select * from {{ ref('int_assessment__dept_grades') }}
    where period_type = 'quarter'
),

cadre_grades as (
    select * from {{ ref('int_assessment__cadre_grades') }}
),

decisions as (
    select
        period as quarter,
        'dept' as subject_type,
        dept_code,
        cast(null as text) as cadre_id,
        score,
        grade,
        decided_by,
        explanation
    from dept_grades

    union all

    select
        quarter,
        'cadre',
        dept_code,
        cadre_id,
        individual_score,
        grade,
        coalesce(grade_reason, 'no_grade'),
        explanation
    from cadre_grades
)

select
    quarter::text as quarter,
    subject_type::text as subject_type,
    dept_code::text as dept_code,
    cadre_id::text as cadre_id,
    score::numeric(8, 2) as score,
    grade::text as grade,
    decided_by::text as decided_by,
    explanation::text as explanation,
    {{ period_status_columns('ingest.quarter_end(quarter)') }}
from decisions
