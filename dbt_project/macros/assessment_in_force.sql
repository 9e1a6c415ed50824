{# Master data in force, as validity intervals [in_force_from, in_force_until):
   a reference snapshot is in force from its folder's date until the next snapshot of
   its kind ('infinity' for the latest). "In force on day t" is then
   in_force_from <= t and t < in_force_until — for a quarter end or any other day. #}
{% macro assessment_snapshot_intervals(staging_model) -%}
with snapshot_rows as (
    select * from {{ ref(staging_model) }}
),

snapshots as (
    select
        snapshot_date,
        coalesce(lead(snapshot_date) over (order by snapshot_date), 'infinity'::date) as in_force_until
    from (select distinct snapshot_date from snapshot_rows) dates
)

select
    snapshot_rows.*,
    snapshot_rows.snapshot_date as in_force_from,
    snapshots.in_force_until
from snapshot_rows
join snapshots using (snapshot_date)
{%- endmacro %}


{# Like assessment_snapshot_intervals, for a kind whose snapshot can be set aside one
   partition at a time (assignments: a department-year quarantined for weights_sum;
   roster: a department quarantined for head_conflict). A partition quarantined in a
   snapshot keeps its previous valid rows in force; a partition merely absent from a
   later snapshot is no longer in force.
   keys: list of (column, sql over the quarantined row's raw jsonb `raw`). #}
{% macro assessment_partitioned_intervals(staging_model, kind, rule, keys) -%}
{%- set key_cols = keys | map(attribute=0) | list -%}
with snapshot_rows as (
    select * from {{ ref(staging_model) }}
),

rejected_rows as (
    select * from {{ source('quarantine', 'rejected_rows') }}
),

file_loads as (
    select * from {{ source('quarantine', 'file_loads') }}
),

-- partitions of a snapshot set aside whole (superseded deliveries do not count)
set_aside as (
    select distinct
        r.business_date as snapshot_date,
        {%- for col, expr in keys %}
        {{ expr }} as {{ col }}{{ "," if not loop.last }}
        {%- endfor %}
    from rejected_rows r
    join file_loads f on f.load_id = r.load_id and f.status = 'loaded'
    where r.kind = '{{ kind }}' and r.rule = '{{ rule }}'
),

-- materialized (here and below): inlined, the planner ran the lookup below once per roster row and
-- rebuilt this union inside it each time — quadratic in the rows (24 s for a 20k-cadre city)
snapshot_dates as materialized (
    select snapshot_date from snapshot_rows
    union
    select snapshot_date from set_aside
),

valid_partitions as (
    select distinct snapshot_date, {{ key_cols | join(', ') }}
    from snapshot_rows
),

-- a valid partition stays in force until the next snapshot that does not set it aside
partition_intervals as materialized (
    select
        p.*,
        coalesce((
            select min(d.snapshot_date)
            from snapshot_dates d
            where d.snapshot_date > p.snapshot_date
                and not exists (
                    select 1 from set_aside s
                    where s.snapshot_date = d.snapshot_date
                        {%- for col in key_cols %}
                        and s.{{ col }} = p.{{ col }}
                        {%- endfor %}
                )
        ), 'infinity'::date) as in_force_until
    from valid_partitions p
)

select
    snapshot_rows.*,
    snapshot_rows.snapshot_date as in_force_from,
    partition_intervals.in_force_until
from snapshot_rows
join partition_intervals using (snapshot_date, {{ key_cols | join(', ') }})
{%- endmacro %}
