-- Key projects month by month (rule 5): for each project in force on the
-- business date t and each month of its year up to t's month, the planned
-- cumulative progress (latest milestone at or before the month), the actual
-- cumulative progress at month end (latest report dated on or before it; the
-- month still in progress is taken as of t; no report → 0), and whether the
-- project is behind: actual < planned − project_tolerance.
-- Only rows delivered up to t are used, and the master data in force on t.
with params as (
    select {{ monitoring_business_date() }} as business_date
),

projects as (
    select * from {{ rows_in_force(ref('int_assessment__projects_in_force'), monitoring_business_date()) }}
),

milestones as (
    select * from {{ rows_in_force(ref('int_assessment__project_milestones_in_force'), monitoring_business_date()) }}
),

progress as (
    select
        p.*,
        -- a later delivery of the same (project, day) replaces the earlier row
        row_number() over (
            partition by p.project_id, p.as_of_date
            order by p.delivered_on desc, p.load_id desc, p.row_number desc
        ) as delivery_rank
    from {{ ref('stg_ingest__project_progress') }} p
    cross join params b
    where p.delivered_on <= b.business_date and p.as_of_date <= b.business_date
),

project_months as (
    select
        p.project_id,
        p.name as project_name,
        p.year,
        p.lead_dept_code,
        p.lead_cadre_id,
        p.planned_investment,
        b.business_date,
        m::date as month_start,
        (m + interval '1 month - 1 day')::date as month_end
    from projects p
    cross join params b
    cross join lateral generate_series(
        make_date(p.year, 1, 1),
        least(make_date(p.year, 12, 1), date_trunc('month', b.business_date)::date),
        interval '1 month'
    ) as m
),

dated as (
    select
        *,
        {{ month_of('month_start') }} as month,
        least(month_end, business_date) as as_of_date,
        month_end <= business_date as month_complete
    from project_months
),

-- The plan and the report in force for a month are found by joining validity intervals
-- [month, next month) and [report date, next report date): a correlated lookup per
-- (project, month) rescanned milestones and reports for every row.
plan_intervals as (
    select
        ms.project_id,
        ms.month,
        ms.planned_cumulative_pct,
        lead(ms.month) over (partition by ms.project_id order by ms.month) as next_month
    from milestones ms
),

report_intervals as (
    select
        pr.*,
        lead(pr.as_of_date) over (partition by pr.project_id order by pr.as_of_date) as next_as_of_date
    from progress pr
    where pr.delivery_rank = 1
),

with_plan as (
    select
        d.*,
        pl.planned_cumulative_pct as planned_pct
    from dated d
    left join plan_intervals pl
        on pl.project_id = d.project_id and pl.month <= d.month
        and (pl.next_month is null or d.month < pl.next_month)
),

with_actual as (
    select
        w.*,
        r.cumulative_pct,
        r.cumulative_investment,
        r.as_of_date as report_date,
        r.file_name as report_file,
        r.row_number as report_row
    from with_plan w
    left join report_intervals r
        on r.project_id = w.project_id and r.as_of_date <= w.as_of_date
        and (r.next_as_of_date is null or w.as_of_date < r.next_as_of_date)
)

select
    project_id,
    project_name,
    year,
    lead_dept_code,
    lead_cadre_id,
    planned_investment,
    business_date,
    month,
    month_start,
    month_end,
    as_of_date,
    month_complete,
    planned_pct,
    coalesce(cumulative_pct, 0) as actual_pct,
    cumulative_investment,
    report_date,
    report_file,
    report_row,
    report_date is null as no_report,
    {{ rule_param('project_tolerance', 'month_end') }} as tolerance,
    coalesce(cumulative_pct, 0) < coalesce(planned_pct, 0) - {{ rule_param('project_tolerance', 'month_end') }} as behind
from with_actual
