-- 征迁户数漏斗: households per zone × group × month by the furthest status they
-- had reached at the month's as-of date, counted cumulatively ("reached at
-- least"): surveyed ⊇ signed ⊇ cleared ⊇ demolished. surveyed counts every
-- household in the ledger (a household entered directly as signed counts as
-- surveyed too: a skipped step is allowed).
with group_months as (
    select * from {{ ref('int_monitoring__demolition_group_months') }}
)

select
    zone_id::text as zone_id,
    zone_name::text as zone_name,
    group_id::text as group_id,
    month::text as month,
    as_of_date::date as as_of_date,
    month_complete::boolean as month_complete,
    surveyed::integer as surveyed,
    signed::integer as signed,
    cleared::integer as cleared,
    demolished::integer as demolished,
    {{ period_is_final('month_end') }} as is_final
from group_months
