"""Loading landing files into ``raw`` with PostgreSQL COPY, one transaction per file.

A file either lands whole (its ledger row, every row read, the rows broken in
structure) or not at all: a run killed mid-file leaves no partial rows, and the
next run loads the file again. The ledger makes reruns idempotent: a file whose
content equals the last delivery under its key (date, kind, sender) is not
loaded again; a changed file is a resubmission, loaded as a new delivery that
replaces the old one once validated (the old one stays in history).

The package by job: ``ledger`` (the file ledger: begin loads, record reads,
reject), ``csv_fast_path`` (plain CSV bytes straight into COPY), ``row_path``
(any file read row by row) and, here, the orchestration of one date.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

from kaohe.contract import Contract, load_contract
from kaohe.landing import LandingFile, discover
from kaohe.loader.csv_fast_path import NotPlain, PlainHeader, copy_plain, copy_sql, plain_header, stream_plain
from kaohe.loader.ledger import FileOutcome, begin_loads, key_label, record_reads, reject
from kaohe.loader.row_path import copy_rows
from kaohe.readers import FileRejected
from kaohe.schema import ensure_schema
from kaohe.warehouse import connect, scalar

__all__ = ["BATCH_BYTES", "FileOutcome", "NotPlain", "PlainHeader", "load_date", "load_file", "plain_header"]

BATCH_BYTES = 16 << 20  # plain CSV files are copied together, up to this much per transaction


def load_file(
    conn: psycopg.Connection, lf: LandingFile, contract: Contract, newest: bool = True, fast_path: bool = True
) -> FileOutcome:
    """One file in one transaction. ``newest``: no newer file of its key in the folder (see ledger.begin_loads);
    ``fast_path=False``: the row path even for a plain CSV file (the same rows and messages, slower)."""
    with conn.transaction():
        (load_id,) = begin_loads(conn, [(lf, lf.checksum())], newest)
        if load_id is None:
            return FileOutcome(lf.name, lf.kind, lf.sender, "unchanged")
        if lf.problem:
            return reject(conn, load_id, lf, lf.problem)
        read = copy_plain(conn, lf, contract, load_id) if fast_path and lf.ext == "csv" else None
        if read is None:
            try:
                read = copy_rows(conn, lf, contract, load_id)
            except FileRejected as exc:
                return reject(conn, load_id, lf, exc.reason)
        record_reads(conn, {load_id: read})
    return FileOutcome(lf.name, lf.kind, lf.sender, "pending", load_id, read[0])


def _load_plain_batch(conn: psycopg.Connection, batch: list[tuple[LandingFile, PlainHeader]]) -> list[FileOutcome]:
    """Several plain CSV files (of any kinds) in one transaction: two statements to register them, one COPY
    per kind and column order, one ledger update — a handful of round trips instead of about eight per file
    (most files are small: a department's day). Each file still lands whole or not at all; NotPlain or
    DataError from any file rolls the batch back, and the caller loads its files one by one."""
    outcomes: list[FileOutcome] = []
    with conn.transaction():
        load_ids = begin_loads(conn, [(lf, lf.checksum()) for lf, _ in batch])
        loaded: dict[int, tuple[LandingFile, PlainHeader, int]] = {}
        by_columns: dict[tuple[str, tuple[str, ...]], list] = {}
        for (lf, header), load_id in zip(batch, load_ids, strict=False):
            if load_id is None:
                outcomes.append(FileOutcome(lf.name, lf.kind, lf.sender, "unchanged"))
            else:
                by_columns.setdefault((lf.contract_kind, header.targets), []).append((lf, header, load_id))
        for (kind, targets), files in by_columns.items():
            with conn.cursor() as cur, cur.copy(copy_sql(kind, targets)) as copy:
                for lf, header, load_id in files:
                    loaded[load_id] = (lf, header, stream_plain(copy, lf, header, load_id))
        if loaded:
            record_reads(conn, {load_id: (rows, header.encoding) for load_id, (_, header, rows) in loaded.items()})
    outcomes += [
        FileOutcome(lf.name, lf.kind, lf.sender, "pending", load_id, rows) for load_id, (lf, _, rows) in loaded.items()
    ]
    return outcomes


def load_date(
    landing_root: Path, business_date: date, url: str | None = None, on_file=None, fast_path: bool = True
) -> list[FileOutcome]:
    """Load every file of one business date; returns one outcome per file.

    Plain CSV files (most of a day) are loaded together, in batches of up to BATCH_BYTES; everything else,
    and every file whose key (kind, sender) has more than one file in the folder (their order decides which one wins), file by
    file in the order delivered. ``on_file(landing_file, outcome, seconds)``, if given, is called after each
    file (a batch's time is shared among its files by rows); the benchmark times loading per format with it.
    ``fast_path=False`` reads every file row by row (the fast path's equivalence test compares the two).
    """
    contract = load_contract()
    outcomes = []
    with connect(url) as conn:
        with conn.transaction():
            default = ensure_schema(conn, contract)
        files = discover(Path(landing_root), business_date, contract, default.code)
        per_key = Counter((key_label(lf), lf.sender) for lf in files)
        plain: list[tuple[LandingFile, PlainHeader]] = []
        one_by_one = []
        for lf in files:
            header = None
            if fast_path and lf.ext == "csv" and not lf.problem and per_key[(key_label(lf), lf.sender)] == 1:
                try:
                    header = plain_header(lf.path, contract, lf.contract_kind)
                except NotPlain:
                    pass
            if header is None:
                one_by_one.append(lf)
            else:
                plain.append((lf, header))

        def report(lf, outcome, seconds):
            outcomes.append(outcome)
            if on_file:
                on_file(lf, outcome, seconds)

        for batch in _chunks(plain):
            started = time.perf_counter()
            try:
                batch_outcomes = _load_plain_batch(conn, batch)
            except (NotPlain, psycopg.DataError):
                one_by_one += [lf for lf, _ in batch]  # rolled back: each file on its own (any order: one per key)
                continue
            seconds = time.perf_counter() - started
            total = sum(o.rows_read for o in batch_outcomes) or 1
            by_name = {lf.name: lf for lf, _ in batch}
            for outcome in batch_outcomes:
                report(by_name[outcome.file], outcome, seconds * (outcome.rows_read or 0) / total)
        newest = {(key_label(lf), lf.sender): lf.name for lf in files}  # oldest first: the last one stays
        for lf in one_by_one:
            started = time.perf_counter()
            outcome = load_file(conn, lf, contract, newest[(key_label(lf), lf.sender)] == lf.name, fast_path)
            report(lf, outcome, time.perf_counter() - started)
        _analyze_grown(conn, outcomes)
    return outcomes


def _analyze_grown(conn: psycopg.Connection, outcomes: list[FileOutcome]) -> None:
    """Fresh statistics for the tables this load grew a lot: validation queries them at once, and
    autovacuum's ANALYZE comes later — with stale estimates the planner picked nested loops."""
    rows: Counter = Counter()
    for outcome in outcomes:
        if outcome.status == "pending" and outcome.kind:
            rows[outcome.kind] += outcome.rows_read
    for kind, added in rows.items():
        # the new pages into the BRIN index now (unsummarised pages match every lookup)
        conn.execute("select brin_summarize_new_values(%s::regclass)", (f"raw.{kind}_load_brin",))
        estimate = scalar(
            conn, "select greatest(reltuples, 0) from pg_class where oid = %s::regclass", (f"raw.{kind}",)
        )
        if added >= 1000 and added > 0.2 * estimate:
            conn.execute(sql.SQL("analyze raw.{}").format(sql.Identifier(kind)))
    if sum(o.status == "pending" for o in outcomes) >= 500:
        conn.execute("analyze quarantine.file_loads")


def _chunks(files: list) -> list[list]:
    """Consecutive runs of files up to BATCH_BYTES (a file larger than that is a batch of its own)."""
    chunks: list[list] = []
    current: list = []
    size = 0
    for item in files:
        nbytes = item[0].path.stat().st_size
        if current and size + nbytes > BATCH_BYTES:
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += nbytes
    if current:
        chunks.append(current)
    return chunks
