-- 片区 month figures (rule 6): a zone sums its groups' households and targets
-- and applies the groups' formula; zones are ranked the same way (1, 2, 2, 4).
-- A zone target is the sum over its groups with a target row (none → ratio 1,
-- flagged no_target; a sum of 0 → ratio 1, flagged target_*_zero).
with group_months as (
    select * from {{ ref('int_monitoring__demolition_group_months') }}
),

zones as (
    select
        zone_id,
        max(zone_name) as zone_name,
        month,
        quarter,
        month_end,
        as_of_date,
        month_complete,
        count(*) as groups,
        sum(surveyed) as households,
        sum(signed) as signed,
        sum(cleared) as cleared,
        bool_or(has_target) as has_target,
        sum(target_signed) as target_signed,
        sum(target_cleared) as target_cleared
    from group_months
    group by zone_id, month, quarter, month_end, as_of_date, month_complete
),

ratios as (
    select
        *,
        {{ monitoring_ratio('signed', 'target_signed') }} as signed_ratio,
        {{ monitoring_ratio('cleared', 'target_cleared') }} as cleared_ratio
    from zones
),

scored as (
    select *, {{ monitoring_month_score('signed_ratio', 'cleared_ratio', 'month_end') }} as month_score
    from ratios
)

select
    zone_id::text as zone_id,
    zone_name::text as zone_name,
    month::text as month,
    quarter::text as quarter,
    as_of_date::date as as_of_date,
    month_complete::boolean as month_complete,
    groups::integer as groups,
    households::integer as households,
    signed::integer as signed,
    cleared::integer as cleared,
    target_signed::integer as target_signed,
    target_cleared::integer as target_cleared,
    signed_ratio::numeric as signed_ratio,
    cleared_ratio::numeric as cleared_ratio,
    month_score::numeric(8, 2) as month_score,
    (rank() over (partition by month order by month_score desc))::integer as rank,
    {{ monitoring_target_flags('has_target', 'target_signed', 'target_cleared') }} as flags,
    {{ period_is_final('month_end') }} as is_final
from scored
