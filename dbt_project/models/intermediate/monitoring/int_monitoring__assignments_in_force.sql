-- Indicator assignments in force on the business date, with the indicator's definition
-- from the library in force that day ("as of day t"). The validity intervals are the
-- assessment's (one definition of "in force", including the weights_sum fallback).
with assignments as (
    select * from {{ ref('int_assessment__assignments_in_force') }}
    where {{ in_force_on(monitoring_business_date()) }}
),

indicators as (
    select * from {{ ref('int_assessment__indicators_in_force') }}
    where {{ in_force_on(monitoring_business_date()) }}
)

select
    a.year,
    a.dept_code,
    a.indicator_code,
    a.weight,
    coalesce(a.q1_target, 0) as q1_target,
    coalesce(a.q2_target, 0) as q2_target,
    coalesce(a.q3_target, 0) as q3_target,
    coalesce(a.q4_target, 0) as q4_target,
    i.name as indicator_name,
    i.scoring,
    coalesce(i.source, 'submission') as source,
    i.unit,
    a.snapshot_date,
    a.file_name,
    a.row_number
from assignments a
join indicators i on i.indicator_code = a.indicator_code
