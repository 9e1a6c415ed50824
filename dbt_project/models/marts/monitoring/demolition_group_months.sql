-- 征迁 一月一评比 (rule 6): each work group's month score and standard
-- competition rank (1, 2, 2, 4) among the groups of the month. A closed month is
-- as of its last day; the month in progress as of the business date
-- (month_complete = false). Rebuilt each run from the data delivered so far.
with scored as (
    select * from {{ ref('int_monitoring__demolition_group_scores') }}
)

select
    group_id::text as group_id,
    zone_id::text as zone_id,
    zone_name::text as zone_name,
    dept_code::text as dept_code,
    month::text as month,
    quarter::text as quarter,
    as_of_date::date as as_of_date,
    month_complete::boolean as month_complete,
    surveyed::integer as households,
    signed::integer as signed,
    cleared::integer as cleared,
    target_signed::integer as target_signed,
    target_cleared::integer as target_cleared,
    signed_ratio::numeric as signed_ratio,
    cleared_ratio::numeric as cleared_ratio,
    month_score::numeric(8, 2) as month_score,
    (rank() over (partition by month order by month_score desc))::integer as rank,
    has_target::boolean as has_target,
    {{ monitoring_target_flags('has_target', 'target_signed', 'target_cleared') }} as flags,
    {{ period_is_final('month_end') }} as is_final
from scored
