-- Each household's status at each covered month's as-of date (rule 6): the
-- highest status among its valid ledger rows dated on or before that day; its
-- group and zone are those of its first row. Rows delivered after the business
-- date are not used. A household appears from the month of its first row.
with months as (
    select * from {{ ref('int_monitoring__demolition_months') }}
),

ledger as (
    select
        *,
        case status when 'surveyed' then 1 when 'signed' then 2 when 'cleared' then 3 when 'demolished' then 4 end as status_rank
    from {{ ref('stg_ingest__demolition_ledger') }}
    where delivered_on <= {{ monitoring_business_date() }}
),

first_rows as (
    select distinct on (household_id)
        household_id, group_id, zone_id
    from ledger
    order by household_id, status_date, status_rank, delivered_on, load_id, row_number
),

statuses as (
    select
        m.month,
        l.household_id,
        max(l.status_rank) as status_rank
    from months m
    join ledger l on l.status_date <= m.as_of_date
    group by m.month, l.household_id
)

select
    s.month,
    s.household_id,
    f.group_id,
    f.zone_id,
    s.status_rank,
    case s.status_rank when 1 then 'surveyed' when 2 then 'signed' when 3 then 'cleared' else 'demolished' end as status
from statuses s
join first_rows f on f.household_id = s.household_id
