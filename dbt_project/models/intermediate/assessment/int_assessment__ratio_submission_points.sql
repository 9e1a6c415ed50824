-- Points of `ratio` indicators reported by submission (rule 1):
-- points = w × min(actual / target, ratio_cap), actual = the latest valid cumulative
-- value dated 1 January .. the as-of day (none → 0, flagged no_submission); a target
-- of 0 counts as ratio 1.
with assigned as (
    select * from {{ ref('int_assessment__period_assignments') }}
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
    select distinct on (a.period_type, a.period, a.dept_code, a.indicator_code)
        a.period_type,
        a.period,
        a.dept_code,
        a.indicator_code,
        p.cumulative_value,
        p.as_of_date,
        p.file_name,
        p.row_number
    from assigned a
    join progress p
        on p.dept_code = a.dept_code
        and p.indicator_code = a.indicator_code
        and p.delivery_rank = 1
        and p.as_of_date between make_date(a.year, 1, 1) and a.as_of_day
    order by a.period_type, a.period, a.dept_code, a.indicator_code, p.as_of_date desc
),

scored as (
    select
        a.*,
        coalesce(x.cumulative_value, 0) as actual,
        {{ rule_param('ratio_cap', 'a.as_of_day') }} as ratio_cap,
        x.as_of_date as actual_as_of,
        x.file_name as source_file,
        x.row_number as source_row,
        x.cumulative_value is null as no_submission
    from assigned a
    left join actuals x
        on x.period_type = a.period_type and x.period = a.period
        and x.dept_code = a.dept_code and x.indicator_code = a.indicator_code
),

ratios as (
    select
        *,
        case
            when coalesce(quarter_target, 0) = 0 then least(1, ratio_cap)
            else least({{ assessment_div('actual', 'quarter_target') }}, ratio_cap)
        end as ratio
    from scored
)

select
    period_type,
    period,
    dept_code,
    indicator_code,
    scoring,
    source as indicator_source,
    weight,
    quarter_target as target,
    actual,
    ratio,
    {{ assessment_round2('weight * ratio') }} as points,
    case when no_submission then 'no_submission' end as flag,
    case
        when no_submission then 'rule: no indicator_progress row dated ' || year || '-01-01..' || as_of_day
            || ' → actual 0 of target ' || {{ assessment_num_text('quarter_target') }}
        else 'indicator_progress ' || source_file || ' row ' || source_row || ' (as of ' || actual_as_of || '): '
            || {{ assessment_num_text('actual') }} || ' of target ' || {{ assessment_num_text('quarter_target') }}
    end
    || ' → ' || {{ assessment_num_text('weight') }} || ' × min(ratio, ' || {{ assessment_num_text('ratio_cap') }} || ')'
    || case when coalesce(quarter_target, 0) = 0 then ' (target 0 counts as ratio 1)' else '' end as source
from ratios
