"""The file ledger (``quarantine.file_loads``): one row per delivery, keyed by (district, date, kind, sender).

A load begins by locking its files' keys and adding their ledger rows (or finding them unchanged), records
what was read, or rejects the file whole — always inside the caller's transaction, so that the ledger row,
the rows in raw and the rejects land together or not at all.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from kaohe.landing import LandingFile

if TYPE_CHECKING:
    import psycopg


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


def key_label(lf: LandingFile) -> str:
    """The kind part of a file's ledger key (the name's own for a kind the contract does not know)."""
    return lf.kind or lf.path.stem.partition("__")[0].strip().lower()


def begin_loads(
    conn: psycopg.Connection, files: list[tuple[LandingFile, str]], newest: bool = True
) -> list[int | None]:
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
    labels = [key_label(lf) for lf, _ in files]
    keys = [
        f"{lf.district_code}|{lf.business_date}|{label}|{lf.sender}"
        for (lf, _), label in zip(files, labels, strict=False)
    ]
    conn.execute(
        "select count(pg_advisory_xact_lock(h)) from (select hashtext(k) as h from unnest(%s::text[]) k"
        " order by 1) locks",
        (keys,),
    )
    same_key = (
        "f.district_code = u.district_code and f.business_date = u.business_date and f.kind = u.kind"
        " and f.sender = u.sender"
    )
    rows = conn.execute(
        "insert into quarantine.file_loads (district_code, business_date, kind, sender, file, checksum, status)"
        " select u.district_code, u.business_date, u.kind, u.sender, u.file, u.checksum, 'pending'"
        " from unnest(%s::text[], %s::date[], %s::text[], %s::text[], %s::text[], %s::text[])"
        " u (district_code, business_date, kind, sender, file, checksum)"
        " where case when %s"
        f" then (select f.checksum from quarantine.file_loads f where {same_key} order by f.load_id desc limit 1)"
        "      is distinct from u.checksum"
        f" else not coalesce((select f.checksum = u.checksum from quarantine.file_loads f where {same_key}"
        "                     and f.file = u.file order by f.load_id desc limit 1),"
        f"                    exists (select from quarantine.file_loads f where {same_key} and f.checksum = u.checksum))"
        " end"
        " returning load_id, file",
        (
            [lf.district_code for lf, _ in files],
            [lf.business_date for lf, _ in files],
            labels,
            [lf.sender for lf, _ in files],
            [lf.name for lf, _ in files],
            [checksum for _, checksum in files],
            newest,
        ),
    ).fetchall()
    by_file = {file: load_id for load_id, file in rows}
    return [by_file.get(lf.name) for lf, _ in files]


def record_reads(conn: psycopg.Connection, reads: dict[int, tuple[int, str]]) -> None:
    """The ledger rows' rows_read and encoding, load id -> (rows, encoding), in one statement."""
    conn.execute(
        "update quarantine.file_loads f set rows_read = u.rows_read, encoding = u.encoding"
        " from unnest(%s::bigint[], %s::int[], %s::text[]) u (load_id, rows_read, encoding)"
        " where f.load_id = u.load_id",
        (list(reads), [rows for rows, _ in reads.values()], [encoding for _, encoding in reads.values()]),
    )


def reject(conn: psycopg.Connection, load_id: int, lf: LandingFile, reason: str) -> FileOutcome:
    """The delivery refused whole: its ledger row says why, and the file is listed in quarantine."""
    conn.execute(
        "update quarantine.file_loads set status = 'rejected', reason = %s, rows_read = 0,"
        " rows_loaded = 0, rows_quarantined = 0, validated_at = clock_timestamp() where load_id = %s",
        (reason, load_id),
    )
    conn.execute(
        "insert into quarantine.rejected_files (load_id, district_code, business_date, kind, file, reason)"
        " values (%s, %s, %s, %s, %s, %s)",
        (load_id, lf.district_code, lf.business_date, lf.kind, lf.name, reason),
    )
    return FileOutcome(lf.name, lf.kind, lf.sender, "rejected", load_id, 0, reason)
