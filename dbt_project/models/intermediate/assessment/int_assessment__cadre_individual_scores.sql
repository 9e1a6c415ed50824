-- individual(c, q) for active deputies and staff (rule 3):
-- round2(share_dept × min(score(d, q), 100) + share_eval × E(c, q) + Σ cadre events),
-- d = the cadre's department on the quarter's last day. The components are kept
-- unrounded (as the formula has them) with the rounding's adjustment, so the lineage
-- adds up exactly. No department score (no assignments) → no individual score.
with roster as (
    select * from {{ ref('int_assessment__period_roster') }}
    where active and role in ('deputy', 'staff')
),

dept_scores as (
    select * from {{ ref('int_assessment__dept_scores') }}
    where period_type = 'quarter'
),

evaluations as (
    select * from {{ ref('int_assessment__evaluation_scores') }}
    where target_type = 'cadre'
),

cadre_events as (
    select
        quarter,
        cadre_id,
        sum(points) as event_points,
        count(*) as events
    from {{ ref('int_assessment__cadre_events') }}
    group by quarter, cadre_id
),

components as (
    select
        r.quarter,
        r.quarter_end,
        r.cadre_id,
        r.dept_code,
        r.role,
        d.score as dept_score,
        {{ rule_param('share_dept', 'r.quarter_end') }} as share_dept,
        {{ rule_param('share_eval', 'r.quarter_end') }} as share_eval,
        e.evaluation_mean is null as no_evaluation,
        coalesce(e.evaluation_mean, {{ rule_param('eval_missing', 'r.quarter_end') }}) as evaluation_mean,
        e.source as evaluation_source,
        coalesce(ev.event_points, 0) as event_points,
        coalesce(ev.events, 0) as events
    from roster r
    left join dept_scores d on d.period = r.quarter and d.dept_code = r.dept_code
    left join evaluations e on e.target_id = r.cadre_id and e.quarter = r.quarter
    left join cadre_events ev on ev.quarter = r.quarter and ev.cadre_id = r.cadre_id
),

shares as (
    select
        *,
        -- least() ignores nulls in PostgreSQL: without the case, no department score would count as 100
        case when dept_score is not null then share_dept * least(dept_score, 100) end as dept_share_points,
        share_eval * evaluation_mean as evaluation_points
    from components
)

select
    *,
    {{ assessment_round2('dept_share_points + evaluation_points + event_points') }} as individual_score,
    {{ assessment_round2('dept_share_points + evaluation_points + event_points') }}
        - (dept_share_points + evaluation_points + event_points) as rounding_adjustment
from shares
