-- Points of `ratio` indicators whose source is `project_progress` (rule 1): the
-- department's ratio is the mean of its projects' ratios; leading no project that year
-- gives ratio 1, flagged no_projects. points = w × min(ratio, ratio_cap).
with assigned as (
    select * from {{ ref('int_assessment__period_assignments') }}
    where scoring = 'ratio' and source = 'project_progress'
),

project_ratios as (
    select * from {{ ref('int_assessment__project_ratios') }}
),

dept_ratios as (
    select
        period_type,
        period,
        dept_code,
        count(*) as projects,
        {{ assessment_div('sum(project_ratio)', 'count(*)') }} as mean_ratio,
        string_agg(source, '; ' order by project_id) as detail
    from project_ratios
    group by period_type, period, dept_code
),

scored as (
    select
        a.*,
        r.projects,
        r.detail,
        {{ rule_param('ratio_cap', 'a.as_of_day') }} as ratio_cap,
        coalesce(r.mean_ratio, 1) as mean_ratio
    from assigned a
    left join dept_ratios r on r.period_type = a.period_type and r.period = a.period and r.dept_code = a.dept_code
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
    cast(null as numeric) as actual,
    least(mean_ratio, ratio_cap) as ratio,
    {{ assessment_round2('weight * least(mean_ratio, ratio_cap)') }} as points,
    case when projects is null then 'no_projects' end as flag,
    case
        when projects is null then 'rule: leads no key project in ' || year || ' → ratio 1'
        else 'project_progress: mean of ' || projects || ' project ratio(s) = '
            || {{ assessment_num_text('round(mean_ratio, 6)') }} || ' [' || detail || ']'
    end
    || ' → ' || {{ assessment_num_text('weight') }} || ' × min(ratio, ' || {{ assessment_num_text('ratio_cap') }} || ')' as source
from scored
