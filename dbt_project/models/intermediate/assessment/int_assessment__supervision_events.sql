-- 督办问责 events in force: one row per event_id, its latest delivery (highest load,
-- then row); an identical re-delivery changes nothing; withdrawn = true removes it.
with deliveries as (
    select
        *,
        jsonb_build_array(event_type, dept_code, cadre_id, occurred_on, resolved_on, subject, document_no,
                          coalesce(withdrawn, false)) as content
    from {{ ref('stg_ingest__supervision') }}
),

versioned as (
    select
        *,
        row_number() over (partition by event_id order by load_id desc, row_number desc) as newest,
        content is distinct from lag(content) over (partition by event_id order by load_id, row_number) as changed
    from deliveries
),

first_carrier as (
    select distinct on (v.event_id) v.event_id, v.file_name, v.row_number, v.delivered_on
    from versioned v
    join versioned cur on cur.event_id = v.event_id and cur.newest = 1
    where v.changed and (v.load_id, v.row_number) <= (cur.load_id, cur.row_number)
    order by v.event_id, v.load_id desc, v.row_number desc
)

select
    v.event_id,
    v.event_type,
    v.dept_code,
    v.cadre_id,
    v.occurred_on,
    ingest.quarter_of(v.occurred_on) as quarter,
    v.resolved_on,
    v.subject,
    v.document_no,
    f.delivered_on,
    f.file_name,
    f.row_number
from versioned v
join first_carrier f on f.event_id = v.event_id
where v.newest = 1
    and not coalesce(v.withdrawn, false)
