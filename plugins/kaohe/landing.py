"""Finding the files of one business date in the landing zone.

``<landing root>/<YYYY-MM-DD>/<kind>[__<sender>].<ext>``: the kind may be
written in English or Chinese, the sender is a department or work-group code.
Anything that does not fit is still reported (as a rejected file), never
skipped silently; only hidden files (``.DS_Store``, ``~$`` Excel lock files)
are ignored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from kaohe.contract import Contract, load_contract
from kaohe.districts import DEFAULT_CODE
from kaohe.settings import input_limits

SUPPORTED_EXTENSIONS = ("csv", "xlsx")
SENDER_PATTERN = re.compile(r"^(D[0-9]{2,4}|G[0-9]{2,4})$")


@dataclass(frozen=True)
class LandingFile:
    path: Path
    business_date: date
    district_code: str  # the district whose folder holds it
    kind: str | None  # None: not a kind of the contract
    sender: str  # '' when the file name names none
    ext: str
    problem: str | None = None  # why the file cannot be loaded at all, from its name or size alone

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def contract_kind(self) -> str:
        """The kind of a file the loader reads: a file of no kind has a ``problem`` and is rejected before."""
        if self.kind is None:
            raise ValueError(f"{self.name} is not a kind of the contract: it cannot be read")
        return self.kind

    def checksum(self) -> str:
        digest = hashlib.sha256()
        size = self.path.stat().st_size
        if size > input_limits().max_file_bytes:
            # rejected unread (size_problem): its size and first MiB tell one oversized delivery from another
            with open(self.path, "rb") as fh:
                digest.update(fh.read(1 << 20))
            return f"size:{size}:{digest.hexdigest()}"
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def parse_file_name(
    path: Path, business_date: date, contract: Contract, district_code: str = DEFAULT_CODE
) -> LandingFile:
    name = path.name.strip()
    stem, _, ext = name.rpartition(".")
    ext = ext.strip().lower()
    if not stem:
        stem, ext = name, ""
    kind_part, _, sender_part = stem.partition("__")
    kind_text = kind_part.strip().lower()
    by_zh = {k.zh: k.name for k in contract.kinds.values()}
    kind = kind_text if kind_text in contract.kinds else by_zh.get(kind_part.strip())
    sender = sender_part.strip().upper()
    problem = None
    if kind is None:
        problem = f"unknown_kind: '{kind_part.strip()}' is not a file kind of the data contract"
    elif ext not in SUPPORTED_EXTENSIONS:
        problem = f"unsupported_format: '.{ext}' files are not accepted (send .csv or .xlsx)"
    elif sender and not SENDER_PATTERN.match(sender):
        problem = f"bad_sender: '{sender_part.strip()}' in the file name is not a department or work-group code"
    return LandingFile(
        path=path,
        business_date=business_date,
        district_code=district_code,
        kind=kind,
        sender=sender,
        ext=ext,
        problem=problem,
    )


def megabytes(nbytes: int) -> str:
    return f"{nbytes / (1 << 20):,.0f} MB" if nbytes >= 1 << 20 else f"{nbytes:,} bytes"


def size_problem(path: Path) -> str | None:
    """Why a file is too large to be read at all (KAOHE_MAX_FILE_BYTES), or None."""
    size, limit = path.stat().st_size, input_limits().max_file_bytes
    if size <= limit:
        return None
    return (
        f"too_large: the file is {megabytes(size)}, more than the {megabytes(limit)} a file may have"
        " (KAOHE_MAX_FILE_BYTES); check that it is the right file — a day's delivery is far smaller —"
        " and send it again"
    )


def discover(
    landing_root: Path, business_date: date, contract: Contract | None = None, district_code: str = DEFAULT_CODE
) -> list[LandingFile]:
    """The files delivered for one business date, oldest first (newest wins a key)."""
    contract = contract or load_contract()
    folder = Path(landing_root) / business_date.isoformat()
    if not folder.is_dir():
        return []
    files = []
    for p in folder.iterdir():
        if p.is_file() and not p.name.startswith((".", "~$")):
            lf = parse_file_name(p, business_date, contract, district_code)
            if lf.problem is None and (too_large := size_problem(p)):
                lf = replace(lf, problem=too_large)
            files.append(lf)
    # "Newest = first seen by the warehouse last": among files of one key in one
    # folder, the most recently written one is loaded last and wins.
    return sorted(files, key=lambda f: (f.path.stat().st_mtime_ns, f.name))
