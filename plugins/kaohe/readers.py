"""Streaming readers: a landing file in, (row number, {column: text}) out.

Memory stays flat in file size: CSV is decoded and parsed incrementally and
xlsx is read with openpyxl's read-only (streaming) mode. Values come out
trimmed (full-width spaces too) and as text exactly as received: nothing is
evaluated, so ``=cmd|' /C calc'!A0`` stays that string.

Row numbers are spreadsheet row numbers: the header is row 1, the first data
row is row 2 — what a department clerk sees in Excel.

What a file may cost is bounded before and while it is read (settings.input_limits): its columns, the
length of a value and of a CSV line, what an .xlsx unpacks to. Past a limit the file is rejected whole.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kaohe.contract import Contract, normalise_header
from kaohe.landing import megabytes
from kaohe.settings import input_limits

ENCODINGS = ("utf-8-sig", "gb18030")  # strict UTF-8 (BOM or not) first, then GB18030 ⊇ GBK
CHUNK = 1 << 20


class FileRejected(Exception):
    """The file cannot be used as a whole; ``reason`` starts with a stable code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Row:
    number: int
    values: dict[str, str | None]
    extra: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # a structural fault found while reading (e.g. field count)


@dataclass
class OpenedFile:
    encoding: str
    columns: list[str]  # contract columns present in the file
    rows: Iterator[Row]


def detect_encoding(path: Path) -> str:
    """Strict UTF-8 first, then GB18030; neither → rejected. Streams the file once."""
    with open(path, "rb") as fh:
        head = fh.read(CHUNK)
        if not head:
            raise FileRejected("empty: the file is 0 bytes")
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileRejected(
                "encoding: the file is UTF-16 text (Excel's 'Unicode text'); save it as CSV UTF-8 and send it again"
            )
        if b"\x00" in head:
            raise FileRejected("not_text: the file contains binary data (NUL bytes); send a CSV text file")
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(CHUNK), b""):
                    if b"\x00" in block:
                        raise FileRejected("not_text: the file contains binary data (NUL bytes)")
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            if head.startswith(codecs.BOM_UTF8):
                # marked UTF-8 but not UTF-8: read as GB18030, the mark would become part of the first column's name
                raise FileRejected(
                    "encoding: the file starts with a UTF-8 mark (BOM) but is not UTF-8 text (GBK"
                    " after the mark?); save it as CSV UTF-8 and send it again"
                ) from None
    raise FileRejected(
        "encoding: the file is neither UTF-8 nor GB18030/GBK text; save it as CSV UTF-8 and send it again"
    )


def map_header(header: list[str], contract: Contract, kind: str) -> tuple[list[str | None], list[str]]:
    """Header cells -> contract column (or None for an extra column). Raises on missing columns."""
    named = len(header)
    while named and not (header[named - 1] or "").strip():
        named -= 1  # trailing blank cells (a formatted column, a trailing separator) are no columns
    limit = input_limits().max_columns
    if named > limit:
        raise FileRejected(
            f"too_many_columns: the header has {named:,} columns, more than the {limit:,} a file may"
            f" have (KAOHE_MAX_COLUMNS); a {kind} file has {len(contract.kinds[kind].column_names)}"
            " — check that it is the right file"
        )
    mapping = contract.header_map(kind)
    targets: list[str | None] = []
    seen: set[str] = set()
    for cell in header:
        col = mapping.get(normalise_header(cell or ""))
        if col in seen:
            raise FileRejected(f"duplicate_column: the column '{col}' appears twice in the header")
        if col:
            seen.add(col)
        targets.append(col)
    missing = [c for c in contract.kinds[kind].required if c not in seen]
    if missing:
        hint = ""
        joined = "".join(h or "" for h in header)
        for sep, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if sep in joined:
                hint = f" — the header looks separated by {label}, not commas"
                break
        raise FileRejected(f"missing_columns: required column(s) {', '.join(missing)} not found in the header{hint}")
    return targets, [c for c in targets if c]


def _rows(
    records: Iterator[list], targets: list[str | None], header: list[str], first_number: int, strict_width: bool = True
) -> Iterator[Row]:
    """Records → rows. ``strict_width``: a CSV record must have the header's
    field count; an xlsx row may leave trailing cells out (Excel does)."""
    width = len(targets)
    number = first_number
    for record in records:
        number += 1
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in record):
            continue  # blank lines are not rows (Excel leaves them at the end)
        values: dict[str, str | None] = {}
        extra: dict[str, str] = {}
        problem = None
        if strict_width and len(record) != width:
            problem = f"field_count: the row has {len(record)} fields but the header has {width}"
        for i, target in enumerate(targets):
            cell = record[i] if i < len(record) else None
            text = cell.strip() if isinstance(cell, str) else cell
            if target:
                values[target] = text or None
            elif text:
                extra[header[i] or f"column_{i + 1}"] = text
        for j in range(width, len(record)):
            if record[j] and str(record[j]).strip():
                extra[f"column_{j + 1}"] = str(record[j]).strip()
        yield Row(number=number, values=values, extra=extra, problem=problem)


