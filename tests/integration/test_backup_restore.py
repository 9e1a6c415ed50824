"""Backup and restore, drilled: the commands of docs/operations.md ("Backup and restore") on a run district.

The district is dumped with pg_dump -Fc and restored with pg_restore into a new database, and the next business
date is run on the restored warehouse: it then equals the warehouse that was never dumped and ran the same date
(the suite's shared `next_day` reference, which the crash drills compare with too) — every table of every schema,
ids included, timestamps aside. A district with a published quarter comes back from its dump with the published
rows, and the payroll triggers still refuse changes to them.
"""

from __future__ import annotations

import subprocess
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from kaohe.warehouse import connect, database_name, database_url, find_pg_bindir
from psycopg import sql

from .conftest import NEXT_DAY, kaohe
from .warehouse_tables import differences, table_rows

pytestmark = pytest.mark.integration


def snapshot(url: str) -> dict[str, Counter]:
    """Every table and view of every schema (ids included, timestamps aside), and the triggers."""
    state = table_rows(url, schemas=None, ignored=frozenset())
    with connect(url) as conn:
        state["triggers"] = Counter(
            name
            for (name,) in conn.execute(
                "select tgrelid::regclass || '.' || tgname from pg_trigger where not tgisinternal"
            )
        )
    return state


def dump_and_restore(url: str, restored_name: str, folder: Path) -> str:
    """The commands of operations.md: pg_dump -Fc, a new database, pg_restore into it: the new database's URL."""
    bindir = find_pg_bindir()  # the server's own binaries: pg_dump must not be older than the server
    dump = folder / "warehouse.dump"
    subprocess.run([str(bindir / "pg_dump"), "-Fc", "-d", url, "-f", str(dump)], check=True, capture_output=True)
    with connect(url) as conn:
        conn.autocommit = True
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(restored_name)))
    restored = database_url(url, restored_name)
    restore = subprocess.run(
        [str(bindir / "pg_restore"), "--exit-on-error", "--single-transaction", "-d", restored, str(dump)],
        capture_output=True,
        text=True,
    )
    assert restore.returncode == 0, restore.stderr[-3000:]
    assert database_name(restored) == restored_name
    return restored


@pytest.fixture
def restored_name(embedded_warehouse):
    """The name of the database the dump is restored into; dropped afterwards."""
    name = f"restored_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(database_url(embedded_warehouse.url(), "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_a_restored_dump_runs_the_next_date_exactly_like_the_warehouse_never_dumped(
    district, next_day, restored_name, tmp_path
):
    _, url, _ = district  # pg_dump only reads it
    landing, never_dumped = next_day  # the district after a run of NEXT_DAY
    restored = dump_and_restore(url, restored_name, tmp_path)
    before = snapshot(url)
    assert differences(snapshot(restored), before) == []

    run = kaohe(
        "run", "--landing", str(landing), "--from", NEXT_DAY.isoformat(), url=restored, KAOHE_REPORTS=str(tmp_path)
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    after = snapshot(restored)
    assert after != before  # the day did land
    with connect(restored) as conn:
        assert (
            conn.execute(
                "select count(*) from quarantine.file_loads where business_date = %s and status = 'loaded'", (NEXT_DAY,)
            ).fetchone()[0]
            >= 10
        )
    assert differences(after, snapshot(never_dumped)) == []


def test_a_restored_dump_keeps_the_published_rows_and_their_triggers_refuse_changes(
    published_district, restored_name, tmp_path
):
    _, url = published_district  # 2026Q3 published: the restore meets the triggers; pg_dump only reads it
    restored = dump_and_restore(url, restored_name, tmp_path)
    assert differences(snapshot(restored), snapshot(url)) == []
    with connect(restored) as conn:  # the triggers came back with the rows, and still refuse
        assert (
            conn.execute("select count(*) from payroll.quarterly_adjustments where status = 'published'").fetchone()[0]
            > 0
        )
        with pytest.raises(psycopg.errors.RestrictViolation):
            conn.execute("update payroll.quarterly_adjustments set adjusted_pay = 0 where status = 'published'")
