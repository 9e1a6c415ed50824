-- 部门月度得分 (to date): each department's score as of each month's last day, by the
-- quarter formula against the cumulative targets of the month's quarter (rule 1, section
-- "Periods"): events and free bonus of the quarter up to the month's end count.
with grades as (
    select * from {{ ref('int_assessment__dept_grades') }}
    where period_type = 'month'
)

select
    period::text as month,
    quarter::text as quarter,
    dept_code::text as dept_code,
    dept_name::text as dept_name,
    dept_class::text as dept_class,
    score::numeric(8, 2) as score,
    rank_in_class::integer as rank_in_class,
    vetoed::boolean as vetoed,
    string_to_array(coalesce(flags, ''), ',')::text[] as flags,
    as_of_day::date as month_end,
    {{ period_status_columns('as_of_day') }}
from grades