def _bounded_lines(fh, limit: int) -> Iterator[str]:
    """The file's lines for csv.reader, none longer than ``limit`` characters: a file without line ends
    (or with thousands of columns on a line) is rejected instead of being held in memory whole."""
    for number, line in enumerate(iter(lambda: fh.readline(limit + 2), ""), 1):
        if len(line) > limit and len(line.rstrip("\r\n")) > limit:
            raise FileRejected(
                f"line_too_long: line {number:,} of the file is longer than {limit:,} characters"
                " (KAOHE_MAX_FIELD_CHARS); check that the file is a CSV export with one row"
                " per line"
            )
        yield line


def _field_too_large(line: int, limit: int) -> FileRejected:
    return FileRejected(
        f"field_too_large: a value starting near line {line:,} is longer than {limit:,} characters"
        ' (KAOHE_MAX_FIELD_CHARS) — often a quote (") that is never closed; fix the quotes'
        " and send the file again"
    )


def open_csv(path: Path, contract: Contract, kind: str) -> OpenedFile:
    encoding = detect_encoding(path)
    limit = input_limits().max_field_chars
    csv.field_size_limit(limit)  # process-wide; every reader here sets it from the same setting
    fh = open(path, encoding=encoding, newline="")
    reader = csv.reader(_bounded_lines(fh, limit), strict=True)
    try:
        header = next(reader)
        targets, columns = map_header(header, contract, kind)
    except StopIteration:
        fh.close()
        raise FileRejected("empty: the file has no header row") from None
    except csv.Error as exc:
        fh.close()
        if "field larger than field limit" in str(exc):
            raise _field_too_large(reader.line_num, limit) from None
        raise FileRejected(f"unreadable: the header cannot be parsed as CSV ({exc})") from None
    except BaseException:
        fh.close()
        raise

    def records() -> Iterator[list]:
        try:
            while True:
                try:
                    yield next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    if "field larger than field limit" in str(exc):
                        raise _field_too_large(reader.line_num, limit) from None
                    # A broken quote (e.g. a truncated file) ends parsing; the
                    # broken record is reported as one row, nothing is guessed.
                    yield [f"<unparseable: {exc}>"]
                    return
        finally:
            fh.close()

    rows = _rows(records(), targets, header, first_number=1)
    return OpenedFile(encoding=encoding, columns=columns, rows=_require_rows(rows))


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _unreadable_xlsx(exc: Exception) -> FileRejected:
    return FileRejected(
        f"unreadable: the .xlsx file cannot be read ({type(exc).__name__}); open it in Excel,"
        " save it again as .xlsx and send it again"
    )


def _check_unpacked_size(path: Path, limit: int) -> None:
    """An .xlsx is a zip: what it unpacks to is bounded before openpyxl reads it (a zip bomb is small on disk).
    The sizes in the zip's directory are a true bound: zipfile stops at them (and fails the CRC)."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable_xlsx(exc) from None
    if unpacked > limit:
        raise FileRejected(
            f"too_large: the .xlsx file unpacks to {megabytes(unpacked)}, more than the"
            f" {megabytes(limit)} a file may have (KAOHE_MAX_FILE_BYTES); check that it is the"
            " right file and that its first sheet holds only the day's rows"
        )


def open_xlsx(path: Path, contract: Contract, kind: str) -> OpenedFile:
    import openpyxl

    if path.stat().st_size == 0:
        raise FileRejected("empty: the file is 0 bytes")
    limits = input_limits()
    _check_unpacked_size(path, limits.max_file_bytes)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a third-party parser of whatever was sent: any fault is the file's
        raise _unreadable_xlsx(exc) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # rows as written: a stated A1:XFD1048576 must not pad every row
        records = sheet.iter_rows(values_only=True)
        header_cells = next(records, None)
    except Exception as exc:  # noqa: BLE001 - the same parser, reading the first row
        workbook.close()
        raise _unreadable_xlsx(exc) from None
    if header_cells is None:
        workbook.close()
        raise FileRejected("empty: the first sheet is empty")

    def text(cells) -> list[str | None]:
        values = [_cell_text(c) for c in cells]
        if any(v is not None and len(v) > limits.max_field_chars for v in values):
            raise FileRejected(
                f"field_too_large: a cell holds more than {limits.max_field_chars:,} characters"
                " (KAOHE_MAX_FIELD_CHARS); check that it is the right file"
            )
        return values

    try:
        header = [c or "" for c in text(header_cells)]
        targets, columns = map_header(header, contract, kind)
    except BaseException:
        workbook.close()
        raise

    def text_records() -> Iterator[list]:
        try:
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    return
                except Exception as exc:  # noqa: BLE001 - the same parser, reading later rows
                    raise _unreadable_xlsx(exc) from None
                yield text(record)
        finally:
            workbook.close()

    rows = _rows(text_records(), targets, header, first_number=1, strict_width=False)
    return OpenedFile(encoding="xlsx", columns=columns, rows=_require_rows(rows))


def _require_rows(rows: Iterator[Row]) -> Iterator[Row]:
    """Re-yield rows, rejecting a file that has a header but no data row."""
    first = next(rows, None)
    if first is None:
        raise FileRejected("header_only: the file has a header but no data rows")

    def chain() -> Iterator[Row]:
        yield first
        yield from rows

    return chain()


def open_landing_file(path: Path, ext: str, contract: Contract, kind: str) -> OpenedFile:
    if ext == "xlsx":
        return open_xlsx(path, contract, kind)
    return open_csv(path, contract, kind)
