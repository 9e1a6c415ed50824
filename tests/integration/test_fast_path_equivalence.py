"""The plain-CSV fast path (kaohe.loader.csv_fast_path) writes what the row path writes.

The same landing folders are loaded twice, into two databases: as the loader does it (plain CSV files
batched straight into COPY, the rest row by row) and with ``fast_path=False`` (every file row by row). The
ledger, raw and the loader's quarantine must be equal — per file and row number, not by load id, since the
two runs load the files in different orders. A spy on the fast path's streaming function records which
files it loaded, so that the comparison is known to cover it (and which odd inputs it leaves to the row
path). Loader only: validation reads raw, so equal raw rows mean equal validation.
"""

from __future__ import annotations

import uuid
from datetime import date

import kaohe.loader
import psycopg
import pytest
from kaohe.contract import load_contract
from kaohe.generator import generate
from kaohe.loader import load_date
from kaohe.warehouse import connect, database_url
from psycopg import sql

from tests.conftest import drop_database, write_file

pytestmark = pytest.mark.integration

BAD_DAY, GENERATED_DAY, ODD_DAY = date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 1)
H = "dept_code,indicator_code,as_of_date,cumulative_value,note"
ROW = "{s},K1-01,2026-10-01,3,ok"

# sender → (what is odd, file text, encoding, whether the fast path loads it); one key (sender) per file
ODD: dict[str, tuple[str, str, str, bool]] = {
    "D901": (
        "quoted commas, quoted empty",
        f'{H}\nD901,K1-01,2026-10-01,"1,200","a, b"\nD901,K1-02,2026-10-01,3,""\n',
        "utf-8",
        True,
    ),
    "D902": (
        "newline in quotes",
        f'{H}\nD902,K1-01,2026-10-01,4,"line one\nline two"\n{ROW.format(s="D902")}\n',
        "utf-8",
        False,
    ),
    "D903": ("blank lines", f"{H}\n\n{ROW.format(s='D903')}\n\n,,,,\n{ROW.format(s='D903')}2\n\n", "utf-8", True),
    "D904": ("trailing delimiter", f"{H},\n{ROW.format(s='D904')},\n{ROW.format(s='D904')},\n", "utf-8", False),
    "D905": (
        "trailing delimiter, rows only",
        f"{H}\n{ROW.format(s='D905')},\n{ROW.format(s='D905')}\n",
        "utf-8",
        False,
    ),
    "D906": ("BOM", f"\ufeff{H}\n{ROW.format(s='D906')}按计划推进\n", "utf-8", True),
    "D907": ("GBK", f"{H}\n{ROW.format(s='D907')}按计划推进\nD907,K1-02,2026-10-01,5,滞后\n", "gbk", True),
    "D908": ("CRLF", f"{H}\r\n{ROW.format(s='D908')}\r\n{ROW.format(s='D908')}\r\n", "utf-8", True),
    "D909": (
        "optional column missing",
        "dept_code,indicator_code,as_of_date,cumulative_value\nD909,K1-01,2026-10-01,3\n",
        "utf-8",
        True,
    ),
    "D910": (
        "required column missing",
        "dept_code,indicator_code,as_of_date,note\nD910,K1-01,2026-10-01,x\n",
        "utf-8",
        False,
    ),
    "D911": (
        "extra column",
        f"{H},remark\n{ROW.format(s='D911')},extra text\n{ROW.format(s='D911')},\n",
        "utf-8",
        False,
    ),
    "D912": ("spaces to trim, full-width too", f"{H}\n D912 ,K1-01,\u30002026-10-01,3 ,\tok\u3000\n", "utf-8", True),
    "D913": (
        "GBK, a row too wide",
        f'{H}\r\nD913,K1-01,2026-10-01,"3",“引号”,\r\nD913,K1-02,2026-10-01,4,"甲,乙"\r\n',
        "gbk",
        False,
    ),
    "D914": ("header only", f"{H}\n", "utf-8", False),
    "D915": ("a line COPY would end on", f"{H}\n{ROW.format(s='D915')}\n\\.\n{ROW.format(s='D915')}\n", "utf-8", False),
    "D916": ("a bare CR", f"{H}\n{ROW.format(s='D916')}\r{ROW.format(s='D916')}\n", "utf-8", False),
    "D917": ("open quote", f'{H}\n{ROW.format(s="D917")}\nD917,K1-02,2026-10-01,4,"never closed\n', "utf-8", False),
    "D918": ("a row too short", f"{H}\nD918,K1-01\n{ROW.format(s='D918')}\n", "utf-8", False),
    "D919": (
        "GBK, quotes, CRLF",
        f'{H}\r\nD919,K1-01,2026-10-01,"1,5",甲\r\n\r\nD919,K1-02,2026-10-01,2,"乙 "\r\n',
        "gbk",
        True,
    ),
}
# the columns in another order (a COPY of its own in the batch)
REORDERED = (
    "project_progress__D950.csv",
    "cumulative_investment,cumulative_pct,as_of_date,project_id\n100,50,2026-10-01,P101\n1,2,2026-10-01,P102\n",
)


