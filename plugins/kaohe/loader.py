"""Loading landing files into ``raw`` with PostgreSQL COPY, one transaction per file.

A file either lands whole (its ledger row, every row read, the rows broken in
structure) or not at all: a run killed mid-file leaves no partial rows, and the
next run loads the file again. The ledger makes reruns idempotent: a file whose
content equals the last delivery under its key (date, kind, sender) is not
loaded again; a changed file is a resubmission, loaded as a new delivery that
replaces the old one once validated (the old one stays in history).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import psycopg
from psycopg import sql

from kaohe.contract import Contract, load_contract
from kaohe.landing import LandingFile, discover
from kaohe.readers import FileRejected, _map_header, detect_encoding, open_landing_file
from kaohe.schema import ensure_schema
from kaohe.settings import input_limits
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


def _key_label(lf: LandingFile) -> str:
    return lf.kind or lf.path.stem.partition("__")[0].strip().lower()


def _begin_loads(conn, files: list[tuple[LandingFile, str]], newest: bool = True) -> list[int | None]:
    """Inside the caller's transaction: lock each file's key (two runs of one date must not load a key twice)
    and add its ledger row unless it is unchanged (→ None).

    ``newest``: the files are the newest of their key in the folder — unchanged when their content equals the
    key's last delivery, so that whatever is loaded, the folder's newest file is the key's newest delivery.
    Otherwise (an older file of a key, superseded by a resend in the same folder) unchanged when its content
    equals the last delivery under its own file name, or, never delivered under that name, any delivery of
    the key: comparing it with the key's last delivery (the resend) would load both files on every rerun.

    Two statements for any number of files (keys distinct): the locks first, in a fixed order (no deadlock
    between two runs), then the inserts — a statement of their own, so that they see every delivery
    committed before the locks were granted.
    """
    labels = [_key_label(lf) for lf, _ in files]
    keys = [f"{lf.business_date}|{label}|{lf.sender}" for (lf, _), label in zip(files, labels)]
    conn.execute("select count(pg_advisory_xact_lock(h)) from (select hashtext(k) as h from unnest(%s::text[]) k"
                 " order by 1) locks", (keys,))
    same_key = "f.business_date = u.business_date and f.kind = u.kind and f.sender = u.sender"
    rows = conn.execute(
        "insert into quarantine.file_loads (business_date, kind, sender, file, checksum, status)"
        " select u.business_date, u.kind, u.sender, u.file, u.checksum, 'pending'"
        " from unnest(%s::date[], %s::text[], %s::text[], %s::text[], %s::text[]) u (business_date, kind, sender, file, checksum)"
        " where case when %s"
        f" then (select f.checksum from quarantine.file_loads f where {same_key} order by f.load_id desc limit 1)"
        "      is distinct from u.checksum"
        f" else not coalesce((select f.checksum = u.checksum from quarantine.file_loads f where {same_key}"
        "                     and f.file = u.file order by f.load_id desc limit 1),"
        f"                    exists (select from quarantine.file_loads f where {same_key} and f.checksum = u.checksum))"
        " end"
        " returning load_id, file",
        ([lf.business_date for lf, _ in files], labels, [lf.sender for lf, _ in files],
         [lf.name for lf, _ in files], [checksum for _, checksum in files], newest),
    ).fetchall()
    by_file = {file: load_id for load_id, file in rows}
    return [by_file.get(lf.name) for lf, _ in files]


def load_file(conn, lf: LandingFile, contract: Contract, newest: bool = True) -> FileOutcome:
    """One file in one transaction. ``newest``: no newer file of its key in the folder (see _begin_loads)."""
    with conn.transaction():
        (load_id,) = _begin_loads(conn, [(lf, lf.checksum())], newest)
        if load_id is None:
            return FileOutcome(lf.name, lf.kind, lf.sender, "unchanged")
        if lf.problem:
            return _reject(conn, load_id, lf, lf.problem)
        read = _copy_plain(conn, lf, contract, load_id) if lf.ext == "csv" else None
        if read is None:
            try:
                opened = open_landing_file(lf.path, lf.ext, contract, lf.kind)
            except FileRejected as exc:
                return _reject(conn, load_id, lf, exc.reason)
            try:
                with conn.transaction():  # savepoint: a file that breaks mid-stream is rejected whole
                    rows_read, broken = _copy_rows(conn, load_id, opened, contract.kinds[lf.kind].column_names,
                                                   lf.kind)
                    if broken:
                        _quarantine_broken(conn, load_id, lf, broken)
            except FileRejected as exc:
                return _reject(conn, load_id, lf, exc.reason)
            except (OSError, ValueError, KeyError) as exc:
                return _reject(conn, load_id, lf,
                               f"unreadable: the file broke off while reading ({type(exc).__name__}: {exc})")
            read = (rows_read, opened.encoding)
        _record_reads(conn, {load_id: read})
    return FileOutcome(lf.name, lf.kind, lf.sender, "pending", load_id, read[0])


def _copy_plain(conn, lf: LandingFile, contract: Contract, load_id: int) -> tuple[int, str] | None:
    """A CSV file COPY'd as it is (rows read, encoding), or None when the row-by-row path must decide."""
    try:
        with conn.transaction():  # savepoint: a file that is not plain goes row by row
            header = plain_header(lf.path, contract, lf.kind)
            with conn.cursor() as cur, cur.copy(_plain_copy_sql(lf.kind, header.targets)) as copy:
                return _stream_plain(copy, lf.path, header, load_id), header.encoding
    except (NotPlain, psycopg.DataError):
        return None  # DataError: PostgreSQL's CSV parser disagreed (a field count, say)


