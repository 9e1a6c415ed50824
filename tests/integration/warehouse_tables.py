"""Comparing two warehouses table by table: every row of every table, without what differs between two
correct runs of the same files (load order ids and timestamps)."""

from __future__ import annotations

from collections import Counter

import psycopg

# the warehouse tables compared: every table of these schemas
COMPARED_SCHEMAS = ("marts", "raw", "quarantine", "payroll")
# columns that differ between two correct runs: load order ids (and every timestamp column, by type)
RUN_SPECIFIC_COLUMNS = {"load_id", "_load_id", "superseded_by", "failure_id", "publication_id"}


def table_rows(url: str, schemas: tuple[str, ...] = COMPARED_SCHEMAS) -> dict[str, Counter]:
    """Every table of `schemas` as a multiset of row texts, without run-specific columns."""
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "select table_schema || '.' || table_name, column_name, data_type from information_schema.columns"
            " where table_schema = any(%s) order by 1, ordinal_position",
            (list(schemas),),
        ).fetchall()
        tables: dict[str, list[str]] = {}
        for table, column, data_type in columns:
            kept = tables.setdefault(table, [])
            if column not in RUN_SPECIFIC_COLUMNS and not data_type.startswith("timestamp"):
                kept.append(f'"{column}"')
        return {
            table: Counter(text for (text,) in conn.execute(f"select row({', '.join(cols)})::text from {table}"))
            for table, cols in tables.items()
        }


def differences(expected: Counter, got: Counter, limit: int = 3) -> str:
    missing, extra = expected - got, got - expected
    return (
        f"{sum(missing.values())} row(s) missing, e.g. {list(missing)[:limit]}; "
        f"{sum(extra.values())} extra, e.g. {list(extra)[:limit]}"
    )
