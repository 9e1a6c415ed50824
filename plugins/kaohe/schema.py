"""The tables Kaohe's ingestion owns (dbt owns everything downstream of raw; payroll
versions are kaohe.payroll's, reader roles kaohe.access's).

- ``raw.<kind>``: every row ever received, as text, tagged with its load and
  spreadsheet row number. Append-only history.
- ``quarantine.file_loads``: the file ledger, one row per delivery.
- ``quarantine.rejected_rows`` / ``rejected_files``: what was refused, and why.
- ``ingest.*``: safe parsing functions shared by the validation rules and the
  dbt staging models, so "is this a date?" has one answer.

Everything is idempotent (IF NOT EXISTS / OR REPLACE): ``ensure_schema`` runs
at the start of every load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg import sql

from kaohe.contract import Contract, load_contract
from kaohe.districts import District

if TYPE_CHECKING:
    import psycopg

FUNCTIONS_SQL = r"""
create schema if not exists ingest;

-- A date as the contract allows it (YYYY-MM-DD or YYYY/M/D), or null. Plain expressions only, so that
-- PostgreSQL inlines it into the calling query: the former body (regexp_match in a FROM clause) ran as a
-- function call of its own, ≈ 25 µs a value — the largest cost of validating and staging a day.
create or replace function ingest.date_of(y int, m int, d int) returns date
language sql immutable parallel safe as $$
  select case
    when y between 1 and 9999 and m between 1 and 12
     and d between 1 and extract(day from make_date(y, m, 1) + interval '1 month - 1 day')::int
    then make_date(y, m, d)
  end
$$;
create or replace function ingest.parse_date(t text) returns date
language sql immutable parallel safe as $$
  select case
    when t ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
    then ingest.date_of(left(t, 4)::int, substr(t, 6, 2)::int, right(t, 2)::int)
    when t ~ '^[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}$'
    then ingest.date_of(split_part(t, '/', 1)::int, split_part(t, '/', 2)::int, split_part(t, '/', 3)::int)
  end
$$;

-- A plain decimal (optional sign, no separators), or null.
create or replace function ingest.to_num(t text) returns numeric
language sql immutable parallel safe as $$
  select case when t ~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$' then t::numeric end
$$;

-- true/false, 是/否, 1/0 in any case, or null.
create or replace function ingest.to_bool(t text) returns boolean
language sql immutable parallel safe as $$
  select case lower(t) when 'true' then true when '是' then true when '1' then true
                       when 'false' then false when '否' then false when '0' then false end
$$;

-- A quarter 'YYYYQn' -> its first and last day.
create or replace function ingest.quarter_start(q text) returns date
language sql immutable parallel safe as $$
  select make_date(left(q, 4)::int, (right(q, 1)::int - 1) * 3 + 1, 1)
$$;
create or replace function ingest.quarter_end(q text) returns date
language sql immutable parallel safe as $$
  select (make_date(left(q, 4)::int, (right(q, 1)::int - 1) * 3 + 1, 1) + interval '3 months - 1 day')::date
$$;
create or replace function ingest.quarter_of(d date) returns text
language sql immutable parallel safe as $$
  select to_char(d, 'YYYY') || 'Q' || extract(quarter from d)::int
$$;
"""

LEDGER_SQL = """
create schema if not exists raw;
create schema if not exists quarantine;
create schema if not exists ops;

create table if not exists quarantine.file_loads (
    load_id           bigserial primary key,
    district_code     text not null,
    business_date     date not null,
    kind              text not null,
    sender            text not null default '',
    file              text not null,
    checksum          text not null,
    encoding          text,
    rows_read         integer,
    rows_loaded       integer,
    rows_quarantined  integer,
    status            text not null check (status in ('pending', 'loaded', 'superseded', 'rejected')),
    reason            text,
    loaded_at         timestamptz not null default clock_timestamp(),
    validated_at      timestamptz,
    superseded_by     bigint references quarantine.file_loads (load_id)
);
comment on table quarantine.file_loads is
  'The file ledger: one row per delivery. status: pending (loaded to raw, not yet validated), loaded (validated, in force), superseded (replaced by a resubmission of the same date/kind/sender), rejected (unusable as a whole).';

create table if not exists quarantine.rejected_rows (
    load_id        bigint not null references quarantine.file_loads (load_id),
    district_code  text not null,
    business_date  date not null,
    kind           text not null,
    file           text not null,
    row_number     integer not null,
    rule           text not null,
    message        text not null,
    raw            jsonb not null,
    primary key (load_id, row_number)
);
comment on table quarantine.rejected_rows is
  'Rows refused by a validation rule: row_number is the spreadsheet row (header = 1). One row per rejected input row, under the first rule it broke.';

create table if not exists quarantine.rejected_files (
    load_id        bigint references quarantine.file_loads (load_id),
    district_code  text,  -- null: an entry of the landing root that belongs to no district (unknown_district)
    business_date  date not null,
    kind           text,
    file           text not null,
    reason         text not null,
    rejected_at    timestamptz not null default clock_timestamp()
);

