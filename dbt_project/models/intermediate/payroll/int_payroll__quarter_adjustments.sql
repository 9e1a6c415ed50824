-- 绩效工资 (rule 4): the current pay result of every graded cadre and quarter —
-- adjusted = round(base × multiplier, 2, half up), adjustment = adjusted − base.
-- Versioning (drafts, published versions, delta_to_pay) is payroll's: kaohe.payroll
-- diffs these rows against what was last published.
with grades as (
    select * from {{ ref('int_assessment__cadre_grades') }}
    where grade is not null
),

priced as (
    select
        quarter,
        quarter_end,
        cadre_id,
        dept_code,
        grade,
        grade_reason,
        quarterly_base_pay as base_pay,
        case grade
            when 'A' then {{ rule_param('multiplier_a', 'quarter_end') }}
            when 'B' then {{ rule_param('multiplier_b', 'quarter_end') }}
            when 'C' then {{ rule_param('multiplier_c', 'quarter_end') }}
            when 'D' then {{ rule_param('multiplier_d', 'quarter_end') }}
        end as multiplier
    from grades
)

select
    quarter::text as quarter,
    quarter_end::date as quarter_end,
    cadre_id::text as cadre_id,
    dept_code::text as dept_code,
    grade::text as grade,
    grade_reason::text as grade_reason,
    base_pay::numeric(12, 2) as base_pay,
    multiplier::numeric(6, 4) as multiplier,
    {{ round2('base_pay * multiplier') }}::numeric(12, 2) as adjusted_pay,
    ({{ round2('base_pay * multiplier') }} - base_pay)::numeric(12, 2) as adjustment
from priced
