-- The bonus_penalty events that count in a cadre's individual score (rule 1/3): with
-- a cadre_id and no indicator_code, dated in the quarter. They follow the cadre.
with roster as (
    select * from {{ ref('int_assessment__period_roster') }}
    where active
),

events as (
    select * from {{ ref('int_assessment__bonus_penalty_events') }}
    where cadre_id is not null and indicator_code is null
)

select
    r.quarter,
    r.cadre_id,
    e.event_id,
    e.occurred_on,
    e.points,
    'bonus_penalty ' || e.file_name || ' row ' || e.row_number || ' event ' || e.event_id
        || ' (' || e.occurred_on || coalesce(', ' || e.document_no, '') || coalesce(': ' || e.reason, '') || ')' as source
from roster r
join events e on e.cadre_id = r.cadre_id and e.quarter = r.quarter
