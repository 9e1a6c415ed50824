-- 干部年度结果 (section 7), from the year's quarter grades — for a quarter that has been
-- published, each cadre's latest published grade (payroll.quarterly_adjustments); else the
-- current draft (int_assessment__cadre_grades). 优秀 (≥ 2 A, no C or D), 不称职 (≥ 2 D),
-- 基本称职 (exactly 1 D, or ≥ 2 C), else 称职 — the first row that applies. Annual 优秀 →
-- promotion priority; 不称职 or D in two adjacent quarters → adjustment candidate. The
-- table's counts are read as rule parameters when the seed carries them, else the rulebook's.
with current_grades as (
    select cadre_id, name, dept_code, quarter, grade
    from {{ ref('int_assessment__cadre_grades') }}
),

published as (
    select * from {{ ref('stg_payroll__quarterly_adjustments') }}
    where status = 'published'
),

latest_published as (
    select distinct on (quarter, cadre_id) quarter, cadre_id, dept_code, grade, version
    from published
    order by quarter, cadre_id, version desc
),

names as (
    select distinct on (cadre_id) cadre_id, name
    from current_grades
    order by cadre_id, quarter desc
),

quarter_grades as (
    select
        c.cadre_id,
        c.name,
        c.dept_code,
        c.quarter,
        c.grade,
        'draft' as grade_source
    from current_grades c
    where c.quarter not in (select p.quarter from published p)

    union all

    select
        p.cadre_id,
        n.name,
        p.dept_code,
        p.quarter,
        p.grade,
        'v' || p.version as grade_source
    from latest_published p
    left join names n on n.cadre_id = p.cadre_id
),

graded as (
    select
        *,
        left(quarter, 4)::int as year,
        right(quarter, 1)::int as quarter_number
    from quarter_grades
    where grade is not null
),

sequenced as (
    select
        *,
        lag(grade) over (partition by cadre_id, year order by quarter_number) as previous_grade,
        lag(quarter_number) over (partition by cadre_id, year order by quarter_number) as previous_quarter_number
    from graded
),

counted as (
    select
        cadre_id,
        year,
        (array_agg(name order by quarter desc))[1] as name,
        (array_agg(dept_code order by quarter desc))[1] as dept_code,
        count(*) as quarters_graded,
        count(*) filter (where grade = 'A') as a_quarters,
        count(*) filter (where grade = 'B') as b_quarters,
        count(*) filter (where grade = 'C') as c_quarters,
        count(*) filter (where grade = 'D') as d_quarters,
        bool_or(grade = 'D' and previous_grade = 'D' and previous_quarter_number = quarter_number - 1) as adjacent_d,
        string_agg(quarter || ' ' || grade || ' (' || grade_source || ')', ', ' order by quarter) as quarter_grades,
        make_date(year, 12, 31) as year_end
    from sequenced
    group by cadre_id, year
),

thresholds as (
    select
        *,
        {{ assessment_param_or('annual_excellent_min_a', 'year_end', 2) }} as excellent_min_a,
        {{ assessment_param_or('annual_unfit_min_d', 'year_end', 2) }} as unfit_min_d,
        {{ assessment_param_or('annual_basic_d', 'year_end', 1) }} as basic_d,
        {{ assessment_param_or('annual_basic_min_c', 'year_end', 2) }} as basic_min_c
    from counted
),

results as (
    select
        *,
        case
            when a_quarters >= excellent_min_a and c_quarters = 0 and d_quarters = 0 then '优秀'
            when d_quarters >= unfit_min_d then '不称职'
            when d_quarters = basic_d or c_quarters >= basic_min_c then '基本称职'
            else '称职'
        end as result
    from thresholds
)

select
    cadre_id::text as cadre_id,
    year::integer as year,
    result::text as result,
    (result = '优秀')::boolean as promotion_priority,
    (result = '不称职' or coalesce(adjacent_d, false))::boolean as adjustment_candidate,
    name::text as name,
    dept_code::text as dept_code,
    quarters_graded::integer as quarters_graded,
    a_quarters::integer as a_quarters,
    c_quarters::integer as c_quarters,
    d_quarters::integer as d_quarters,
    coalesce(adjacent_d, false)::boolean as adjacent_d,
    quarter_grades::text as quarter_grades,
    {{ period_status_columns('year_end') }}
from results
