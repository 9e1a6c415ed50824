-- The overrides of rule 3 for every cadre assessed in a quarter (heads too), first
-- that applies wins: a sanction naming the cadre in q → D; ≥ unresponsive_min warning
-- or interview events naming the cadre in q (resolved or not) → D; a commendation of
-- the cadre for q → A. Events follow the cadre, whatever department they were sent by.
with roster as (
    select * from {{ ref('int_assessment__period_roster') }}
    where active
),

supervision as (
    select * from {{ ref('int_assessment__supervision_events') }}
    where cadre_id is not null
),

commendations as (
    select
        *,
        row_number() over (partition by cadre_id, quarter order by load_id desc, row_number desc) as newest
    from {{ ref('stg_ingest__commendations') }}
),

event_counts as (
    select
        r.quarter,
        r.cadre_id,
        count(*) filter (where s.event_type = 'sanction') as sanctions,
        count(*) filter (where s.event_type in ('warning', 'interview')) as warnings,
        string_agg(
            case when s.event_type = 'sanction' then
                'supervision ' || s.file_name || ' row ' || s.row_number || ' event ' || s.event_id || ' (' || s.occurred_on || ')'
            end, '; ' order by s.occurred_on, s.event_id
        ) as sanction_source,
        string_agg(
            case when s.event_type in ('warning', 'interview') then
                'supervision ' || s.file_name || ' row ' || s.row_number || ' ' || s.event_type || ' ' || s.event_id
                    || ' (' || s.occurred_on || ')'
            end, '; ' order by s.occurred_on, s.event_id
        ) as warning_source
    from roster r
    join supervision s on s.cadre_id = r.cadre_id and s.quarter = r.quarter
    group by r.quarter, r.cadre_id
),

combined as (
    select
        r.quarter,
        r.cadre_id,
        coalesce(e.sanctions, 0) as sanctions,
        coalesce(e.warnings, 0) as warnings,
        {{ rule_param('unresponsive_min', 'r.quarter_end') }} as unresponsive_min,
        c.cadre_id is not null as commended,
        e.sanction_source,
        e.warning_source,
        'commendations ' || c.file_name || ' row ' || c.row_number
            || coalesce(' (' || c.document_no || ')', '') || coalesce(': ' || c.basis, '') as commendation_source
    from roster r
    left join event_counts e on e.quarter = r.quarter and e.cadre_id = r.cadre_id
    left join commendations c on c.cadre_id = r.cadre_id and c.quarter = r.quarter and c.newest = 1
)

select
    quarter,
    cadre_id,
    sanctions,
    warnings,
    commended,
    case
        when sanctions > 0 then 'sanction'
        when warnings >= unresponsive_min then 'unresponsive'
        when commended then 'commendation'
    end as override,
    case
        when sanctions > 0 then 'D'
        when warnings >= unresponsive_min then 'D'
        when commended then 'A'
    end as override_grade,
    case
        when sanctions > 0 then 'override: sanction (纪律处分) naming the cadre → D: ' || sanction_source
        when warnings >= unresponsive_min then 'override: ' || warnings || ' warning/interview events naming the cadre (≥ unresponsive_min '
            || {{ assessment_num_text('unresponsive_min') }} || ', 多次督办推而不动) → D: ' || warning_source
        when commended then 'override: commendation (表彰) → A: ' || commendation_source
    end as override_explanation,
    warning_source
from combined
