-- Cadre quarter grades A–D (rule 3). Overrides first, for everyone. Heads: the
-- department's final (post-veto) grade, 优秀→A 良好→B 一般→C 较差→D. Deputies and staff
-- without an override: A for at most N = ceil(quota(dept grade) × active deputies and
-- staff, overridden included) best individual scores ≥ a_min (ties: cadre_id), then
-- B/C/D by thresholds. Commended cadres are overridden, so they take no A place.
with roster as (
    select * from {{ ref('int_assessment__period_roster') }}
    where active
),

dept_grades as (
    select * from {{ ref('int_assessment__dept_grades') }}
    where period_type = 'quarter'
),

overrides as (
    select * from {{ ref('int_assessment__cadre_overrides') }}
),

individual as (
    select * from {{ ref('int_assessment__cadre_individual_scores') }}
),

assessed as (
    select
        r.quarter,
        r.quarter_end,
        r.cadre_id,
        r.name,
        r.dept_code,
        r.role,
        r.quarterly_base_pay,
        d.grade as dept_grade,
        d.score as dept_score,
        i.individual_score,
        i.no_evaluation,
        o.override,
        o.override_grade,
        o.override_explanation,
        {{ rule_param('a_min', 'r.quarter_end') }} as a_min,
        {{ rule_param('b_min', 'r.quarter_end') }} as b_min,
        {{ rule_param('c_min', 'r.quarter_end') }} as c_min,
        case d.grade
            when '优秀' then {{ rule_param('quota_excellent', 'r.quarter_end') }}
            when '良好' then {{ rule_param('quota_good', 'r.quarter_end') }}
            when '一般' then {{ rule_param('quota_fair', 'r.quarter_end') }}
            when '较差' then {{ rule_param('quota_poor', 'r.quarter_end') }}
            else 0
        end as a_quota,
        count(*) filter (where r.role in ('deputy', 'staff')) over (partition by r.quarter, r.dept_code) as deputies_and_staff
    from roster r
    left join dept_grades d on d.period = r.quarter and d.dept_code = r.dept_code
    left join overrides o on o.quarter = r.quarter and o.cadre_id = r.cadre_id
    left join individual i on i.quarter = r.quarter and i.cadre_id = r.cadre_id
),

quota as (
    select
        *,
        ceil(a_quota * deputies_and_staff)::int as a_places,
        case
            when role in ('deputy', 'staff') and override is null and individual_score >= a_min then
                row_number() over (
                    partition by quarter, dept_code,
                        (role in ('deputy', 'staff') and override is null and individual_score >= a_min)
                    order by individual_score desc, cadre_id
                )
        end as a_candidate_place
    from assessed
),

graded as (
    select
        *,
        case
            when override is not null then override_grade
            when role = 'head' then
                case dept_grade when '优秀' then 'A' when '良好' then 'B' when '一般' then 'C' when '较差' then 'D' end
            when individual_score is null then null
            when a_candidate_place <= a_places then 'A'
            when individual_score >= b_min then 'B'
            when individual_score >= c_min then 'C'
            else 'D'
        end as grade,
        case
            when override is not null then override
            when role = 'head' and dept_grade is null then null  -- no department grade: no grade, so no reason
            when role = 'head' then 'dept_grade'
            when individual_score is null then null
            when a_candidate_place <= a_places then 'quota'
            else 'threshold'
        end as grade_reason
    from quota
)

select
    quarter,
    quarter_end,
    cadre_id,
    name,
    dept_code,
    role,
    quarterly_base_pay,
    dept_score,
    dept_grade,
    case when role = 'head' then null else individual_score end as individual_score,
    grade,
    grade_reason,
    a_places,
    a_candidate_place,
    array_to_string(array_remove(array[
        case when role <> 'head' and no_evaluation then 'no_evaluation' end,
        case when dept_score is null then 'no_assignments' end,
        case when grade_reason = 'threshold' and a_candidate_place > a_places then 'a_quota_full' end
    ], null), ',') as flags,
    case
        when override is not null then override_explanation
        when role = 'head' and dept_grade is null then 'head: the department has no grade (no assignments) → no grade'
        when role = 'head' then 'head: department grade ' || dept_grade || ' (after veto) → ' || grade
        when individual_score is null then 'the department has no score (no assignments) → no individual score, no grade'
        when grade_reason = 'quota' then 'A place ' || a_candidate_place || ' of ' || a_places || ' (ceil('
            || {{ assessment_num_text('a_quota') }} || ' × ' || deputies_and_staff || ' deputies and staff, department '
            || coalesce(dept_grade, 'ungraded') || '); individual ' || individual_score || ' ≥ a_min ' || {{ assessment_num_text('a_min') }}
        else 'individual ' || individual_score
            || case
                when a_candidate_place > a_places then ' ≥ a_min ' || {{ assessment_num_text('a_min') }} || ' but the A quota is full ('
                    || a_places || ' place(s), candidate ' || a_candidate_place || ')'
                when individual_score >= a_min then ' ≥ a_min but no A place (quota ' || a_places || ')'
                else ''
            end
            || '; B ≥ ' || {{ assessment_num_text('b_min') }} || ', C ≥ ' || {{ assessment_num_text('c_min') }} || ' → ' || grade
    end as explanation
from graded
