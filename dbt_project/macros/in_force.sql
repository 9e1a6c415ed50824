{# The one definition of "in force" in dbt (data-contract "snapshots"; assessment-rules "as of day t").
   Master data in force, as validity intervals [in_force_from, in_force_until): a reference
   snapshot is in force from its folder's date until the next snapshot of its kind ('infinity'
   for the latest). The models int_assessment__<kind>_in_force hold these intervals; every
   model, assessment or monitoring, reads master data through them with in_force_on /
   rows_in_force below, for a quarter end, a business date or any other day.
   Python's counterpart, for validation before dbt runs, is kaohe.validation.in_force
   (tests/integration/test_in_force_agreement.py checks that both agree). #}

{# "In force on day t": the interval of `alias` (a relation or CTE alias, or none) contains t. #}
{% macro in_force_on(day, alias=none) -%}
{%- set p = (alias ~ '.') if alias else '' -%}
{{ p }}in_force_from <= {{ day }} and {{ day }} < {{ p }}in_force_until
{%- endmacro %}

{# The rows of an interval model (a ref to int_assessment__<kind>_in_force) in force on one day,
   as a subquery for a CTE: `select * from {{ rows_in_force(ref(...), day) }}`. #}
{% macro rows_in_force(interval_model, day) -%}
(select * from {{ interval_model }} s where {{ in_force_on(day, 's') }}) as in_force
{%- endmacro %}


{# The intervals of a kind's snapshots: each staging row with in_force_from and in_force_until. #}
{% macro snapshot_intervals(staging_model) -%}
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


{# Like snapshot_intervals, for a kind whose snapshot can be set aside one
   partition at a time (assignments: a department-year quarantined for weights_sum;
   roster: a department quarantined for head_conflict). A partition quarantined in a
   snapshot keeps its previous valid rows in force; a partition merely absent from a
   later snapshot is no longer in force.
   keys: list of (column, sql over the quarantined row's raw jsonb `raw`). #}
{% macro partitioned_intervals(staging_model, kind, rule, keys) -%}
{%- set key_cols = keys | map(attribute=0) | list -%}
with snapshot_rows as (
    select * from {{ ref(staging_model) }}
),

rejected_rows as (
    select * from {{ ref('stg_quarantine__rejected_rows') }}
),

file_loads as (
    select * from {{ ref('stg_quarantine__file_loads') }}
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
