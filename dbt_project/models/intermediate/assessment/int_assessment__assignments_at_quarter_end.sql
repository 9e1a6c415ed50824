-- Each department's indicator assignments in force on each quarter's last day,
-- with the indicator's definition from the library in force that day.
with quarters as (
    select * from {{ ref('int_assessment__quarters') }}
),

assignments as (
    select * from {{ ref('stg_ingest__indicator_assignments') }}
),

indicators as (
    select * from {{ ref('stg_ingest__indicators') }}
),

assignment_snapshot as (
    select q.quarter, max(a.snapshot_date) as snapshot_date
    from quarters q
    join assignments a on a.snapshot_date <= q.quarter_end
    group by q.quarter
),

indicator_snapshot as (
    select q.quarter, max(i.snapshot_date) as snapshot_date
    from quarters q
    join indicators i on i.snapshot_date <= q.quarter_end
    group by q.quarter
)

select
    q.quarter,
    q.year,
    q.quarter_number,
    q.quarter_start,
    q.quarter_end,
    a.dept_code,
    a.indicator_code,
    a.weight,
    case q.quarter_number
        when 1 then a.q1_target when 2 then a.q2_target when 3 then a.q3_target else a.q4_target
    end as quarter_target,
    i.name as indicator_name,
    i.category,
    i.scoring,
    coalesce(i.source, 'submission') as source,
    a.file_name as assignment_file,
    a.row_number as assignment_row
from quarters q
join assignment_snapshot s on s.quarter = q.quarter
join assignments a on a.snapshot_date = s.snapshot_date and a.year = q.year
join indicator_snapshot si on si.quarter = q.quarter
join indicators i on i.snapshot_date = si.snapshot_date and i.indicator_code = a.indicator_code
