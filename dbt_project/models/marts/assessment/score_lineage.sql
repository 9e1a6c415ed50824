-- 得分溯源 (section 8): one row per contribution to a department's quarter score or a
-- cadre's individual score. A score's rows add up to it exactly: components are kept
-- as the formula computes them, and the rulebook's final rounding, when it changes
-- anything, is its own `rounding` row.
with dept_scores as (
    select * from {{ ref('int_assessment__dept_scores') }}
    where period_type = 'quarter' and score is not null
),

indicator_points as (
    select * from {{ ref('int_assessment__indicator_points') }}
    where period_type = 'quarter'
),

free_bonus as (
    select * from {{ ref('int_assessment__free_bonus_events') }}
    where period_type = 'quarter'
),

individual as (
    select * from {{ ref('int_assessment__cadre_individual_scores') }}
    where individual_score is not null
),

cadre_events as (
    select * from {{ ref('int_assessment__cadre_events') }}
),

dept_rows as (
    select
        s.period as quarter,
        s.dept_code,
        cast(null as text) as cadre_id,
        1 as component_order,
        'indicator:' || i.indicator_code as component,
        i.points,
        i.indicator_code || ' ' || coalesce(i.indicator_name, '') || ' (' || coalesce(i.scoring, 'unknown')
            || ', weight ' || {{ assessment_num_text('i.weight') }} || ', indicator_assignments ' || i.assignment_file
            || ' row ' || i.assignment_row || '): ' || i.source as source
    from dept_scores s
    join indicator_points i on i.period = s.period and i.dept_code = s.dept_code

    union all

    select
        s.period,
        s.dept_code,
        null,
        2,
        'free_bonus',
        b.points,
        b.source
    from dept_scores s
    join free_bonus b on b.period = s.period and b.dept_code = s.dept_code

    union all

    select
        period,
        dept_code,
        null,
        3,
        'rounding',
        rounding_adjustment,
        'rule: score rounded to 2 decimals, half away from zero'
    from dept_scores
    where rounding_adjustment <> 0
),

cadre_rows as (
    select
        quarter,
        dept_code,
        cadre_id,
        4 as component_order,
        'dept_share' as component,
        dept_share_points as points,
        'rule: share_dept ' || {{ assessment_num_text('share_dept') }} || ' × min(score(' || dept_code || ', '
            || quarter || ') ' || dept_score || ', 100)' as source
    from individual

    union all

    select
        quarter,
        dept_code,
        cadre_id,
        5,
        'evaluation',
        evaluation_points,
        'rule: share_eval ' || {{ assessment_num_text('share_eval') }} || ' × E ' || evaluation_mean
            || case when no_evaluation then ' (no rating → eval_missing)' else ' from ' || evaluation_source end
    from individual

    union all

    select
        i.quarter,
        i.dept_code,
        i.cadre_id,
        6,
        'cadre_event',
        e.points,
        e.source
    from individual i
    join cadre_events e on e.quarter = i.quarter and e.cadre_id = i.cadre_id

    union all

    select
        quarter,
        dept_code,
        cadre_id,
        7,
        'rounding',
        rounding_adjustment,
        'rule: individual score rounded to 2 decimals, half away from zero'
    from individual
    where rounding_adjustment <> 0
),

unioned as (
    select * from dept_rows
    union all
    select * from cadre_rows
)

select
    quarter::text as quarter,
    dept_code::text as dept_code,
    cadre_id::text as cadre_id,
    component::text as component,
    points::numeric as points,
    source::text as source,
    row_number() over (
        partition by quarter, dept_code, cadre_id order by component_order, component, source
    )::integer as line_no,
    {{ period_status_columns('ingest.quarter_end(quarter)') }}
from unioned
