-- 督办问责 events in force: one row per event_id, its latest delivery; withdrawn removed
-- (macro assessment_events_in_force).
{{ assessment_events_in_force(
    ref('stg_ingest__supervision'),
    content_columns=['event_type', 'dept_code', 'cadre_id', 'occurred_on', 'resolved_on', 'subject', 'document_no'],
    columns=['event_id', 'event_type', 'dept_code', 'cadre_id', 'occurred_on', 'resolved_on', 'subject',
             'document_no'],
) }}
