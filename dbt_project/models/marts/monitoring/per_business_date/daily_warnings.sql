{{
    config(
        indexes=[
            {'columns': ['business_date', 'item_type', 'dept_code', 'subject'], 'unique': True},
        ],
    )
}}
-- A per-date mart: incremental on business_date, tag per_business_date (this folder's config in dbt_project.yml).
-- 日督查日通报的预警清单 (rule 5): one row per business date run × item. Each run
-- computes only var('business_date') from the data delivered up to that day and
-- replaces that date's rows (delete+insert on business_date); earlier days are
-- never rewritten by later deliveries.
with indicators as (
    select * from {{ ref('int_monitoring__indicator_pace') }}
),

project_months as (
    select * from {{ ref('int_monitoring__project_months') }}
),

departments as (
    select * from {{ rows_in_force(ref('int_assessment__departments_in_force'), monitoring_business_date()) }}
),

-- the latest month whose last day is on or before t
reference_month as (
    select
        {{ month_of("(date_trunc('month', (" ~ monitoring_business_date() ~ ") + 1) - interval '1 month')") }} as month,
        {{ month_of("(date_trunc('month', (" ~ monitoring_business_date() ~ ") + 1) - interval '2 months')") }} as previous_month
),

project_states as (
    select
        cur.business_date,
        cur.lead_dept_code as dept_code,
        cur.project_id,
        cur.project_name,
        cur.month,
        cur.planned_pct,
        cur.actual_pct,
        cur.no_report,
        cur.behind,
        coalesce(prev.behind, false) as behind_previous_month
    from project_months cur
    join reference_month r on cur.month = r.month
    left join project_months prev on prev.project_id = cur.project_id and prev.month = r.previous_month
),

indicator_items as (
    select
        business_date,
        'indicator' as item_type,
        dept_code,
        indicator_code as subject,
        indicator_name as subject_name,
        state,
        pace,
        time_progress,
        completion,
        expected,
        actual,
        target,
        null::text as reference_month,
        case when no_submission then array['no_submission'] else array[]::text[] end as flags
    from indicators
),

project_items as (
    select
        business_date,
        'project' as item_type,
        dept_code,
        project_id as subject,
        project_name as subject_name,
        case
            -- a supervision candidate is not also listed as behind
            when behind and behind_previous_month then 'supervision_candidate'
            when behind then 'behind'
            else 'on_track'
        end as state,
        null::numeric as pace,
        null::numeric as time_progress,
        trim_scale(actual_pct / 100) as completion,
        planned_pct as expected,
        actual_pct as actual,
        planned_pct as target,
        month as reference_month,
        case when no_report then array['no_report'] else array[]::text[] end as flags
    from project_states
),

items as (
    select * from indicator_items
    union all
    select * from project_items
)

select
    i.business_date::date as business_date,
    i.item_type::text as item_type,
    i.dept_code::text as dept_code,
    d.dept_name::text as dept_name,
    i.subject::text as subject,
    i.subject_name::text as subject_name,
    i.state::text as state,
    i.pace::numeric as pace,
    i.time_progress::numeric as time_progress,
    i.completion::numeric as completion,
    i.expected::numeric as expected,
    i.actual::numeric as actual,
    i.target::numeric as target,
    i.reference_month::text as reference_month,
    i.flags::text[] as flags
from items i
left join departments d on d.dept_code = i.dept_code
