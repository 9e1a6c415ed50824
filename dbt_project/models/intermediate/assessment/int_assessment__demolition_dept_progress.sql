-- Each department's demolition (征迁) progress per period, over the work groups it
-- leads (demolition_groups.dept_code) in force on the as-of day: households at
-- signed-or-beyond and cleared-or-beyond by the as-of day, and the sum of those
-- groups' cumulative targets for the quarter's last month. A household's status is
-- the highest of its ledger rows dated on or before the day; its group is the group
-- of its first row.
with periods as (
    select * from {{ ref('int_assessment__periods') }}
),

groups as (
    select * from {{ ref('int_assessment__demolition_groups_in_force') }}
),

targets as (
    select * from {{ ref('int_assessment__demolition_targets_in_force') }}
),

ledger as (
    select
        *,
        case status when 'surveyed' then 1 when 'signed' then 2 when 'cleared' then 3 when 'demolished' then 4 end
            as status_rank
    from {{ ref('stg_ingest__demolition_ledger') }}
),

household_group as (
    select distinct on (household_id) household_id, group_id
    from ledger
    order by household_id, status_date, load_id, row_number
),

household_status as (
    select
        p.period_type,
        p.period,
        h.group_id,
        l.household_id,
        max(l.status_rank) as status_rank
    from periods p
    join ledger l on l.status_date <= p.as_of_day
    join household_group h on h.household_id = l.household_id
    group by p.period_type, p.period, h.group_id, l.household_id
),

led_groups as (
    select
        p.period_type,
        p.period,
        p.as_of_day,
        p.target_month,
        g.dept_code,
        g.group_id
    from periods p
    join groups g on {{ in_force_on('p.as_of_day', 'g') }}
),

-- households per group and period at signed-or-beyond and cleared-or-beyond: one aggregate, joined
-- (a count per group as a correlated subquery rescanned household_status for every group)
group_counts as (
    select
        period_type,
        period,
        group_id,
        count(*) filter (where status_rank >= 2) as signed,
        count(*) filter (where status_rank >= 3) as cleared
    from household_status
    group by period_type, period, group_id
),

group_progress as (
    select
        l.period_type,
        l.period,
        l.dept_code,
        l.group_id,
        l.target_month,
        coalesce(c.signed, 0) as signed,
        coalesce(c.cleared, 0) as cleared,
        t.target_signed,
        t.target_cleared,
        t.file_name as target_file,
        t.row_number as target_row
    from led_groups l
    left join group_counts c on c.period_type = l.period_type and c.period = l.period and c.group_id = l.group_id
    left join targets t
        on t.group_id = l.group_id and t.month = l.target_month
        and {{ in_force_on('l.as_of_day', 't') }}
)

select
    period_type,
    period,
    dept_code,
    count(*) as groups,
    sum(signed) as signed,
    sum(cleared) as cleared,
    sum(target_signed) as target_signed,
    sum(target_cleared) as target_cleared,
    string_agg(
        group_id || ' ' || signed || ' signed / ' || cleared || ' cleared vs target '
            || coalesce(target_signed::text, 'none') || ' / ' || coalesce(target_cleared::text, 'none')
            || coalesce(' (demolition_targets ' || target_file || ' row ' || target_row || ', ' || target_month || ')', ''),
        '; ' order by group_id
    ) as detail
from group_progress
group by period_type, period, dept_code
