-- points(i, d, period) of every assigned indicator, whatever its scoring and source:
-- one row per assignment, with the flag it raised and its lineage (rule 1).
with assigned as (
    select * from {{ ref('int_assessment__period_assignments') }}
),

ratio_submission as (
    select * from {{ ref('int_assessment__ratio_submission_points') }}
),

ratio_project as (
    select * from {{ ref('int_assessment__ratio_project_points') }}
),

ratio_demolition as (
    select * from {{ ref('int_assessment__ratio_demolition_points') }}
),

deduction as (
    select * from {{ ref('int_assessment__deduction_points') }}
),

evaluation as (
    select * from {{ ref('int_assessment__evaluation_points') }}
),

-- an assignment whose indicator is missing from the library in force scores nothing
unknown as (
    select
        period_type,
        period,
        dept_code,
        indicator_code,
        scoring,
        source as indicator_source,
        weight,
        cast(null as numeric) as target,
        cast(null as numeric) as actual,
        cast(null as numeric) as ratio,
        cast(0 as numeric) as points,
        'unknown_indicator' as flag,
        'rule: indicator ' || indicator_code || ' is not in the indicator library in force on ' || as_of_day
            || ' → 0 points' as source
    from assigned
    where scoring is null
),

-- by column name, not position: every part selects the columns of assessment_points_columns()
unioned as (
{%- for part in ['ratio_submission', 'ratio_project', 'ratio_demolition', 'deduction', 'evaluation', 'unknown'] %}
    {% if not loop.first %}union all {% endif %}select {{ assessment_points_columns() | join(', ') }} from {{ part }}
{%- endfor %}
)

select
    u.*,
    a.indicator_name,
    a.assignment_file,
    a.assignment_row
from unioned u
join assigned a
    on a.period_type = u.period_type and a.period = u.period
    and a.dept_code = u.dept_code and a.indicator_code = u.indicator_code
