"""Comparing two warehouses table by table: every row of every table, without what differs between two
correct runs of the same files (load order ids and timestamps). The one table snapshot of the suite (the
rerun, crash, concurrency, backup and Celery tests all compare with it)."""

from __future__ import annotations

from collections import Counter

import psycopg
from psycopg import sql

# the warehouse tables compared by default: every table and view of these schemas
COMPARED_SCHEMAS = ("marts", "raw", "quarantine", "payroll")
# what a run writes, with the ops schema (the run records; the high-water mark)
OUTPUT_SCHEMAS = (*COMPARED_SCHEMAS, "ops")
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
# columns that differ between two correct runs: load order ids (and every timestamp column, by type)
RUN_SPECIFIC_COLUMNS = frozenset({"load_id", "_load_id", "superseded_by", "failure_id", "publication_id"})


def table_rows(
    url: str, schemas: tuple[str, ...] | None = COMPARED_SCHEMAS, ignored: frozenset[str] = RUN_SPECIFIC_COLUMNS
) -> dict[str, Counter]:
    """Every table (and view) of `schemas` (None: of every schema) as a multiset of row texts, without the
    `ignored` columns and timestamps."""
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
            " where (%s::text[] is null and table_schema <> all(%s) and table_schema not like 'pg_temp%%'"
            " or table_schema = any(%s)) order by 1, 2, ordinal_position",
            (None if schemas is None else list(schemas), list(SYSTEM_SCHEMAS), list(schemas or ())),
        ).fetchall()
        tables: dict[tuple[str, str], list[sql.Identifier]] = {}
        for schema, table, column, data_type in columns:
            kept = tables.setdefault((schema, table), [])
            if column not in ignored and not data_type.startswith("timestamp"):
                kept.append(sql.Identifier(column))
        return {
            f"{schema}.{table}": Counter(
                text
                for (text,) in conn.execute(
                    sql.SQL("select row({})::text from {}.{}").format(
                        sql.SQL(", ").join(cols), sql.Identifier(schema), sql.Identifier(table)
                    )
                )
            )
            for (schema, table), cols in tables.items()
        }


def rows_differ(expected: Counter, got: Counter, limit: int = 3) -> str:
    """One table's rows only one side has (a few of them)."""
    missing, extra = expected - got, got - expected
    return (
        f"{sum(missing.values())} row(s) missing, e.g. {list(missing)[:limit]}; "
        f"{sum(extra.values())} extra, e.g. {list(extra)[:limit]}"
    )


def differences(actual: dict[str, Counter], expected: dict[str, Counter], limit: int = 3) -> list[str]:
    """The tables that differ, each with a few rows only one side has (empty: equal)."""
    out = []
    for table in sorted(actual.keys() | expected.keys()):
        a, e = actual.get(table), expected.get(table)
        if a == e:
            continue
        if a is None or e is None:
            out.append(f"{table}: only in {'expected' if a is None else 'actual'}")
        else:
            out.append(f"{table}: {rows_differ(e, a, limit)}")
    return out
