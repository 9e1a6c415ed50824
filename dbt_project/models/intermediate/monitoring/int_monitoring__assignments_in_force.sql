-- Indicator assignments in force on the business date, with the indicator's
-- definition from the library in force that day ("as of day t").
-- A department-year whose rows in the latest snapshot were quarantined as a
-- whole (weights_sum) keeps its previous valid assignments (data contract).
with assignments as (
    select * from {{ ref('stg_ingest__indicator_assignments') }}
    where snapshot_date <= {{ monitoring_business_date() }}
),

indicators as (
    select * from {{ monitoring_in_force(ref('stg_ingest__indicators'), monitoring_business_date()) }}
),

rejected as (
    select * from {{ source('quarantine', 'rejected_rows') }}
    where kind = 'indicator_assignments' and rule = 'weights_sum'
),

latest_snapshot as (
    select max(snapshot_date) as snapshot_date from assignments
),

-- department-years set aside in the latest snapshot by the weights_sum rule
set_aside as (
    select distinct
        (r.raw ->> 'year')::int as year,
        upper(trim(r.raw ->> 'dept_code')) as dept_code
    from rejected r
    join latest_snapshot l on r.business_date = l.snapshot_date
    where r.raw ->> 'year' ~ '^[0-9]{4}$'
),

-- for those, the latest earlier snapshot that had valid rows for them
fallback as (
    select a.year, a.dept_code, max(a.snapshot_date) as snapshot_date
    from assignments a
    join set_aside s on s.year = a.year and s.dept_code = a.dept_code
    group by a.year, a.dept_code
),

in_force as (
    select a.*
    from assignments a
    join latest_snapshot l on a.snapshot_date = l.snapshot_date
    union all
    select a.*
    from assignments a
    join fallback f on f.year = a.year and f.dept_code = a.dept_code and f.snapshot_date = a.snapshot_date
    -- a fallback can only come from an earlier snapshot
    where a.snapshot_date < (select snapshot_date from latest_snapshot)
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
from in_force a
join indicators i on i.indicator_code = a.indicator_code
