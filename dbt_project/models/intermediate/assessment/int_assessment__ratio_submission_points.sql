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

-- the row in force on a day: each current row holds from its date until the next one's, so a period's
-- actual is one join on that interval (the latest row per period found by DISTINCT ON over every row of
-- the year, joined back, ran as a nested loop: 98 s after a year of district history)
current_rows as (
    select
        dept_code,
        indicator_code,
        cumulative_value,
        as_of_date,
        file_name,
        row_number,
        lead(as_of_date) over (partition by dept_code, indicator_code order by as_of_date) as next_as_of_date
    from progress
    where delivery_rank = 1
),

-- (one left join: at most one row is in force on a day)
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
    left join current_rows x
        on x.dept_code = a.dept_code
        and x.indicator_code = a.indicator_code
        and x.as_of_date <= a.as_of_day
        and (x.next_as_of_date is null or a.as_of_day < x.next_as_of_date)
        -- year-to-date values: the row in force must be dated this year
        and x.as_of_date >= make_date(a.year, 1, 1)
),

ratios as (
    select
        *,
        {{ assessment_capped_ratio('actual', 'quarter_target') }} as ratio
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
