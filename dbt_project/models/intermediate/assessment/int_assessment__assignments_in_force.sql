-- Indicator assignments in force, as validity intervals. A department-year whose rows
-- in a snapshot were quarantined for weights_sum keeps its previous valid assignments.
{{ partitioned_intervals(
    'stg_ingest__indicator_assignments', 'indicator_assignments', 'weights_sum',
    [('year', "(ingest.to_num(r.raw ->> 'year'))::int"), ('dept_code', "upper(r.raw ->> 'dept_code')")]
) }}
