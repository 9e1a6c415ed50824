-- Points of `deduction` (扣分制) indicators (rule 1): w + Σ points of the department's
-- bonus_penalty events naming the indicator in the period's quarter (up to the as-of
-- day), summed first and clamped once to [0, w]; a positive event reverses a penalty.
with assigned as (
    select * from {{ ref('int_assessment__period_assignments') }}
    where scoring = 'deduction'
),

events as (
    select * from {{ ref('int_assessment__bonus_penalty_events') }}
    where indicator_code is not null
),

event_sums as (
    select
        a.period_type,
        a.period,
        a.dept_code,
        a.indicator_code,
        count(*) as events,
        sum(e.points) as event_points,
        string_agg(
            'bonus_penalty ' || e.file_name || ' row ' || e.row_number || ' event ' || e.event_id
                || ' (' || e.occurred_on || ') ' || {{ assessment_num_text('e.points') }},
            '; ' order by e.occurred_on, e.event_id
        ) as detail
    from assigned a
    join events e
        on e.dept_code = a.dept_code
        and e.indicator_code = a.indicator_code
        and e.occurred_on between a.quarter_start and a.as_of_day
    group by a.period_type, a.period, a.dept_code, a.indicator_code
),

scored as (
    select
        a.*,
        coalesce(s.event_points, 0) as event_points,
        s.events,
        s.detail
    from assigned a
    left join event_sums s
        on s.period_type = a.period_type and s.period = a.period
        and s.dept_code = a.dept_code and s.indicator_code = a.indicator_code
)

select
    period_type,
    period,
    dept_code,
    indicator_code,
    scoring,
    source as indicator_source,
    weight,
    cast(null as numeric) as target,
    event_points as actual,
    cast(null as numeric) as ratio,
    {{ assessment_round2('least(greatest(weight + event_points, 0), weight)') }} as points,
    cast(null as text) as flag,
    'rule: ' || {{ assessment_num_text('weight') }} || ' + Σ events '
        || {{ assessment_num_text('event_points') }} || ', clamped to [0, ' || {{ assessment_num_text('weight') }} || ']'
        || coalesce(' [' || detail || ']', ' [no events]') as source
from scored
