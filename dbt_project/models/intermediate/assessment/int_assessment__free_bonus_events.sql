-- free_bonus(d, period) contributions (rule 1): the department's bonus_penalty events
-- with neither indicator_code nor cadre_id, dated in the period's quarter up to the
-- as-of day. Uncapped in both directions (加减分按发生次数累计,不设上限).
with periods as (
    select * from {{ ref('int_assessment__periods') }}
),

events as (
    select * from {{ ref('int_assessment__bonus_penalty_events') }}
    where indicator_code is null and cadre_id is null
)

select
    p.period_type,
    p.period,
    e.dept_code,
    e.event_id,
    e.occurred_on,
    e.points,
    'bonus_penalty ' || e.file_name || ' row ' || e.row_number || ' event ' || e.event_id
        || ' (' || e.occurred_on || coalesce(', ' || e.document_no, '') || coalesce(': ' || e.reason, '') || ')' as source
from periods p
join events e on e.occurred_on between p.quarter_start and p.as_of_day
