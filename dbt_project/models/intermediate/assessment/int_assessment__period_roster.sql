-- The roster in force on each quarter's last day, one row per cadre: the cadre's
-- department, role, base pay and active flag of that day. A department kept on an
-- older roster (head_conflict) may still list a cadre the newer roster of another
-- department lists too: the newer snapshot's row wins.
with periods as (
    select * from {{ ref('int_assessment__periods') }}
    where period_type = 'quarter'
),

roster as (
    select * from {{ ref('int_assessment__roster_in_force') }}
),

in_force as (
    select
        p.period as quarter,
        p.as_of_day as quarter_end,
        r.cadre_id,
        r.name,
        r.dept_code,
        r.role,
        r.quarterly_base_pay,
        r.active,
        r.snapshot_date,
        r.file_name,
        r.row_number,
        row_number() over (
            partition by p.period, r.cadre_id order by r.snapshot_date desc, r.load_id desc, r.row_number desc
        ) as newest
    from periods p
    join roster r
        on {{ in_force_on('p.as_of_day', 'r') }}
)

select
    quarter,
    quarter_end,
    cadre_id,
    name,
    dept_code,
    role,
    quarterly_base_pay,
    active,
    snapshot_date,
    file_name,
    row_number
from in_force
where newest = 1
