-- The departments in force on each period's as-of day.
with periods as (
    select * from {{ ref('int_assessment__periods') }}
),

departments as (
    select * from {{ ref('int_assessment__departments_in_force') }}
)

select
    p.period_type,
    p.period,
    p.as_of_day,
    d.dept_code,
    d.dept_name,
    d.dept_class,
    d.head_cadre_id
from periods p
join departments d
    on {{ in_force_on('p.as_of_day', 'd') }}
