-- 半年评估 · 年度: a department's half-year score (H1 = mean of Q1, Q2; H2 = mean of
-- Q3, Q4) and annual score (mean of the year's quarter scores), over the quarters that
-- exist so far and have a score, rounded to 2 decimals (section 7).
with quarter_scores as (
    select
        dept_code,
        dept_name,
        dept_class,
        period as quarter,
        year,
        right(period, 1)::int as quarter_number,
        score
    from {{ ref('int_assessment__dept_grades') }}
    where period_type = 'quarter' and score is not null
),

tagged as (
    select *, year || case when quarter_number <= 2 then 'H1' else 'H2' end as period, 'half_year' as period_type
    from quarter_scores
    union all
    select *, year::text as period, 'year' as period_type
    from quarter_scores
),

means as (
    select
        period,
        period_type,
        year,
        dept_code,
        count(*) as quarters_counted,
        string_agg(quarter || ' ' || score, ', ' order by quarter) as quarter_scores,
        {{ assessment_round2(assessment_div('sum(score)', 'count(*)')) }} as score,
        max(quarter) as last_quarter
    from tagged
    group by period, period_type, year, dept_code
)

select
    m.period::text as period,
    m.period_type::text as period_type,
    m.year::integer as year,
    m.dept_code::text as dept_code,
    q.dept_name::text as dept_name,
    q.dept_class::text as dept_class,
    m.score::numeric(8, 2) as score,
    m.quarters_counted::integer as quarters_counted,
    m.quarter_scores::text as quarter_scores,
    -- H1 ends on 30 June; H2 and the year on 31 December
    {{ period_status_columns("make_date(m.year, case when m.period like '%H1' then 6 else 12 end, 1) + interval '1 month - 1 day'") }}
from means m
join quarter_scores q on q.dept_code = m.dept_code and q.quarter = m.last_quarter
