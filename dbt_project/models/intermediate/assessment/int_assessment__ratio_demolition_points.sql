-- Points of `ratio` indicators whose source is demolition_signed / demolition_cleared
-- (rule 1): households of the department's groups at signed (resp. cleared) or beyond
-- by the as-of day against the sum of those groups' targets for the quarter's last
-- month; a sum of 0 or no target rows → ratio 1, flagged no_demolition_target.
with assigned as (
    select * from {{ ref('int_assessment__period_assignments') }}
    where scoring = 'ratio' and source in ('demolition_signed', 'demolition_cleared')
),

progress as (
    select * from {{ ref('int_assessment__demolition_dept_progress') }}
),

scored as (
    select
        a.*,
        {{ rule_param('ratio_cap', 'a.as_of_day') }} as ratio_cap,
        case a.source when 'demolition_signed' then coalesce(p.signed, 0) else coalesce(p.cleared, 0) end as actual,
        case a.source when 'demolition_signed' then p.target_signed else p.target_cleared end as target,
        p.detail
    from assigned a
    left join progress p on p.period_type = a.period_type and p.period = a.period and p.dept_code = a.dept_code
),

ratios as (
    select
        *,
        coalesce(target, 0) = 0 as no_target,
        {{ assessment_capped_ratio('actual', 'target') }} as ratio
    from scored
)

select
    period_type,
    period,
    dept_code,
    indicator_code,
    scoring,
    source as indicator_source,
    weight,
    target,
    actual,
    ratio,
    {{ assessment_round2('weight * ratio') }} as points,
    case when no_target then 'no_demolition_target' end as flag,
    'demolition_ledger: ' || {{ assessment_num_text('actual') }} || ' households at '
        || case source when 'demolition_signed' then 'signed' else 'cleared' end || ' or beyond by ' || as_of_day
        || ' vs target ' || coalesce(target::text, 'none')
        || case when no_target then ' (no target or 0 → ratio 1)' else '' end
        || coalesce(' [' || detail || ']', ' [leads no work group]')
        || ' → ' || {{ assessment_num_text('weight') }} || ' × min(ratio, ' || {{ assessment_num_text('ratio_cap') }} || ')' as source
from ratios
