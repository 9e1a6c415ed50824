-- Each work group × covered month: households at each status or beyond, as of
-- the month's as-of date, and the group's cumulative targets for the month from
-- the target snapshot in force that day. Groups: those in the group list in
-- force that day, those with a target row, and those with households.
with months as (
    select * from {{ ref('int_monitoring__demolition_months') }}
),

households as (
    select * from {{ ref('int_monitoring__household_months') }}
),

groups as (
    select * from {{ ref('int_assessment__demolition_groups_in_force') }}
),

targets as (
    select * from {{ ref('int_assessment__demolition_targets_in_force') }}
),

-- master data in force on each month's as-of date (at most the business date)
groups_in_force as (
    select m.month, g.group_id, g.zone_id, g.zone_name, g.dept_code, g.leader_cadre_id
    from months m
    join groups g on {{ in_force_on('m.as_of_date', 'g') }}
),

targets_in_force as (
    select m.month, t.group_id, t.target_signed, t.target_cleared
    from months m
    join targets t on {{ in_force_on('m.as_of_date', 't') }} and t.month = m.month
),

counts as (
    select
        month,
        group_id,
        min(zone_id) as zone_id,
        count(*) as surveyed,
        count(*) filter (where status_rank >= 2) as signed,
        count(*) filter (where status_rank >= 3) as cleared,
        count(*) filter (where status_rank >= 4) as demolished
    from households
    group by month, group_id
),

group_months as (
    select month, group_id from groups_in_force
    union
    select month, group_id from targets_in_force
    union
    select month, group_id from counts
)

select
    gm.month,
    m.quarter,
    m.month_end,
    m.as_of_date,
    m.month_complete,
    gm.group_id,
    coalesce(g.zone_id, c.zone_id) as zone_id,
    g.zone_name,
    g.dept_code,
    g.leader_cadre_id,
    coalesce(c.surveyed, 0) as surveyed,
    coalesce(c.signed, 0) as signed,
    coalesce(c.cleared, 0) as cleared,
    coalesce(c.demolished, 0) as demolished,
    t.group_id is not null as has_target,
    t.target_signed,
    t.target_cleared
from group_months gm
join months m on m.month = gm.month
left join groups_in_force g on g.month = gm.month and g.group_id = gm.group_id
left join targets_in_force t on t.month = gm.month and t.group_id = gm.group_id
left join counts c on c.month = gm.month and c.group_id = gm.group_id
