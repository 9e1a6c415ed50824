-- Each department's indicator assignments in force on the period's as-of day for the
-- period's year, with the indicator's definition from the library in force that day
-- and the cumulative target of the period's quarter (a month uses its quarter's).
with periods as (
    select * from {{ ref('int_assessment__periods') }}
),

assignments as (
    select * from {{ ref('int_assessment__assignments_in_force') }}
),

indicators as (
    select * from {{ ref('int_assessment__indicators_in_force') }}
)

select
    p.period_type,
    p.period,
    p.year,
    p.quarter,
    p.quarter_number,
    p.quarter_start,
    p.as_of_day,
    p.as_of_month,
    p.target_month,
    p.quarter_end,
    a.dept_code,
    a.indicator_code,
    a.weight,
    case p.quarter_number
        when 1 then a.q1_target
        when 2 then a.q2_target
        when 3 then a.q3_target
        else a.q4_target
    end as quarter_target,
    i.name as indicator_name,
    i.category,
    i.scoring,
    coalesce(i.source, 'submission') as source,
    a.file_name as assignment_file,
    a.row_number as assignment_row
from periods p
join assignments a
    on {{ in_force_on('p.as_of_day', 'a') }}
    and a.year = p.year
left join indicators i
    on i.indicator_code = a.indicator_code
    and {{ in_force_on('p.as_of_day', 'i') }}
