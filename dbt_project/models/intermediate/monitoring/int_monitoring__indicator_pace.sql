-- Rule 5, indicators: pace and warning state of every `ratio` indicator
-- assignment reported by submission, as of the business date t, from the data
-- delivered up to t (a day's figures are never rewritten by later deliveries).
with params as (
    select
        {{ monitoring_business_date() }} as business_date
),

calendar as (
    select
        business_date,
        extract(year from business_date)::int as year,
        extract(quarter from business_date)::int as quarter_number,
        date_trunc('quarter', business_date)::date as quarter_start,
        (date_trunc('quarter', business_date) + interval '3 months - 1 day')::date as quarter_end
    from params
),

assignments as (
    select * from {{ ref('int_monitoring__assignments_in_force') }}
    where scoring = 'ratio' and source = 'submission'
),

progress as (
    select
        p.*,
        -- a later delivery of the same (dept, indicator, day) replaces the earlier row
        row_number() over (
            partition by p.dept_code, p.indicator_code, p.as_of_date
            order by p.delivered_on desc, p.load_id desc, p.row_number desc
        ) as delivery_rank
    from {{ ref('stg_ingest__indicator_progress') }} p
    cross join calendar c
    where p.delivered_on <= c.business_date
        -- cumulative values are year-to-date: only this year's rows count
        and p.as_of_date between make_date(c.year, 1, 1) and c.business_date
),

current_rows as (
    select * from progress
    where delivery_rank = 1
),

targets as (
    select
        a.dept_code,
        a.indicator_code,
        a.indicator_name,
        a.unit,
        c.business_date,
        c.quarter_start,
        c.quarter_end,
        case c.quarter_number
            when 1 then a.q1_target when 2 then a.q2_target when 3 then a.q3_target else a.q4_target
        end as target,
        case c.quarter_number
            when 1 then 0 when 2 then a.q1_target when 3 then a.q2_target else a.q3_target
        end as previous_target,
        c.business_date - c.quarter_start + 1 as days_elapsed,
        c.quarter_end - c.quarter_start + 1 as days_in_quarter,
        -- days of the quarter up to and including t / days in the quarter
        ((c.business_date - c.quarter_start + 1)::numeric / (c.quarter_end - c.quarter_start + 1)) as time_progress
    from assignments a
    cross join calendar c
    where a.year = c.year
),

-- actual as of t: the latest row dated on or before t (materialized, as the next two: inlined, the
-- planner re-sorted a year of rows for every assignment inside a nested loop)
actual_now as materialized (
    select distinct on (dept_code, indicator_code)
        dept_code, indicator_code, cumulative_value, as_of_date
    from current_rows
    order by dept_code, indicator_code, as_of_date desc
),

-- actual as of the quarter's first day (a value reached before the quarter counts on day 1)
actual_at_quarter_start as materialized (
    select distinct on (r.dept_code, r.indicator_code)
        r.dept_code, r.indicator_code, r.cumulative_value
    from current_rows r
    cross join calendar c
    where r.as_of_date <= c.quarter_start
    order by r.dept_code, r.indicator_code, r.as_of_date desc
),

-- 销号: the actual reached T_q on some day of the quarter up to t. The actual
-- only changes on a row's date, so the days to check are the quarter's first
-- day and the dates of the rows inside the quarter: the value at the quarter's
-- start, and the highest value of a row inside the quarter (one aggregate,
-- joined: an EXISTS per assignment rescanned every row for each of them).
quarter_highs as materialized (
    select r.dept_code, r.indicator_code, max(r.cumulative_value) as highest
    from current_rows r
    cross join calendar c
    where r.as_of_date between c.quarter_start and c.business_date
    group by r.dept_code, r.indicator_code
),

paced as (
    select
        t.*,
        -- expected × days in quarter, an exact product: pace and its thresholds are
        -- decided on it so that no rounded quotient (like 10/91) moves a boundary
        t.previous_target * t.days_in_quarter + (t.target - t.previous_target) * t.days_elapsed as expected_scaled,
        coalesce(n.cumulative_value, 0) as actual,
        n.as_of_date as actual_as_of,
        n.cumulative_value is null as no_submission,
        coalesce(t.target = 0 or s.cumulative_value >= t.target or h.highest >= t.target, false) as closed
    from targets t
    left join actual_now n on n.dept_code = t.dept_code and n.indicator_code = t.indicator_code
    left join actual_at_quarter_start s on s.dept_code = t.dept_code and s.indicator_code = t.indicator_code
    left join quarter_highs h on h.dept_code = t.dept_code and h.indicator_code = t.indicator_code
),

scored as (
    select
        *,
        trim_scale(expected_scaled / days_in_quarter) as expected,
        -- pace = actual / expected (1 when expected = 0), as one division
        trim_scale(case when expected_scaled = 0 then 1 else actual * days_in_quarter / expected_scaled end) as pace,
        -- pace < p  ⇔  actual × days < p × expected × days (expected > 0): exact comparison
        case
            when expected_scaled = 0 then 1 < {{ rule_param('red_pace', 'business_date') }}
            else actual * days_in_quarter < {{ rule_param('red_pace', 'business_date') }} * expected_scaled
        end as below_red,
        case
            when expected_scaled = 0 then 1 < {{ rule_param('yellow_pace', 'business_date') }}
            else actual * days_in_quarter < {{ rule_param('yellow_pace', 'business_date') }} * expected_scaled
        end as below_yellow
    from paced
)

select
    business_date,
    dept_code,
    indicator_code,
    indicator_name,
    unit,
    quarter_start,
    quarter_end,
    previous_target,
    target,
    time_progress,
    expected,
    actual,
    actual_as_of,
    no_submission,
    pace,
    -- 完成进度: the share of this quarter's increment (T_q − T_prev) achieved, the
    -- figure comparable with 时间进度 (it equals time_progress exactly when actual = expected)
    trim_scale(case
        when target > previous_target then (actual - previous_target) / (target - previous_target)
        when actual >= target then 1
        else 0
    end) as completion,
    case
        when closed then 'closed'
        when below_red then 'red'
        when below_yellow then 'yellow'
        else 'on_track'
    end as state
from scored
