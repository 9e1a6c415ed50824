-- 重点项目进度: one row per key project × month of its year up to the business
-- date's month, from the data delivered up to the business date (rebuilt each
-- run). A closed month is as of its last day; the month in progress as of the
-- business date (month_complete = false, status in_progress_behind/in_progress).
with project_months as (
    select * from {{ ref('int_monitoring__project_months') }}
),

departments as (
    select * from {{ rows_in_force(ref('int_assessment__departments_in_force'), monitoring_business_date()) }}
),

-- one row per cadre: a department kept on an older roster (head_conflict) may list a cadre
-- whom another department's newer roster lists too; the newer row wins (as in int_assessment__period_roster)
cadres as (
    select distinct on (cadre_id) *
    from {{ rows_in_force(ref('int_assessment__roster_in_force'), monitoring_business_date()) }}
    order by cadre_id, snapshot_date desc, load_id desc, row_number desc
),

with_previous as (
    select
        *,
        lag(behind) over (partition by project_id order by month) as behind_previous_month
    from project_months
)

select
    p.business_date::date as business_date,
    p.project_id::text as project_id,
    p.project_name::text as project_name,
    p.year::integer as year,
    p.month::text as month,
    p.month_complete::boolean as month_complete,
    p.as_of_date::date as as_of_date,
    p.lead_dept_code::text as lead_dept_code,
    d.dept_name::text as lead_dept_name,
    p.lead_cadre_id::text as lead_cadre_id,
    c.name::text as lead_cadre_name,
    p.planned_pct::numeric as planned_pct,
    p.actual_pct::numeric as actual_pct,
    (p.actual_pct - coalesce(p.planned_pct, 0))::numeric as gap_pct,
    p.tolerance::numeric as tolerance,
    p.behind::boolean as behind,
    (case
        when not p.month_complete then case when p.behind then 'in_progress_behind' else 'in_progress' end
        when p.behind and coalesce(p.behind_previous_month, false) then 'supervision_candidate'
        when p.behind then 'behind'
        else 'on_track'
    end)::text as status,
    p.planned_investment::numeric(12, 2) as planned_investment,
    p.cumulative_investment::numeric(12, 2) as cumulative_investment,
    (case when p.planned_investment > 0 then p.cumulative_investment / p.planned_investment end)::numeric as investment_ratio,
    p.report_date::date as report_date,
    p.no_report::boolean as no_report,
    {{ period_is_final('p.month_end') }} as is_final
from with_previous p
left join departments d on d.dept_code = p.lead_dept_code
left join cadres c on c.cadre_id = p.lead_cadre_id
