r"""The plain-CSV fast path: a CSV file's bytes straight into PostgreSQL COPY, without Python per value.

Most of a day is plain CSV (UTF-8 or GBK, a header the contract knows, no extra column, one record per
line). Such a file is streamed into ``COPY ... (format csv)`` block by block, each line prefixed with its
load id and spreadsheet row number — the rows the row path (kaohe.loader.row_path) would write, at about
psql ``\copy``'s speed. Anything the row path's rules must judge raises NotPlain (or PostgreSQL's DataError
from the COPY); the caller rolls the copy back and the file takes the row path, which reports it precisely.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from kaohe.contract import Contract
from kaohe.landing import LandingFile
from kaohe.readers import FileRejected, detect_encoding, map_header
from kaohe.settings import input_limits


class NotPlain(Exception):
    """The file needs the row-by-row path (see stream_plain)."""


# Faults that need the row path's rules, found block by block with C-speed scans: a quote; a tab or other
# control whitespace; a space at a field's edge; a blank line or one starting with a separator.
_FAULT_BYTES = bytes(range(256)).translate(None, b'"\t\x0b\x0c\x1c\x1d\x1e\x1f')  # all bytes but those
# Python's other str.strip() whitespace, in UTF-8 (anywhere in a block sends it to the line-by-line check)
_UNICODE_LEADS = bytes(range(256)).translate(None, b"\xc2\xe1\xe2\xe3")  # all bytes but their first bytes
_UNICODE_SPACE = re.compile(rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")
_WS = (
    rb"(?:[\t\x0b\x0c\x1c-\x1f ]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)"
)
# The exact per-line test: a quote, whitespace at a field's edge, a line of nothing but separators.
_SUSPICIOUS_LINE = re.compile(rb'"|(?:^|,)' + _WS + rb"|" + _WS + rb"(?:,|$)|^,*$")
_BLOCK = 1 << 20


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
    header_bytes = head[: head.index(b"\n") + 1]
    try:
        header = next(csv.reader([header_bytes.decode(encoding)], strict=True))
        targets, _ = map_header(header, contract, kind)
    except (FileRejected, csv.Error, StopIteration, UnicodeDecodeError):
        raise NotPlain from None
    named = tuple(t for t in targets if t is not None)
    if len(named) < len(targets):
        raise NotPlain  # an extra column goes to _extra: the row path's job
    return PlainHeader(encoding, named, len(header_bytes))


def copy_sql(kind: str, targets: tuple[str, ...]):
    # force_null: a quoted empty field is null too, as the row path makes every empty value
    return sql.SQL("copy raw.{} ({}) from stdin with (format csv, force_null ({}))").format(
        sql.Identifier(kind),
        sql.SQL(", ").join(sql.Identifier(c) for c in ["_load_id", "district_code", "_row_number", *targets]),
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


def stream_plain(copy, lf: LandingFile, header: PlainHeader, load_id: int) -> int:
    r"""Send a plain CSV file's data lines into a COPY, each prefixed with the load id, the district and its
    spreadsheet row number: the rows the row path would write, without Python per value (≈ psql \copy's speed).

    Lines that need the row path's rules (a quote, spaces to trim, a blank line) are parsed with the csv
    module one by one and written back quoted. Anything else — a record spanning lines, a bare CR, a field
    count PostgreSQL rejects (DataError, raised by the COPY) — raises, the caller rolls the copy back, and the
    file takes the row path, which reports it precisely. Returns the rows sent.
    """
    width = len(header.targets)
    longest = input_limits().max_field_chars  # a longer line (or none at all) is the row path's to judge
    decoder = codecs.getincrementaldecoder(header.encoding)() if header.encoding != "utf-8-sig" else None
    prefix = b"%d,%s," % (load_id, lf.district_code.encode())  # a code is A-Z and 0-9: nothing to quote
    number = 1  # the header is row 1
    rows = 0
    rest = b""
    with open(lf.path, "rb") as fh:
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


def copy_plain(conn: psycopg.Connection, lf: LandingFile, contract: Contract, load_id: int) -> tuple[int, str] | None:
    """A CSV file COPY'd as it is (rows read, encoding), or None when the row-by-row path must decide."""
    try:
        with conn.transaction():  # savepoint: a file that is not plain goes row by row
            header = plain_header(lf.path, contract, lf.contract_kind)
            with conn.cursor() as cur, cur.copy(copy_sql(lf.contract_kind, header.targets)) as copy:
                return stream_plain(copy, lf, header, load_id), header.encoding
    except (NotPlain, psycopg.DataError):
        return None  # DataError: PostgreSQL's CSV parser disagreed (a field count, say)
