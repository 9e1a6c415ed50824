{{
    config(
        indexes=[{'columns': ['business_date', 'dept_code', 'kind'], 'unique': True}],
    )
}}
-- A per-date mart: incremental on business_date, tag per_business_date (this folder's config in dbt_project.yml).
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
-- Incremental: a run computes its own date only (from the data delivered up to it) and
-- replaces that date's rows; earlier dates keep what their own runs computed, as in
-- daily_warnings. (Rebuilt whole, every run re-derived every past date: the cost of a
-- day grew with the history — see docs/performance.md.) A first build, or
-- --full-refresh, computes every date.
with params as (
    select {{ monitoring_business_date() }} as business_date
),

file_loads as (
    select * from {{ ref('stg_quarantine__file_loads') }}
    where business_date <= (select p.business_date from params p)
),

-- every day something was delivered, and the run's own date (a day when no
-- one delivered still shows everyone missing)
days as (
    select business_date from file_loads
    {% if is_incremental() %}where business_date = (select business_date from params){% endif %}
    union
    select business_date from params
),

-- the master data in force on each day (macros/in_force.sql)
assignments as (
    select * from {{ ref('int_assessment__assignments_in_force') }}
),

indicators as (
    select * from {{ ref('int_assessment__indicators_in_force') }}
),

projects as (
    select * from {{ ref('int_assessment__projects_in_force') }}
),

expected_indicator as (
    select distinct d.business_date, a.dept_code
    from days d
    join assignments a
        on {{ in_force_on('d.business_date', 'a') }}
        and a.year = extract(year from d.business_date)::int
    join indicators i
        on {{ in_force_on('d.business_date', 'i') }} and i.indicator_code = a.indicator_code
    where i.scoring = 'ratio' and coalesce(i.source, 'submission') = 'submission'
),

expected_project as (
    select d.business_date, p.lead_dept_code as dept_code, array_agg(p.project_id) as project_ids
    from days d
    join projects p
        on {{ in_force_on('d.business_date', 'p') }} and p.year = extract(year from d.business_date)::int
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

-- Files and rows per expected (date, department, kind), as joins and aggregates over the
-- department's history up to the date (correlated counts per row rescanned the ledger for
-- every department and date).
file_days as (
    select
        kind,
        sender as dept_code,
        business_date,
        count(*) filter (where status in ('loaded', 'superseded')) as loaded,
        count(*) filter (where status = 'rejected') as rejected
    from file_loads
    group by kind, sender, business_date
),

file_stats as (
    select
        e.business_date,
        e.dept_code,
        e.kind,
        coalesce(sum(f.loaded) filter (where f.business_date >= e.window_start), 0) as files_loaded,
        coalesce(sum(f.rejected) filter (where f.business_date >= e.window_start), 0) as files_rejected,
        max(f.business_date) filter (where f.loaded > 0) as last_file_on
    from expected e
    join file_days f on f.kind = e.kind and f.dept_code = e.dept_code and f.business_date <= e.business_date
    group by e.business_date, e.dept_code, e.kind
),

row_days as (
    select e.business_date, e.dept_code, e.kind, e.window_start, r.delivered_on, r.rows_loaded
    from expected e
    join indicator_rows r on r.dept_code = e.dept_code and r.delivered_on <= e.business_date
    where e.kind = 'indicator_progress'
    union all
    select e.business_date, e.dept_code, e.kind, e.window_start, r.delivered_on, r.rows_loaded
    from expected e
    cross join lateral unnest(e.project_ids) as p (project_id)
    join project_rows r on r.project_id = p.project_id and r.delivered_on <= e.business_date
    where e.kind = 'project_progress'
),

row_stats as (
    select
        business_date,
        dept_code,
        kind,
        coalesce(sum(rows_loaded) filter (where delivered_on >= window_start), 0) as rows_loaded,
        max(delivered_on) as last_row_on
    from row_days
    group by business_date, dept_code, kind
),

checked as (
    select
        e.*,
        coalesce(fs.files_loaded, 0) as files_loaded,
        coalesce(fs.files_rejected, 0) as files_rejected,
        coalesce(rs.rows_loaded, 0) as rows_loaded,
        -- the latest day anything arrived from the department, on or before the date
        greatest(fs.last_file_on, rs.last_row_on) as last_arrived_on
    from expected e
    left join file_stats fs on fs.business_date = e.business_date and fs.dept_code = e.dept_code and fs.kind = e.kind
    left join row_stats rs on rs.business_date = e.business_date and rs.dept_code = e.dept_code and rs.kind = e.kind
),

departments as (
    select d.business_date, x.dept_code, x.dept_name
    from days d
    join {{ ref('int_assessment__departments_in_force') }} x on {{ in_force_on('d.business_date', 'x') }}
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
