-- 报送完整性: for every business date up to the run's and every department
-- expected to report, whether its submission arrived.
--   indicator_progress (daily): expected from every department with a `ratio`
--     indicator reported by submission assigned for that date's year (in force
--     on the date); arrived = a file delivered that day under its sender code,
--     or valid rows of the department delivered that day.
--   project_progress (weekly): expected from every lead department of a project
--     of that year (in force on the date); arrived = a delivery in the 7 days
--     ending on the date (a file under its sender code or rows for its projects).
-- A file delivered but rejected whole does not count (arrival_status 'rejected').
with params as (
    select {{ monitoring_business_date() }} as business_date
),

file_loads as (
    select * from {{ source('quarantine', 'file_loads') }}
    where business_date <= (select business_date from params)
),

-- every day something was delivered, and the run's own date (a day when no
-- one delivered still shows everyone missing)
days as (
    select business_date from file_loads
    union
    select business_date from params
),

assignments as (
    select * from {{ ref('stg_ingest__indicator_assignments') }}
),

assignment_days as (
    -- the assignment snapshot and indicator library in force on each day
    select
        d.business_date,
        (select max(snapshot_date) from {{ ref('stg_ingest__indicator_assignments') }} x where x.snapshot_date <= d.business_date) as assignments_snapshot,
        (select max(snapshot_date) from {{ ref('stg_ingest__indicators') }} x where x.snapshot_date <= d.business_date) as indicators_snapshot,
        (select max(snapshot_date) from {{ ref('stg_ingest__projects') }} x where x.snapshot_date <= d.business_date) as projects_snapshot,
        (select max(snapshot_date) from {{ ref('stg_ingest__departments') }} x where x.snapshot_date <= d.business_date) as departments_snapshot
    from days d
),

expected_indicator as (
    select distinct d.business_date, a.dept_code
    from assignment_days d
    join assignments a
        on a.snapshot_date = d.assignments_snapshot
        and a.year = extract(year from d.business_date)::int
    join {{ ref('stg_ingest__indicators') }} i
        on i.snapshot_date = d.indicators_snapshot and i.indicator_code = a.indicator_code
    where i.scoring = 'ratio' and coalesce(i.source, 'submission') = 'submission'
),

expected_project as (
    select d.business_date, p.lead_dept_code as dept_code, array_agg(p.project_id) as project_ids
    from assignment_days d
    join {{ ref('stg_ingest__projects') }} p
        on p.snapshot_date = d.projects_snapshot and p.year = extract(year from d.business_date)::int
    group by d.business_date, p.lead_dept_code
),

expected as (
    select business_date, dept_code, 'indicator_progress' as kind, 'daily' as cadence,
        business_date as window_start, null::text[] as project_ids
    from expected_indicator
    union all
    select business_date, dept_code, 'project_progress', 'weekly',
        business_date - 6, project_ids
    from expected_project
),

indicator_rows as (
    select dept_code, delivered_on, count(*) as rows_loaded
    from {{ ref('stg_ingest__indicator_progress') }}
    group by dept_code, delivered_on
),

project_rows as (
    select project_id, delivered_on, count(*) as rows_loaded
    from {{ ref('stg_ingest__project_progress') }}
    group by project_id, delivered_on
),

checked as (
    select
        e.*,
        (
            select count(*) from file_loads f
            where f.kind = e.kind and f.sender = e.dept_code
                and f.business_date between e.window_start and e.business_date
                and f.status in ('loaded', 'superseded')
        ) as files_loaded,
        (
            select count(*) from file_loads f
            where f.kind = e.kind and f.sender = e.dept_code
                and f.business_date between e.window_start and e.business_date
                and f.status = 'rejected'
        ) as files_rejected,
        case e.kind
            when 'indicator_progress' then (
                select coalesce(sum(r.rows_loaded), 0) from indicator_rows r
                where r.dept_code = e.dept_code and r.delivered_on between e.window_start and e.business_date
            )
            else (
                select coalesce(sum(r.rows_loaded), 0) from project_rows r
                where r.project_id = any(e.project_ids) and r.delivered_on between e.window_start and e.business_date
            )
        end as rows_loaded,
        -- the latest day anything arrived from the department, on or before the date
        greatest(
            (
                select max(f.business_date) from file_loads f
                where f.kind = e.kind and f.sender = e.dept_code and f.status in ('loaded', 'superseded')
                    and f.business_date <= e.business_date
            ),
            case e.kind
                when 'indicator_progress' then (
                    select max(r.delivered_on) from indicator_rows r
                    where r.dept_code = e.dept_code and r.delivered_on <= e.business_date
                )
                else (
                    select max(r.delivered_on) from project_rows r
                    where r.project_id = any(e.project_ids) and r.delivered_on <= e.business_date
                )
            end
        ) as last_arrived_on
    from expected e
),

departments as (
    select d.business_date, x.dept_code, x.dept_name
    from assignment_days d
    join {{ ref('stg_ingest__departments') }} x on x.snapshot_date = d.departments_snapshot
)

select
    c.business_date::date as business_date,
    c.dept_code::text as dept_code,
    d.dept_name::text as dept_name,
    c.kind::text as kind,
    c.cadence::text as cadence,
    c.window_start::date as window_start,
    (c.files_loaded > 0 or c.rows_loaded > 0)::boolean as arrived,
    (case
        when c.files_loaded > 0 or c.rows_loaded > 0 then 'arrived'
        when c.files_rejected > 0 then 'rejected'
        else 'missing'
    end)::text as arrival_status,
    c.files_loaded::integer as files_loaded,
    c.files_rejected::integer as files_rejected,
    c.rows_loaded::integer as rows_loaded,
    c.last_arrived_on::date as last_arrived_on,
    (c.business_date - c.last_arrived_on)::integer as days_since_last
from checked c
left join departments d on d.business_date = c.business_date and d.dept_code = c.dept_code
