-- Every quarter from the first delivered business date to the latest one: the
-- quarters the warehouse can assess. A quarter's figures are as of its last day.
with bounds as (
    select min(business_date) as first_day, max(business_date) as last_day
    from {{ ref('stg_quarantine__file_loads') }}
    where status in ('loaded', 'superseded')
),

quarters as (
    select generate_series(date_trunc('quarter', first_day), last_day, interval '3 months')::date as quarter_start
    from bounds
    where first_day is not null
)

select
    ingest.quarter_of(quarter_start) as quarter,
    extract(year from quarter_start)::int as year,
    extract(quarter from quarter_start)::int as quarter_number,
    quarter_start,
    (quarter_start + interval '3 months - 1 day')::date as quarter_end
from quarters
