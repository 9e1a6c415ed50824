-- Points of `ratio` indicators reported by submission (rule 1):
-- points = w × min(actual / target, ratio_cap), actual = the latest valid
-- cumulative value dated 1 January .. quarter end (none → 0, no_submission),
-- a target of 0 counts as ratio 1.
with assigned as (
    select * from {{ ref('int_assessment__assignments_at_quarter_end') }}
    where scoring = 'ratio' and source = 'submission'
),

progress as (
    select
        *,
        -- a later delivery of the same (dept, indicator, day) replaces the earlier row
        row_number() over (
            partition by dept_code, indicator_code, as_of_date order by load_id desc, row_number desc
        ) as delivery_rank
    from {{ ref('stg_ingest__indicator_progress') }}
),

actuals as (
    select
        a.quarter,
        a.dept_code,
        a.indicator_code,
        p.cumulative_value,
        p.as_of_date,
        p.file_name,
        p.row_number,
        row_number() over (partition by a.quarter, a.dept_code, a.indicator_code order by p.as_of_date desc) as recency
    from assigned a
    join progress p
        on p.dept_code = a.dept_code
        and p.indicator_code = a.indicator_code
        and p.delivery_rank = 1
        and p.as_of_date between make_date(a.year, 1, 1) and a.quarter_end
),

scored as (
    select
        a.*,
        coalesce(x.cumulative_value, 0) as actual,
        case
            when a.quarter_target = 0 then 1
            else least(coalesce(x.cumulative_value, 0) / a.quarter_target, {{ rule_param('ratio_cap', 'a.quarter_end') }})
        end as ratio,
        x.as_of_date as actual_as_of,
        x.file_name as source_file,
        x.row_number as source_row,
        x.cumulative_value is null as no_submission
    from assigned a
    left join actuals x
        on x.quarter = a.quarter and x.dept_code = a.dept_code and x.indicator_code = a.indicator_code and x.recency = 1
)

select
    quarter,
    dept_code,
    indicator_code,
    weight,
    quarter_target,
    actual,
    ratio,
    {{ round2('weight * ratio') }} as points,
    case when no_submission then 'no_submission' end as flag,
    case
        when no_submission then 'rule: no submission by ' || quarter_end || ' → actual 0'
        else 'indicator_progress ' || source_file || ' row ' || source_row || ' (as of ' || actual_as_of || ')'
    end as source
from scored
