-- Each department's key projects (重点项目) for the `project_progress` ratio (rule 1):
-- per period, every project the department leads that year, with
-- planned = the latest milestone at or before the quarter's last month and
-- actual_pct = the latest progress report on or before the as-of day (none → 0);
-- project ratio = min(actual_pct / planned, 1), a planned of 0 or none counts as 1.
with periods as (
    select * from {{ ref('int_assessment__periods') }}
),

projects as (
    select * from {{ ref('int_assessment__projects_in_force') }}
),

milestones as (
    select * from {{ ref('int_assessment__project_milestones_in_force') }}
),

progress as (
    select
        *,
        row_number() over (partition by project_id, as_of_date order by load_id desc, row_number desc) as delivery_rank
    from {{ ref('stg_ingest__project_progress') }}
),

led as materialized (
    select
        p.period_type,
        p.period,
        p.as_of_day,
        p.target_month,
        j.lead_dept_code as dept_code,
        j.project_id
    from periods p
    join projects j
        on {{ in_force_on('p.as_of_day', 'j') }}
        and j.year = p.year
),

planned as materialized (
    select distinct on (l.period_type, l.period, l.project_id)
        l.period_type,
        l.period,
        l.project_id,
        m.month as planned_month,
        m.planned_cumulative_pct
    from led l
    join milestones m
        on m.project_id = l.project_id
        and {{ in_force_on('l.as_of_day', 'm') }}
        and m.month <= l.target_month
    order by l.period_type, l.period, l.project_id, m.month desc
),

-- the report in force on a day holds from its date until the next report's: one join on that interval
-- (a latest-report search per period over every report grew with the periods times the reports)
reports as (
    select
        project_id,
        as_of_date,
        cumulative_pct,
        file_name,
        row_number,
        lead(as_of_date) over (partition by project_id order by as_of_date) as next_as_of_date
    from progress
    where delivery_rank = 1
),

actual as materialized (
    select
        l.period_type,
        l.period,
        l.project_id,
        r.as_of_date,
        r.cumulative_pct,
        r.file_name,
        r.row_number
    from led l
    join reports r
        on r.project_id = l.project_id and r.as_of_date <= l.as_of_day
        and (r.next_as_of_date is null or l.as_of_day < r.next_as_of_date)
)

select
    l.period_type,
    l.period,
    l.dept_code,
    l.project_id,
    pl.planned_month,
    pl.planned_cumulative_pct as planned_pct,
    coalesce(a.cumulative_pct, 0) as actual_pct,
    case
        when coalesce(pl.planned_cumulative_pct, 0) = 0 then 1
        when coalesce(a.cumulative_pct, 0) >= pl.planned_cumulative_pct then 1
        else {{ assessment_div('coalesce(a.cumulative_pct, 0)', 'pl.planned_cumulative_pct') }}
    end as project_ratio,
    l.project_id || ': '
        || case
            when a.as_of_date is null then 'no progress report → 0%'
            else 'project_progress ' || a.file_name || ' row ' || a.row_number || ' (as of ' || a.as_of_date || ') '
                || {{ assessment_num_text('a.cumulative_pct') }} || '%'
        end
        || case
            when coalesce(pl.planned_cumulative_pct, 0) = 0 then ', no plan (or 0) for ' || l.target_month || ' → 1'
            else ' of planned ' || {{ assessment_num_text('pl.planned_cumulative_pct') }} || '% (' || pl.planned_month || ')'
        end as source
from led l
left join planned pl on pl.period_type = l.period_type and pl.period = l.period and pl.project_id = l.project_id
left join actual a on a.period_type = l.period_type and a.period = l.period and a.project_id = l.project_id
