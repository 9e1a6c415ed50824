-- Points of `evaluation` (测评) indicators (rule 1): w × E(d, q) / 100; no rating at
-- all → E = eval_missing, flagged no_evaluation.
with assigned as (
    select * from {{ ref('int_assessment__period_assignments') }}
    where scoring = 'evaluation'
),

evaluations as (
    select * from {{ ref('int_assessment__evaluation_scores') }}
    where target_type = 'dept'
),

scored as (
    select
        a.*,
        e.evaluation_mean is null as no_evaluation,
        coalesce(e.evaluation_mean, {{ rule_param('eval_missing', 'a.as_of_day') }}) as evaluation_mean,
        e.source as evaluation_source
    from assigned a
    left join evaluations e on e.target_id = a.dept_code and e.quarter = a.quarter
)

select
    period_type,
    period,
    dept_code,
    indicator_code,
    scoring,
    source as indicator_source,
    weight,
    cast(null as numeric) as target,
    evaluation_mean as actual,
    cast(null as numeric) as ratio,
    {{ assessment_round2(assessment_div('weight * evaluation_mean', '100')) }} as points,
    case when no_evaluation then 'no_evaluation' end as flag,
    case
        when no_evaluation then 'rule: no rating for ' || quarter || ' → E = eval_missing ' || {{ assessment_num_text('evaluation_mean') }}
        else evaluation_source || ' → E = ' || {{ assessment_num_text('evaluation_mean') }}
    end
    || ' → ' || {{ assessment_num_text('weight') }} || ' × E / 100' as source
from scored
