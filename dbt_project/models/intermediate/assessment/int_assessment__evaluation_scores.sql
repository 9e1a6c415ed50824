-- E(target, q) for every rated department or cadre (rule 1, `evaluation`): the weighted
-- mean of the evaluator groups' mean scores, weights renormalised over the groups that
-- scored, rounded to 2 decimals. Targets with no rating get eval_missing downstream.
with ratings as (
    select
        *,
        upper(target_id) as rated_id,
        -- a later delivery of the same key replaces the earlier one
        row_number() over (
            partition by evaluator_group, evaluator_id, target_type, upper(target_id), quarter
            order by load_id desc, row_number desc
        ) as newest
    from {{ ref('stg_ingest__evaluations') }}
),

group_means as (
    select
        target_type,
        rated_id as target_id,
        quarter,
        evaluator_group,
        count(*) as ratings,
        {{ assessment_div('sum(score)', 'count(*)') }} as group_mean,
        string_agg(distinct file_name, ', ' order by file_name) as files
    from ratings
    where newest = 1
    group by target_type, rated_id, quarter, evaluator_group
),

weighted as (
    select
        *,
        case evaluator_group
            when 'leaders' then {{ rule_param('eval_weight_leaders', 'ingest.quarter_end(quarter)') }}
            when 'peers' then {{ rule_param('eval_weight_peers', 'ingest.quarter_end(quarter)') }}
            when 'public' then {{ rule_param('eval_weight_public', 'ingest.quarter_end(quarter)') }}
        end as group_weight
    from group_means
),

combined as (
    select
        target_type,
        target_id,
        quarter,
        sum(group_weight * group_mean) as weighted_sum,
        sum(group_weight) as weight_sum,
        sum(ratings) as ratings,
        string_agg(
            evaluator_group || ' ' || {{ assessment_num_text('round(group_mean, 4)') }}
                || ' (n=' || ratings || ', w=' || {{ assessment_num_text('group_weight') }} || ')',
            ', ' order by evaluator_group
        ) as group_detail,
        string_agg(files, ', ' order by evaluator_group) as files
    from weighted
    group by target_type, target_id, quarter
)

select
    target_type,
    target_id,
    quarter,
    ratings,
    -- renormalised over the groups that scored (a zero total weight cannot renormalise)
    {{ assessment_round2(assessment_div('weighted_sum', 'nullif(weight_sum, 0)')) }} as evaluation_mean,
    'evaluations ' || files || ': ' || group_detail as source
from combined
