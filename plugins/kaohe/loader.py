"""Loading landing files into ``raw`` with PostgreSQL COPY, one transaction per file.

A file either lands whole (its ledger row, every row read, the rows broken in
structure) or not at all: a run killed mid-file leaves no partial rows, and the
next run loads the file again. The ledger makes reruns idempotent: a file whose
content equals the last delivery under its key (date, kind, sender) is not
loaded again; a changed file is a resubmission, loaded as a new delivery that
replaces the old one once validated (the old one stays in history).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from psycopg import sql

from kaohe.contract import Contract, load_contract
from kaohe.landing import LandingFile, discover
from kaohe.readers import FileRejected, open_landing_file
from kaohe.schema import ensure_schema
from kaohe.warehouse import connect


@dataclass
class FileOutcome:
    file: str
    kind: str | None
    sender: str
    status: str  # pending (loaded, awaiting validation) | unchanged | rejected
    load_id: int | None = None
    rows_read: int = 0
    reason: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _reject(conn, load_id: int, lf: LandingFile, reason: str) -> FileOutcome:
    conn.execute(
        "update quarantine.file_loads set status = 'rejected', reason = %s, rows_read = 0,"
        " rows_loaded = 0, rows_quarantined = 0, validated_at = clock_timestamp() where load_id = %s",
        (reason, load_id),
    )
    conn.execute(
        "insert into quarantine.rejected_files (load_id, business_date, kind, file, reason) values (%s, %s, %s, %s, %s)",
        (load_id, lf.business_date, lf.kind, lf.name, reason),
    )
    return FileOutcome(lf.name, lf.kind, lf.sender, "rejected", load_id, 0, reason)


def load_file(conn, lf: LandingFile, contract: Contract) -> FileOutcome:
    kind_label = lf.kind or lf.path.stem.partition("__")[0].strip().lower()
    checksum = lf.checksum()
    with conn.transaction():
        # Two runs of the same date must not load one key twice.
        conn.execute(
            "select pg_advisory_xact_lock(hashtext(%s))", (f"{lf.business_date}|{kind_label}|{lf.sender}",)
        )
        last = conn.execute(
            "select checksum from quarantine.file_loads where business_date = %s and kind = %s and sender = %s"
            " order by load_id desc limit 1",
            (lf.business_date, kind_label, lf.sender),
        ).fetchone()
        if last and last[0] == checksum:
            return FileOutcome(lf.name, lf.kind, lf.sender, "unchanged")
        load_id = conn.execute(
            "insert into quarantine.file_loads (business_date, kind, sender, file, checksum, status)"
            " values (%s, %s, %s, %s, %s, 'pending') returning load_id",
            (lf.business_date, kind_label, lf.sender, lf.name, checksum),
        ).fetchone()[0]
        if lf.problem:
            return _reject(conn, load_id, lf, lf.problem)
        try:
            opened = open_landing_file(lf.path, lf.ext, contract, lf.kind)
        except FileRejected as exc:
            return _reject(conn, load_id, lf, exc.reason)
        try:
            with conn.transaction():  # savepoint: a file that breaks mid-stream is rejected whole
                rows_read, broken = _copy_rows(conn, load_id, opened, contract.kinds[lf.kind].column_names, lf.kind)
                if broken:
                    _quarantine_broken(conn, load_id, lf, broken)
        except FileRejected as exc:
            return _reject(conn, load_id, lf, exc.reason)
        except (OSError, ValueError, KeyError) as exc:
            return _reject(conn, load_id, lf, f"unreadable: the file broke off while reading ({type(exc).__name__}: {exc})")
        conn.execute(
            "update quarantine.file_loads set rows_read = %s, encoding = %s where load_id = %s",
            (rows_read, opened.encoding, load_id),
        )
    return FileOutcome(lf.name, lf.kind, lf.sender, "pending", load_id, rows_read)


def _copy_rows(conn, load_id: int, opened, columns: list[str], kind: str) -> tuple[int, list[tuple[int, str]]]:
    copy_sql = sql.SQL("copy raw.{} ({}) from stdin").format(
        sql.Identifier(kind),
        sql.SQL(", ").join(sql.Identifier(c) for c in ["_load_id", "_row_number", *columns, "_extra"]),
    )
    broken: list[tuple[int, str]] = []
    count = 0
    with conn.cursor() as cur, cur.copy(copy_sql) as copy:
        for row in opened.rows:
            values = row.values
            copy.write_row(
                (load_id, row.number, *[values.get(c) for c in columns],
                 json.dumps(row.extra, ensure_ascii=False) if row.extra else None)
            )
            if row.problem:
                broken.append((row.number, row.problem))
            count += 1
    return count, broken


def _quarantine_broken(conn, load_id: int, lf: LandingFile, broken: list[tuple[int, str]]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL(
                "insert into quarantine.rejected_rows (load_id, business_date, kind, file, row_number, rule, message, raw)"
                " select %s, %s, %s, %s, r._row_number, %s, %s,"
                " (to_jsonb(r) - '_load_id' - '_row_number' - '_extra') || coalesce(r._extra, '{{}}'::jsonb)"
                " from raw.{} r where r._load_id = %s and r._row_number = %s"
            ).format(sql.Identifier(lf.kind)),
            [
                (load_id, lf.business_date, lf.kind, lf.name, problem.split(":", 1)[0],
                 f"Row {number}: {problem.split(':', 1)[1].strip()}. Fix the row and send the file again.", load_id, number)
                for number, problem in broken
            ],
        )


def load_date(landing_root: Path, business_date: date, url: str | None = None) -> list[FileOutcome]:
    """Load every file of one business date; returns one outcome per file."""
    contract = load_contract()
    outcomes = []
    with connect(url) as conn:
        with conn.transaction():
            ensure_schema(conn, contract)
        for lf in discover(Path(landing_root), business_date, contract):
            outcomes.append(load_file(conn, lf, contract))
    return outcomes