@pytest.fixture
def second_url(embedded_warehouse):
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = database_url(embedded_warehouse.url(), "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = database_url(embedded_warehouse.url(), name)
    yield url
    drop_database(admin, url)


def state(url) -> dict:
    """Ledger, raw and quarantine by (date, file, row number): nothing that depends on load order."""
    with connect(url) as conn:
        result = {
            "ledger": sorted(
                conn.execute(
                    "select business_date, file, kind, sender, checksum, status, rows_read, encoding, reason"
                    " from quarantine.file_loads"
                )
            ),
            "rejected_files": sorted(
                conn.execute("select business_date, file, kind, reason from quarantine.rejected_files")
            ),
            "rejected_rows": sorted(
                conn.execute(
                    "select business_date, file, row_number, rule, message, raw::text from quarantine.rejected_rows"
                )
            ),
        }
        for kind in load_contract().kinds:
            result[kind] = sorted(
                conn.execute(
                    sql.SQL(
                        "select f.business_date, f.file, r._row_number, (to_jsonb(r) - '_load_id')::text"
                        " from raw.{} r join quarantine.file_loads f on f.load_id = r._load_id"
                    ).format(sql.Identifier(kind))
                )
            )
    return result


def test_the_fast_path_loads_the_rows_and_messages_the_row_path_loads(tmp_path, warehouse_url, second_url, monkeypatch):
    landing = tmp_path / "landing"
    generate(landing, GENERATED_DAY, GENERATED_DAY, seed=7)  # clean: its plain files load in one batch
    # with bad rows and files planted (a structural fault rolls the batch back: each file on its own)
    generate(tmp_path / "bad", GENERATED_DAY, GENERATED_DAY, seed=7, bad_rows=True)
    (tmp_path / "bad" / GENERATED_DAY.isoformat()).rename(landing / BAD_DAY.isoformat())
    odd = landing / ODD_DAY.isoformat()
    for sender, (_, text, encoding, _) in ODD.items():
        write_file(odd, f"indicator_progress__{sender}.csv", text, encoding)
    write_file(odd, *REORDERED)

    streamed: list[str] = []  # the files the fast path loaded (its COPY accepted)
    batched: set[str] = set()  # those of them loaded in a batch (several files, one transaction)

    def batch_spy(conn, batch):
        outcomes = load_plain_batch(conn, batch)
        streamed.extend(o.file for o in outcomes if o.status == "pending")
        batched.update(o.file for o in outcomes if o.status == "pending")
        return outcomes

    def file_spy(conn, lf, contract, load_id):
        read = copy_plain(conn, lf, contract, load_id)
        if read is not None:
            streamed.append(lf.name)
        return read

    load_plain_batch, copy_plain = kaohe.loader._load_plain_batch, kaohe.loader.copy_plain
    monkeypatch.setattr(kaohe.loader, "_load_plain_batch", batch_spy)
    monkeypatch.setattr(kaohe.loader, "copy_plain", file_spy)

    outcomes = {}
    for url, fast_path in ((warehouse_url, True), (second_url, False)):
        outcomes[fast_path] = sorted(
            (day, o.file, o.status, o.rows_read, o.reason)
            for day in (BAD_DAY, GENERATED_DAY, ODD_DAY)
            for o in load_date(landing, day, url, fast_path=fast_path)
        )
        if not fast_path:
            assert streamed == [], "fast_path=False must not use the fast path"
        else:
            fast_files, streamed[:] = set(streamed), []

    generated_csv = {p.name for p in (landing / GENERATED_DAY.isoformat()).glob("*.csv")}
    bad_csv = {p.name for p in (landing / BAD_DAY.isoformat()).glob("*.csv")}
    assert len(fast_files & bad_csv) >= 0.9 * len(bad_csv), "most generated CSV files go the fast path"
    assert {s for s in ODD if f"indicator_progress__{s}.csv" in fast_files} == {
        s for s, (*_, fast) in ODD.items() if fast
    }
    assert REORDERED[0] in fast_files
    # a clean day's plain files load in one batch (all but an extra column's: the generator plants one)
    assert fast_files & generated_csv == batched & generated_csv
    assert len(batched & generated_csv) >= 0.9 * len(generated_csv)

    assert outcomes[True] == outcomes[False]
    fast, rows = state(warehouse_url), state(second_url)
    assert fast.keys() == rows.keys()
    for part in fast:
        assert fast[part] == rows[part], part
    assert len(fast["indicator_progress"]) > 150 and fast["rejected_rows"] and fast["rejected_files"]
