-- The months the demolition ranking covers: every month from the first ledger
-- or target month to the business date's month. A closed month is taken as of
-- its last day; the month still in progress as of the business date.
with params as (
    select {{ monitoring_business_date() }} as business_date
),

ledger as (
    select status_date from {{ ref('stg_ingest__demolition_ledger') }}
    where delivered_on <= {{ monitoring_business_date() }}
),

targets as (
    select month from {{ ref('stg_ingest__demolition_targets') }}
    where snapshot_date <= {{ monitoring_business_date() }}
),

first_month as (
    select least(
        (select min(date_trunc('month', status_date))::date from ledger),
        (select min(to_date(month, 'YYYY-MM')) from targets)
    ) as month_start
),

months as (
    select m::date as month_start, p.business_date
    from first_month f
    cross join params p
    cross join lateral generate_series(f.month_start, date_trunc('month', p.business_date)::date, interval '1 month') as m
    where f.month_start is not null
)

select
    {{ month_of('month_start') }} as month,
    ingest.quarter_of(month_start) as quarter,
    month_start,
    (month_start + interval '1 month - 1 day')::date as month_end,
    least((month_start + interval '1 month - 1 day')::date, business_date) as as_of_date,
    (month_start + interval '1 month - 1 day')::date <= business_date as month_complete,
    business_date
from months
