-- 征迁 一月一评比 (rule 6): each work group's month score, from the month's ratios against its cumulative
-- targets, for every covered month. demolition_group_months ranks every month of it; daily_demolition_groups
-- the business date's month, as of that date.
with group_months as (
    select * from {{ ref('int_monitoring__demolition_group_months') }}
),

ratios as (
    select
        *,
        {{ monitoring_ratio('signed', 'target_signed') }} as signed_ratio,
        {{ monitoring_ratio('cleared', 'target_cleared') }} as cleared_ratio
    from group_months
)

select
    *,
    {{ monitoring_month_score('signed_ratio', 'cleared_ratio', 'month_end') }}::numeric(8, 2) as month_score
from ratios
