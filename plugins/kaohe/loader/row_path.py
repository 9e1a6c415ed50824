"""The row path: any landing file (CSV the fast path declines, .xlsx) read row by row by kaohe.readers and
written with COPY, the rows broken in structure (a field count) quarantined with their message."""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from kaohe.contract import Contract
from kaohe.landing import LandingFile
from kaohe.readers import FileRejected, OpenedFile, open_landing_file


def copy_rows(conn: psycopg.Connection, lf: LandingFile, contract: Contract, load_id: int) -> tuple[int, str]:
    """The file's rows into raw under ``load_id`` (rows read, encoding), or FileRejected with nothing left in
    raw: a file that breaks mid-stream is rejected whole."""
    kind = lf.contract_kind
    opened = open_landing_file(lf.path, lf.ext, contract, kind)
    try:
        with conn.transaction():  # savepoint
            rows_read, broken = _write_rows(
                conn, load_id, lf.district_code, opened, contract.kinds[kind].column_names, kind
            )
            if broken:
                _quarantine_broken(conn, load_id, lf, broken)
    except (OSError, ValueError, KeyError) as exc:
        raise FileRejected(f"unreadable: the file broke off while reading ({type(exc).__name__}: {exc})") from exc
    return rows_read, opened.encoding


def _write_rows(
    conn, load_id: int, district_code: str, opened: OpenedFile, columns: list[str], kind: str
) -> tuple[int, list[tuple[int, str]]]:
    copy_sql = sql.SQL("copy raw.{} ({}) from stdin").format(
        sql.Identifier(kind),
        sql.SQL(", ").join(sql.Identifier(c) for c in ["_load_id", "district_code", "_row_number", *columns, "_extra"]),
    )
    broken: list[tuple[int, str]] = []
    count = 0
    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
        for row in opened.rows:
            values = row.values
            copy.write_row(
                (
                    load_id,
                    district_code,
                    row.number,
                    *[values.get(c) for c in columns],
                    json.dumps(row.extra, ensure_ascii=False) if row.extra else None,
                )
            )
            if row.problem:
                broken.append((row.number, row.problem))
            count += 1
    return count, broken


def _quarantine_broken(conn: psycopg.Connection, load_id: int, lf: LandingFile, broken: list[tuple[int, str]]) -> None:
    """The rows broken in structure, into quarantine in one statement (one join over the load's rows, not a
    lookup per row: raw has no per-row index)."""
    conn.execute(
        sql.SQL(
            "insert into quarantine.rejected_rows"
            " (load_id, district_code, business_date, kind, file, row_number, rule, message, raw)"
            " select %s, r.district_code, %s, %s, %s, r._row_number, b.rule, b.message,"
            " (to_jsonb(r) - '_load_id' - 'district_code' - '_row_number' - '_extra')"
            " || coalesce(r._extra, '{{}}'::jsonb)"
            " from raw.{} r join unnest(%s::int[], %s::text[], %s::text[]) b (row_number, rule, message)"
            " on b.row_number = r._row_number where r._load_id = %s"
        ).format(sql.Identifier(lf.contract_kind)),
        (
            load_id,
            lf.business_date,
            lf.kind,
            lf.name,
            [number for number, _ in broken],
            [problem.split(":", 1)[0] for _, problem in broken],
            [
                f"Row {number}: {problem.split(':', 1)[1].strip()}. Fix the row and send the file again."
                for number, problem in broken
            ],
            load_id,
        ),
    )
