"""File output: CSV (UTF-8, UTF-8 with BOM, GBK) and xlsx, in the shapes the
districts really send.

Rows are written one at a time (csv.writer on an open file, openpyxl in
write-only mode), so even a province-sized day never sits in memory as text.
Values arrive as Python objects (date, bool, int, float, str, None) and are
rendered per file format; a str is always written as given, which is how
planted bad values ('2026-13-45', '1,200') reach the file untouched.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from kaohe.contract import Column, Contract, Kind

# Fixed timestamps make xlsx files byte-identical from run to run.
_XLSX_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class FileFormat:
    ext: str = "csv"
    encoding: str = "utf-8"  # utf-8 / utf-8-sig / gbk
    headers: str = "en"  # en / zh / en_upper (' DEPT_CODE ': matching ignores case and spaces)
    labels: str = "en"  # enum values as English values or Chinese labels
    dates: str = "iso"  # iso YYYY-MM-DD / slash YYYY/M/D (ignored for xlsx: real date cells)
    bools: str = "en"  # true/false or 是/否
    lower_codes: bool = False  # 'd07': codes are upper-cased by the loader
    omit_optional: bool = False  # optional columns left out entirely
    extra_column: tuple[str, str] | None = None  # an unknown column, kept raw by the loader

    @property
    def suffix(self) -> str:
        return "." + self.ext


UTF8 = FileFormat()
UTF8_SLASH = FileFormat(dates="slash")
UTF8_LOWER = FileFormat(lower_codes=True, headers="en_upper")
BOM = FileFormat(encoding="utf-8-sig")
BOM_ZH = FileFormat(encoding="utf-8-sig", headers="zh", labels="zh", bools="zh")
GBK = FileFormat(encoding="gbk", headers="zh", labels="zh", dates="slash", bools="zh")
GBK_EXTRA = FileFormat(
    encoding="gbk",
    headers="zh",
    labels="zh",
    dates="slash",
    bools="zh",
    omit_optional=True,
    extra_column=("填报人", "综合股"),
)
XLSX = FileFormat(ext="xlsx")
DROPPABLE_OPTIONAL = {"note", "reason", "document_no", "basis", "subject"}
XLSX_ZH = FileFormat(ext="xlsx", headers="zh", labels="zh", bools="zh")
XLSX_ZH_LEAN = FileFormat(ext="xlsx", headers="zh", labels="zh", bools="zh", omit_optional=True)

# Department n (0-based index mod 40) always sends the same way, like a real clerk.
_DEPT_FORMATS = {
    3: GBK,
    12: GBK_EXTRA,
    21: GBK,
    30: GBK,
    8: XLSX,
    26: XLSX_ZH_LEAN,
    5: BOM,
    17: BOM,
    35: BOM_ZH,
    10: UTF8_SLASH,
    33: UTF8_SLASH,
    14: UTF8_LOWER,
}
_GROUP_FORMATS = {3: GBK, 12: GBK, 8: XLSX_ZH, 16: BOM}


def dept_format(index: int) -> FileFormat:
    return _DEPT_FORMATS.get(index % 40, UTF8)


def group_format(index: int) -> FileFormat:
    return _GROUP_FORMATS.get(index % 21, UTF8)


# Reference snapshots and office files: one fixed format each.
KIND_FORMATS = {
    "departments": GBK,
    "cadres": BOM_ZH,
    "indicators": XLSX_ZH,
    "indicator_assignments": UTF8,
    "projects": GBK,
    "project_milestones": UTF8,
    "demolition_groups": XLSX_ZH,
    "demolition_group_members": UTF8,
    "demolition_targets": BOM,
    "bonus_penalty": GBK,
    "supervision": BOM,
    "evaluations": UTF8,
    "commendations": XLSX_ZH,
}


def file_name(kind: str, sender: str | None, fmt: FileFormat) -> str:
    return f"{kind}__{sender}{fmt.suffix}" if sender else f"{kind}{fmt.suffix}"


def _header(col: Column, fmt: FileFormat) -> str:
    if fmt.headers == "zh":
        return col.zh or col.name
    if fmt.headers == "en_upper":
        return f" {col.name.upper()} "
    return col.name


def _number_text(v: int | float) -> str:
    # repr of a float rounded to 2 places is its shortest form: 1234.5, never 1e+03.
    return str(v) if isinstance(v, int) else repr(v)


def _formatter(col: Column, fmt: FileFormat, contract: Contract) -> Callable[[Any], Any]:
    xlsx = fmt.ext == "xlsx"
    labels = contract.enums[col.type_arg] if col.base_type == "enum" and fmt.labels == "zh" else {}
    lower = fmt.lower_codes and col.base_type == "code"
    true, false = ("是", "否") if fmt.bools == "zh" else ("true", "false")

    def render(v: Any) -> Any:
        if v is None:
            return None if xlsx else ""
        if isinstance(v, str):
            if labels:
                return labels.get(v, v)
            return v.lower() if lower else v
        if isinstance(v, bool):
            return true if v else false
        if isinstance(v, dt.date):
            if xlsx:
                return v
            return f"{v.year}/{v.month}/{v.day}" if fmt.dates == "slash" else v.isoformat()
        if isinstance(v, (int, float)):
            return v if xlsx else _number_text(v)
        raise TypeError(f"cannot write {v!r} to {col.name}")

    return render


class TableWriter:
    """One landing file. `write(row)` returns the row's spreadsheet row number."""

    def __init__(self, path: Path, kind: Kind, fmt: FileFormat, contract: Contract):
        self.path, self.kind, self.fmt = path, kind, fmt
        # Only free-text optional columns may be left out: leaving out one that
        # carries data (indicators.source, an event's cadre_id) changes its meaning.
        self.columns = [
            c for c in kind.columns if not (fmt.omit_optional and c.optional and c.name in DROPPABLE_OPTIONAL)
        ]
        self._render = [(c.name, _formatter(c, fmt, contract)) for c in self.columns]
        header = [_header(c, fmt) for c in self.columns]
        if fmt.extra_column:
            header.append(fmt.extra_column[0])
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt.ext == "csv":
            self._fh = open(path, "w", encoding=fmt.encoding, newline="")
            self._csv = csv.writer(self._fh)  # excel dialect: RFC 4180 quoting, CRLF
            self._append = self._csv.writerow
        else:
            self._wb = Workbook(write_only=True)
            self._ws = self._wb.create_sheet(kind.zh)
            self._append = self._ws.append
        self._append(header)

    def write(self, row: dict[str, Any]) -> int:
        values = [render(row.get(name)) for name, render in self._render]
        if self.fmt.extra_column:
            values.append(self.fmt.extra_column[1])
        self._append(values)
        self.rows += 1
        return self.rows + 1

    def close(self) -> None:
        if self.fmt.ext == "csv":
            self._fh.close()
        else:
            save_xlsx(self._wb, self.path)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one timestamp (openpyxl uses 'now')."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with open(filename, "rb") as fh:
            self.writestr(arcname or str(filename), fh.read())


def save_xlsx(wb: Workbook, path: Path) -> None:
    """Save without openpyxl's save_workbook, which stamps `modified` with now."""
    wb.properties.created = _XLSX_TIME
    wb.properties.modified = _XLSX_TIME
    wb.properties.creator = "kaohe generator"
    archive = _FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
