-- demolition_group_members in force: each snapshot row with its validity interval [in_force_from, in_force_until).
{{ snapshot_intervals('stg_ingest__demolition_group_members') }}
