-- 征迁 一季度一考核 (rule 6): a group's quarter score is the mean of its month
-- scores in the quarter over the months it had a target row, rounded once;
-- ranked like the months (1, 2, 2, 4). The quarter in progress is the mean of
-- its months so far (the current month as of the business date). A group with
-- no target row in a quarter has no quarter score (no row).
with group_months as (
    select * from {{ ref('demolition_group_months') }}
    where has_target
),

quarters as (
    select
        group_id,
        quarter,
        -- the group's zone in the quarter's latest month
        (array_agg(zone_id order by month desc))[1] as zone_id,
        avg(month_score) as mean_score,
        count(*) as months_scored,
        ingest.quarter_end(quarter) <= {{ monitoring_business_date() }} as quarter_complete
    from group_months
    group by group_id, quarter
),

scored as (
    select *, {{ round2('mean_score') }} as score
    from quarters
)

select
    group_id::text as group_id,
    zone_id::text as zone_id,
    quarter::text as quarter,
    score::numeric(8, 2) as score,
    (rank() over (partition by quarter order by score desc))::integer as rank,
    months_scored::integer as months_scored,
    quarter_complete::boolean as quarter_complete,
    {{ period_status_columns('ingest.quarter_end(quarter)') }}
from scored
