-- 部门季度得分与等次: one row per department in force at quarter end × quarter.
with quarters as (
    select * from {{ ref('int_assessment__quarters') }}
),

departments as (
    select d.*, q.quarter, q.quarter_end
    from quarters q
    join {{ ref('stg_ingest__departments') }} d
        on d.snapshot_date = (
            select max(x.snapshot_date) from {{ ref('stg_ingest__departments') }} x where x.snapshot_date <= q.quarter_end
        )
),

indicator_points as (
    select * from {{ ref('int_assessment__ratio_submission_points') }}
),

scores as (
    select
        quarter,
        dept_code,
        sum(points) as score,
        array_remove(array_agg(distinct flag), null) as flags
    from indicator_points
    group by quarter, dept_code
),

ranked as (
    select
        d.dept_code,
        d.dept_name,
        d.dept_class,
        d.quarter,
        d.quarter_end,
        s.score,
        coalesce(s.flags, array['no_assignments']) as flags,
        case when s.score is not null then
            row_number() over (partition by d.quarter, d.dept_class, s.score is not null order by s.score desc, d.dept_code)
        end as rank_in_class,
        count(s.score) over (partition by d.quarter, d.dept_class) as scored_in_class
    from departments d
    left join scores s on s.quarter = d.quarter and s.dept_code = d.dept_code
)

select
    dept_code::text as dept_code,
    dept_name::text as dept_name,
    dept_class::text as dept_class,
    quarter::text as quarter,
    score::numeric(8, 2) as score,
    rank_in_class::integer as rank_in_class,
    (case
        when score is null then null
        when score >= {{ rule_param('dept_excellent_min', 'quarter_end') }}
            and rank_in_class <= ceil({{ rule_param('dept_excellent_quota', 'quarter_end') }} * scored_in_class) then '优秀'
        when score >= {{ rule_param('dept_good_min', 'quarter_end') }} then '良好'
        when score >= {{ rule_param('dept_fair_min', 'quarter_end') }} then '一般'
        else '较差'
    end)::text as grade,
    false as vetoed,
    flags::text[] as flags
from ranked
