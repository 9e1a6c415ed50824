-- The assessment periods: every quarter (as of its last day) and every month (as of
-- its last day, scored "to date" against its quarter's cumulative target). Scores of
-- both kinds share one formula, so every scoring model is keyed by (period_type, period).
with quarters as (
    select * from {{ ref('int_assessment__quarters') }}
),

latest_day as (
    select max(business_date) as last_day
    from {{ ref('stg_quarantine__file_loads') }}
    where status in ('loaded', 'superseded')
),

-- the months of each quarter that have begun (no scores for months still to come)
months as (
    select
        q.*,
        generate_series(q.quarter_start, least(q.quarter_end, l.last_day), interval '1 month')::date as month_start
    from quarters q
    cross join latest_day l
),

periods as (
    select
        'quarter' as period_type,
        quarter as period,
        year,
        quarter,
        quarter_number,
        quarter_start,
        quarter_end,
        quarter_end as as_of_day
    from quarters

    union all

    select
        'month' as period_type,
        {{ month_of('month_start') }} as period,
        year,
        quarter,
        quarter_number,
        quarter_start,
        quarter_end,
        (month_start + interval '1 month - 1 day')::date as as_of_day
    from months
)

select
    *,
    {{ month_of('as_of_day') }} as as_of_month,
    -- targets are the quarter's: its last month for monthly targets and milestones
    {{ month_of('quarter_end') }} as target_month
from periods
