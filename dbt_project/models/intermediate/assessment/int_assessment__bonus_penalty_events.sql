-- 加减分事项 in force: one row per event_id, its latest delivery; withdrawn removed
-- (macro assessment_events_in_force).
{{ assessment_events_in_force(
    ref('stg_ingest__bonus_penalty'),
    content_columns=['dept_code', 'cadre_id', 'indicator_code', 'occurred_on', 'points', 'reason', 'document_no'],
    columns=['event_id', 'dept_code', 'cadre_id', 'indicator_code', 'occurred_on', 'points', 'reason', 'document_no'],
) }}
