-- Roster (干部名册) rows in force, as validity intervals. A department whose roster in a
-- snapshot was quarantined for head_conflict keeps its previous roster rows.
{{ partitioned_intervals(
    'stg_ingest__cadres', 'cadres', 'head_conflict',
    [('dept_code', "upper(r.raw ->> 'dept_code')")]
) }}
