{{
    config(
        indexes=[{'columns': ['business_date', 'group_id'], 'unique': True}],
    )
}}
-- A per-date mart: incremental on business_date, tag per_business_date (this folder's config in dbt_project.yml).
-- 征迁 of the daily notice (日督查日通报): each work group's figures for the business date's month,
-- as of the business date (the month's score, rank and funnel then). demolition_group_months and
-- demolition_funnel hold the warehouse's latest build; these rows keep what each date run saw, so
-- any date's notice describes its own day, also when the date is rerun later.
with scored as (
    select * from {{ ref('int_monitoring__demolition_group_scores') }}
    where month = {{ month_of(monitoring_business_date()) }}
)

select
    ({{ monitoring_business_date() }})::date as business_date,
    group_id::text as group_id,
    zone_id::text as zone_id,
    zone_name::text as zone_name,
    dept_code::text as dept_code,
    month::text as month,
    as_of_date::date as as_of_date,
    month_complete::boolean as month_complete,
    surveyed::integer as households,
    signed::integer as signed,
    cleared::integer as cleared,
    demolished::integer as demolished,
    target_signed::integer as target_signed,
    target_cleared::integer as target_cleared,
    month_score::numeric(8, 2) as month_score,
    (rank() over (order by month_score desc))::integer as rank,
    {{ monitoring_target_flags('has_target', 'target_signed', 'target_cleared') }} as flags
from scored
