-- 部门季度得分与等次: one row per department in force at quarter end × quarter (rules 1–2).
with grades as (
    select * from {{ ref('int_assessment__dept_grades') }}
    where period_type = 'quarter'
)

select
    dept_code::text as dept_code,
    dept_name::text as dept_name,
    dept_class::text as dept_class,
    period::text as quarter,
    score::numeric(8, 2) as score,
    rank_in_class::integer as rank_in_class,
    grade::text as grade,
    vetoed::boolean as vetoed,
    string_to_array(coalesce(flags, ''), ',')::text[] as flags,
    indicator_points::numeric(8, 2) as indicator_points,
    free_bonus::numeric(12, 4) as free_bonus,
    grade_before_veto::text as grade_before_veto,
    scored_in_class::integer as scored_in_class,
    excellent_places::integer as excellent_places,
    as_of_day::date as quarter_end,
    {{ period_status_columns('as_of_day') }}
from grades