def _record_reads(conn, reads: dict[int, tuple[int, str]]) -> None:
    """The ledger rows' rows_read and encoding, load id -> (rows, encoding), in one statement."""
    conn.execute(
        "update quarantine.file_loads f set rows_read = u.rows_read, encoding = u.encoding"
        " from unnest(%s::bigint[], %s::int[], %s::text[]) u (load_id, rows_read, encoding)"
        " where f.load_id = u.load_id",
        (list(reads), [rows for rows, _ in reads.values()], [encoding for _, encoding in reads.values()]),
    )


class NotPlain(Exception):
    """The file needs the row-by-row path (see _stream_plain)."""


# Faults that need the row path's rules, found block by block with C-speed scans: a quote; a tab or other
# control whitespace; a space at a field's edge; a blank line or one starting with a separator.
_FAULT_BYTES = bytes(range(256)).translate(None, b'"\t\x0b\x0c\x1c\x1d\x1e\x1f')  # all bytes but those
# Python's other str.strip() whitespace, in UTF-8 (anywhere in a block sends it to the line-by-line check)
_UNICODE_LEADS = bytes(range(256)).translate(None, b"\xc2\xe1\xe2\xe3")  # all bytes but their first bytes
_UNICODE_SPACE = re.compile(rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")
_WS = rb"(?:[\t\x0b\x0c\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)"
# The exact per-line test: a quote, whitespace at a field's edge, a line of nothing but separators.
_SUSPICIOUS_LINE = re.compile(rb'"|(?:^|,)' + _WS + rb"|" + _WS + rb"(?:,|$)|^,*$")
_BLOCK = 1 << 20
BATCH_BYTES = 16 << 20  # plain CSV files are copied together, up to this much per transaction


@dataclass(frozen=True)
class PlainHeader:
    encoding: str
    targets: tuple[str, ...]  # contract columns, in the file's order
    offset: int  # where the first data line starts


def plain_header(path: Path, contract: Contract, kind: str) -> PlainHeader:
    """The header of a CSV file that can be copied as it is, or NotPlain (the row path decides).

    A file whose first 64 KiB are UTF-8 is sent as UTF-8 without decoding the rest in Python: PostgreSQL
    validates every byte as it copies (a NUL or a stray byte further on fails the COPY, and the file goes
    the row path, which detects the encoding exactly). Otherwise the encoding is detected here (GB18030).
    """
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if b"\n" not in head:
        raise NotPlain  # no data line in the first 64 KiB (or a header that long): the row path decides
    try:
        if b"\x00" in head:
            raise NotPlain
        # not final unless the file ended: a character cut at the end of the 64 KiB is fine
        codecs.getincrementaldecoder("utf-8-sig")(errors="strict").decode(head, final=len(head) < 1 << 16)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        try:
            encoding = detect_encoding(path)
        except FileRejected:
            raise NotPlain from None
    header_bytes = head[:head.index(b"\n") + 1]
    try:
        header = next(csv.reader([header_bytes.decode(encoding)], strict=True))
        targets, _ = _map_header(header, contract, kind)
    except (FileRejected, csv.Error, StopIteration, UnicodeDecodeError):
        raise NotPlain from None
    if None in targets:
        raise NotPlain  # an extra column goes to _extra: the row path's job
    return PlainHeader(encoding, tuple(targets), len(header_bytes))


def _plain_copy_sql(kind: str, targets: tuple[str, ...]):
    # force_null: a quoted empty field is null too, as the row path makes every empty value
    return sql.SQL("copy raw.{} ({}) from stdin with (format csv, force_null ({}))").format(
        sql.Identifier(kind),
        sql.SQL(", ").join(sql.Identifier(c) for c in ["_load_id", "_row_number", *targets]),
        sql.SQL(", ").join(sql.Identifier(c) for c in targets),
    )


def _suspicious(data: bytes) -> bool:
    """Whether a block may hold a line the row path would read differently (a blank line is checked by the
    caller). Cheapest scans first; each is one C-speed pass over the block."""
    if data[:1] in (b" ", b",") or data.translate(None, _FAULT_BYTES) or b"\n," in data:
        return True
    flat = data.replace(b"\n", b",")  # a space at a line's edge is then a space at a field's edge
    if b", " in flat or b" ," in flat:
        return True
    if data.isascii():
        return False
    return bool(data.translate(None, _UNICODE_LEADS)) and _UNICODE_SPACE.search(data) is not None


def _stream_plain(copy, path: Path, header: PlainHeader, load_id: int) -> int:
    """Send a plain CSV file's data lines into a COPY, each prefixed with the load id and its spreadsheet row
    number: the rows the row path would write, without Python per value (≈ psql \copy's speed).

    Lines that need the row path's rules (a quote, spaces to trim, a blank line) are parsed with the csv
    module one by one and written back quoted. Anything else — a record spanning lines, a bare CR, a field
    count PostgreSQL rejects (DataError, raised by the COPY) — raises, the caller rolls the copy back, and the
    file takes the row path, which reports it precisely. Returns the rows sent.
    """
    width = len(header.targets)
    longest = input_limits().max_field_chars  # a longer line (or none at all) is the row path's to judge
    decoder = codecs.getincrementaldecoder(header.encoding)() if header.encoding != "utf-8-sig" else None
    prefix = b"%d," % load_id
    number = 1  # the header is row 1
    rows = 0
    rest = b""
    with open(path, "rb") as fh:
        fh.seek(header.offset)
        while True:
            block = fh.read(_BLOCK)
            end = not block
            if decoder is not None:  # GB18030 → UTF-8, the connection's encoding
                block = decoder.decode(block, final=end).encode()
            block = rest + block
            if end:
                if not block:
                    break
                data, rest = (block if block.endswith(b"\n") else block + b"\n"), b""
            else:
                cut = block.rfind(b"\n") + 1
                data, rest = block[:cut], block[cut:]
                if len(rest) > longest:
                    raise NotPlain
                if not data:
                    continue
            if b"\r" in data:
                data = data.replace(b"\r\n", b"\n")
                if b"\r" in data:
                    raise NotPlain  # a bare CR ends a record for the csv module, not for PostgreSQL
            lines = data[:-1].split(b"\n")
            if b"\\." in data and b"\\." in lines:
                raise NotPlain  # a line "\." would end COPY's input
            if b"" not in lines and not _suspicious(data):
                copy.write(b"".join([b"%s%d,%s\n" % (prefix, number + i, line) for i, line in enumerate(lines, 1)]))
                number += len(lines)
                rows += len(lines)
                continue
            out = []
            for line in lines:
                number += 1
                if _SUSPICIOUS_LINE.search(line) is None:
                    out.append(b"%s%d,%s\n" % (prefix, number, line))
                    rows += 1
                    continue
                if line.count(b'"') % 2:
                    raise NotPlain  # a record spanning lines
                try:
                    record = next(csv.reader([line.decode()], strict=True), [])
                except csv.Error:
                    raise NotPlain from None
                values = [v.strip() for v in record]
                if not any(values):
                    continue  # a blank line is not a row (its number is still counted)
                if len(values) != width:
                    raise NotPlain  # the row path quarantines it as field_count
                text = io.StringIO()
                csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow(values)
                out.append(b"%s%d,%s" % (prefix, number, text.getvalue().encode()))
                rows += 1
            copy.write(b"".join(out))
    if rows == 0:
        raise NotPlain  # header only: the row path rejects it with its reason
    return rows


def _load_plain_batch(conn, batch: list[tuple[LandingFile, PlainHeader]]) -> list[FileOutcome]:
    """Several plain CSV files (of any kinds) in one transaction: two statements to register them, one COPY
    per kind and column order, one ledger update — a handful of round trips instead of about eight per file
    (most files are small: a department's day). Each file still lands whole or not at all; NotPlain or
    DataError from any file rolls the batch back, and the caller loads its files one by one."""
    outcomes: list[FileOutcome] = []
    with conn.transaction():
        load_ids = _begin_loads(conn, [(lf, lf.checksum()) for lf, _ in batch])
        loaded: dict[int, tuple[LandingFile, PlainHeader, int]] = {}
        by_columns: dict[tuple[str, tuple[str, ...]], list] = {}
        for (lf, header), load_id in zip(batch, load_ids):
            if load_id is None:
                outcomes.append(FileOutcome(lf.name, lf.kind, lf.sender, "unchanged"))
            else:
                by_columns.setdefault((lf.kind, header.targets), []).append((lf, header, load_id))
        for (kind, targets), files in by_columns.items():
            with conn.cursor() as cur, cur.copy(_plain_copy_sql(kind, targets)) as copy:
                for lf, header, load_id in files:
                    loaded[load_id] = (lf, header, _stream_plain(copy, lf.path, header, load_id))
        if loaded:
            _record_reads(conn, {load_id: (rows, header.encoding) for load_id, (_, header, rows) in loaded.items()})
    outcomes += [FileOutcome(lf.name, lf.kind, lf.sender, "pending", load_id, rows)
                 for load_id, (lf, _, rows) in loaded.items()]
    return outcomes


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
    """The rows broken in structure, into quarantine in one statement (one join over the load's rows, not a
    lookup per row: raw has no per-row index)."""
    conn.execute(
        sql.SQL(
            "insert into quarantine.rejected_rows (load_id, business_date, kind, file, row_number, rule, message, raw)"
            " select %s, %s, %s, %s, r._row_number, b.rule, b.message,"
            " (to_jsonb(r) - '_load_id' - '_row_number' - '_extra') || coalesce(r._extra, '{{}}'::jsonb)"
            " from raw.{} r join unnest(%s::int[], %s::text[], %s::text[]) b (row_number, rule, message)"
            " on b.row_number = r._row_number where r._load_id = %s"
        ).format(sql.Identifier(lf.kind)),
        (load_id, lf.business_date, lf.kind, lf.name,
         [number for number, _ in broken],
         [problem.split(":", 1)[0] for _, problem in broken],
         [f"Row {number}: {problem.split(':', 1)[1].strip()}. Fix the row and send the file again." for number, problem in broken],
         load_id),
    )


def load_date(landing_root: Path, business_date: date, url: str | None = None, on_file=None) -> list[FileOutcome]:
    """Load every file of one business date; returns one outcome per file.

    Plain CSV files (most of a day) are loaded together, in batches of up to BATCH_BYTES; everything else,
    and every file whose key (kind, sender) has more than one file in the folder (their order decides which one wins), file by
    file in the order delivered. ``on_file(landing_file, outcome, seconds)``, if given, is called after each
    file (a batch's time is shared among its files by rows); the benchmark times loading per format with it.
    """
    contract = load_contract()
    outcomes = []
    with connect(url) as conn:
        with conn.transaction():
            ensure_schema(conn, contract)
        files = discover(Path(landing_root), business_date, contract)
        per_key = Counter((_key_label(lf), lf.sender) for lf in files)
        plain: list[tuple[LandingFile, PlainHeader]] = []
        one_by_one = []
        for lf in files:
            header = None
            if lf.ext == "csv" and not lf.problem and per_key[(_key_label(lf), lf.sender)] == 1:
                try:
                    header = plain_header(lf.path, contract, lf.kind)
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
        newest = {(_key_label(lf), lf.sender): lf.name for lf in files}  # oldest first: the last one stays
        for lf in one_by_one:
            started = time.perf_counter()
            outcome = load_file(conn, lf, contract, newest[(_key_label(lf), lf.sender)] == lf.name)
            report(lf, outcome, time.perf_counter() - started)
        _analyze_grown(conn, outcomes)
    return outcomes


def _analyze_grown(conn, outcomes: list[FileOutcome]) -> None:
    """Fresh statistics for the tables this load grew a lot: validation queries them at once, and
    autovacuum's ANALYZE comes later — with stale estimates the planner picked nested loops."""
    rows: Counter = Counter()
    for outcome in outcomes:
        if outcome.status == "pending" and outcome.kind:
            rows[outcome.kind] += outcome.rows_read
    for kind, added in rows.items():
        # the new pages into the BRIN index now (unsummarised pages match every lookup)
        conn.execute("select brin_summarize_new_values(%s::regclass)", (f"raw.{kind}_load_brin",))
        estimate = conn.execute("select greatest(reltuples, 0) from pg_class where oid = %s::regclass",
                                (f"raw.{kind}",)).fetchone()[0]
        if added >= 1000 and added > 0.2 * estimate:
            conn.execute(sql.SQL("analyze raw.{}").format(sql.Identifier(kind)))
    if sum(o.status == "pending" for o in outcomes) >= 500:
        conn.execute("analyze quarantine.file_loads")


def _chunks(files: list) -> list[list]:
    """Consecutive runs of files up to BATCH_BYTES (a file larger than that is a batch of its own)."""
    chunks, current, size = [], [], 0
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
