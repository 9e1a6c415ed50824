-- Department rank and grade per period (rule 2): rank_in_class among the departments
-- of the class that have a score (score desc, dept_code asc: unique); 优秀 needs
-- score ≥ dept_excellent_min and rank ≤ ceil(dept_excellent_quota × scored departments
-- in the class), given before the veto; a sanction against the department dated in
-- the quarter (up to the as-of day) caps 优秀 at 良好 — the lost place is not passed on.
with scores as (
    select * from {{ ref('int_assessment__dept_scores') }}
),

sanctions as (
    select * from {{ ref('int_assessment__supervision_events') }}
    where event_type = 'sanction'
),

dept_sanctions as (
    select
        s.period_type,
        s.period,
        s.dept_code,
        string_agg(
            'supervision ' || e.file_name || ' row ' || e.row_number || ' event ' || e.event_id || ' (' || e.occurred_on
                || coalesce(', cadre ' || e.cadre_id, '') || ')',
            '; ' order by e.occurred_on, e.event_id
        ) as sanction_source
    from scores s
    join sanctions e on e.dept_code = s.dept_code and e.occurred_on between s.quarter_start and s.as_of_day
    group by s.period_type, s.period, s.dept_code
),

ranked as (
    select
        s.*,
        case when s.score is not null then
            row_number() over (
                partition by s.period_type, s.period, s.dept_class, s.score is not null
                order by s.score desc, s.dept_code
            )
        end as rank_in_class,
        count(s.score) over (partition by s.period_type, s.period, s.dept_class) as scored_in_class,
        {{ rule_param('dept_excellent_min', 's.as_of_day') }} as excellent_min,
        {{ rule_param('dept_excellent_quota', 's.as_of_day') }} as excellent_quota,
        {{ rule_param('dept_good_min', 's.as_of_day') }} as good_min,
        {{ rule_param('dept_fair_min', 's.as_of_day') }} as fair_min
    from scores s
),

graded as (
    select
        r.*,
        ceil(r.excellent_quota * r.scored_in_class)::int as excellent_places,
        case
            when r.score is null then null
            when r.score >= r.excellent_min and r.rank_in_class <= ceil(r.excellent_quota * r.scored_in_class) then '优秀'
            when r.score >= r.good_min then '良好'
            when r.score >= r.fair_min then '一般'
            else '较差'
        end as grade_before_veto,
        ds.sanction_source is not null as vetoed,
        ds.sanction_source
    from ranked r
    left join dept_sanctions ds on ds.period_type = r.period_type and ds.period = r.period and ds.dept_code = r.dept_code
)

select
    *,
    case when vetoed and grade_before_veto = '优秀' then '良好' else grade_before_veto end as grade,
    case
        when score is null then 'no_assignments'
        when vetoed and grade_before_veto = '优秀' then 'veto'
        when grade_before_veto = '优秀' then 'excellent_quota'
        else 'threshold'
    end as decided_by,
    case
        when score is null then 'no valid indicator assignments for ' || year || ': no score, no grade, not ranked'
        else 'score ' || score || ', rank ' || rank_in_class || ' of ' || scored_in_class || ' in class ' || dept_class
            || '; 优秀 needs score ≥ ' || {{ assessment_num_text('excellent_min') }} || ' and rank ≤ ceil('
            || {{ assessment_num_text('excellent_quota') }} || ' × ' || scored_in_class || ') = ' || excellent_places
            || '; 良好 ≥ ' || {{ assessment_num_text('good_min') }} || ', 一般 ≥ ' || {{ assessment_num_text('fair_min') }}
            || ' → ' || grade_before_veto
            || case
                when vetoed and grade_before_veto = '优秀' then '; veto (一票否决) by sanction ' || sanction_source || ' → 良好'
                when vetoed then '; sanction ' || sanction_source || ' (veto caps only 优秀: grade unchanged)'
                else ''
            end
    end as explanation
from graded