create table if not exists ops.run_failures (
    failure_id     bigserial primary key,
    dag_id         text not null,
    run_id         text not null,
    task_id        text,
    business_date  date,
    error          text not null,
    failed_at      timestamptz not null default clock_timestamp()
);
-- false: the attempt failed and Airflow retried it (a transient fault, recovered or not yet)
alter table ops.run_failures add column if not exists final boolean not null default true;

create table if not exists ops.runs (
    run_id         text not null,
    business_date  date not null,
    stage          text not null,
    started_at     timestamptz not null,
    finished_at    timestamptz,
    details        jsonb,
    primary key (run_id, stage)
);
"""


# JIT compilation cost ≈ 0.5 s on each of dbt's model queries (their estimated costs pass jit_above_cost),
# which then ran in tens of milliseconds: off for every new session of the warehouse database. Needs the
# database's owner; without the right it is left to the DBA (docs/performance.md).
NO_JIT_SQL = """
do $$ begin
  if current_setting('jit') <> 'off' then
    execute format('alter database %I set jit = off', current_database());
  end if;
exception when insufficient_privilege then null;
end $$;
"""


def raw_table_sql(contract: Contract, kind: str) -> str:
    cols = ",\n    ".join(f'"{c}" text' for c in contract.kinds[kind].column_names)
    # No primary key and no foreign key: raw is append-only and the loader numbers each file's rows itself,
    # in one transaction with the file's ledger row, so neither can be violated; but their checks (a b-tree
    # insert and a trigger per row) tripled the time of a COPY. Rows arrive in load order, so a BRIN index
    # on _load_id (a few pages, nothing per row; summarised after each load) finds a load's rows — for a
    # range of load ids: PostgreSQL 15's BRIN cannot use `= any(array)`, so queries add `between`.
    return f"""
create table if not exists raw.{kind} (
    _load_id bigint not null,
    district_code text not null,
    _row_number integer not null,
    {cols},
    _extra jsonb
);
create index if not exists {kind}_load_brin on raw.{kind} using brin (_load_id)
    with (pages_per_range = 16, autosummarize = on);
"""


DISTRICT_TABLES = ("quarantine.file_loads", "quarantine.rejected_rows", "quarantine.rejected_files")


def add_district_columns(conn, default_code: str, contract: Contract) -> None:
    """A single-district warehouse of an earlier version: its ledger, quarantine and raw tables gain
    ``district_code``, every existing row the default district's. Only when missing: ALTER TABLE locks a table
    out even when it changes nothing, and this runs on every load. Adding a column with a default and dropping
    the default is two catalogue updates, whatever the table's size (PostgreSQL 11+)."""
    tables = [*DISTRICT_TABLES, *(f"raw.{kind}" for kind in contract.kinds)]
    missing = conn.execute(
        "select t from unnest(%s::text[]) t where not exists (select from pg_attribute a"
        " where a.attrelid = t::regclass and a.attname = 'district_code' and not a.attisdropped)",
        (tables,),
    ).fetchall()
    for (table,) in missing:
        name = sql.Identifier(*table.split("."))
        not_null = sql.SQL("" if table == "quarantine.rejected_files" else "not null")
        conn.execute(
            sql.SQL("alter table {} add column district_code text {} default {}").format(
                name, not_null, sql.Literal(default_code)
            )
        )
        conn.execute(sql.SQL("alter table {} alter column district_code drop default").format(name))
    if missing:
        conn.execute("drop index if exists quarantine.file_loads_key")  # the key without the district
    conn.execute(
        "create index if not exists file_loads_district_key"
        " on quarantine.file_loads (district_code, kind, business_date, sender)"
    )


def ensure_schema(conn: psycopg.Connection, contract: Contract | None = None) -> District:
    """Create (or bring up to date) everything Kaohe writes to outside dbt: ingestion's
    tables, the payroll versions and the reader roles' grants."""
    from kaohe.access import ensure_roles
    from kaohe.districts import ensure_districts
    from kaohe.payroll import ensure_payroll_schema

    contract = contract or load_contract()
    # One session at a time: concurrent CREATE OR REPLACE FUNCTION can collide.
    conn.execute("select pg_advisory_xact_lock(hashtext('kaohe.ensure_schema'))")
    conn.execute(FUNCTIONS_SQL)
    conn.execute(LEDGER_SQL)
    default = ensure_districts(conn)
    conn.execute(NO_JIT_SQL)
    for kind in contract.kinds:
        conn.execute(raw_table_sql(contract, kind))
    add_district_columns(conn, default.code, contract)
    # Warehouses created by older versions still carry raw's primary and foreign keys: dropped once. Looked up
    # first, since ALTER TABLE locks the table out even when there is nothing to drop (this runs every load).
    for (statement,) in conn.execute(
        "select format('alter table %s drop constraint %I', conrelid::regclass, conname) from pg_constraint"
        " where connamespace = 'raw'::regnamespace and contype in ('p', 'f')"
    ).fetchall():
        conn.execute(statement)
    ensure_payroll_schema(conn)
    ensure_roles(conn)
    return default
