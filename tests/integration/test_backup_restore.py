"""Backup and restore, drilled: the commands of docs/operations.md ("Backup and restore") on a run district.

A published quarter is dumped with pg_dump -Fc, restored with pg_restore into a new database, and the next
business date is run on the restored warehouse and on the one that was never dumped: every table of every
schema is then the same (timestamps aside), and the payroll triggers still refuse changes to published rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from kaohe.payroll import publish
from kaohe.settings import state_dir
from kaohe.warehouse import connect, database_name, database_url, find_pg_bindir
from psycopg import sql

from .conftest import START, kaohe

pytestmark = pytest.mark.integration

NEXT_DAY = "2026-10-02"  # the day after the district's last (conftest.END)
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def snapshot(url: str) -> dict[str, tuple[int, str]]:
    """Every table of every schema: (rows, digest of its rows without timestamp columns)."""
    out = {}
    with connect(url) as conn:
        tables = conn.execute(
            "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where c.relkind in ('r', 'p') and n.nspname <> all(%s) and n.nspname not like 'pg_temp%%'"
            " order by 1, 2",
            (list(SYSTEM_SCHEMAS),),
        ).fetchall()
        for schema, table in tables:
            columns = [
                name
                for (name,) in conn.execute(
                    "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped"
                    " and atttypid not in ('timestamp'::regtype, 'timestamptz'::regtype) order by attnum",
                    (f'"{schema}"."{table}"',),
                )
            ]
            rows, digest = conn.execute(
                sql.SQL(
                    "select count(*), md5(coalesce(string_agg(r::text, E'\\n' order by r::text), ''))"
                    " from (select {} from {}.{}) r"
                ).format(
                    sql.SQL(", ").join(map(sql.Identifier, columns)) if columns else sql.SQL("1"),
                    sql.Identifier(schema),
                    sql.Identifier(table),
                )
            ).fetchone()
            out[f"{schema}.{table}"] = (rows, digest)
        out["triggers"] = (
            0,
            ",".join(
                name
                for (name,) in conn.execute(
                    "select tgrelid::regclass || '.' || tgname from pg_trigger where not tgisinternal order by 1"
                )
            ),
        )
    return out


def start_run(landing: Path, day: str, url: str, home: Path, reports: Path) -> subprocess.Popen:
    """`kaohe run` of one date in the background, with a state folder of its own: two runs at once need two
    Airflow homes (kaohe run locks its home) and two dbt target folders."""
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("kaohe")), "run", "--landing", str(landing), "--from", day],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "KAOHE_WAREHOUSE_URL": url, "KAOHE_HOME": str(home), "KAOHE_REPORTS": str(reports)},
    )


@pytest.fixture
def restored_name(embedded_warehouse):
    """The name of the database the dump is restored into; dropped afterwards."""
    name = f"restored_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(database_url(embedded_warehouse.url(), "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_a_restored_dump_runs_the_next_date_exactly_like_the_warehouse_never_dumped(
    district_copy, restored_name, tmp_path
):
    _, url = district_copy
    steps, started = {}, time.monotonic()

    def step(name):
        nonlocal started
        steps[name], started = round(time.monotonic() - started, 1), time.monotonic()

    # published rows, so that the restore meets the triggers (what `kaohe publish` does to payroll)
    assert publish("2026Q3", url).version == 1

    step("publish")
    bindir = find_pg_bindir()  # the server's own binaries: pg_dump must not be older than the server
    dump = tmp_path / "warehouse.dump"
    subprocess.run([str(bindir / "pg_dump"), "-Fc", "-d", url, "-f", str(dump)], check=True, capture_output=True)
    with connect(url) as conn:  # the commands of operations.md: a new database, then pg_restore into it
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
    step("dump and restore")
    before = snapshot(url)
    assert snapshot(restored) == before

    with connect(restored) as conn:  # the triggers came back with the rows, and still refuse
        assert (
            conn.execute("select count(*) from payroll.quarterly_adjustments where status = 'published'").fetchone()[0]
            > 0
        )
        with pytest.raises(psycopg.errors.RestrictViolation):
            conn.execute("update payroll.quarterly_adjustments set adjusted_pay = 0 where status = 'published'")

    step("snapshots, triggers")
    # The next date's delivery, the same files for both warehouses: the district's range and one day more (a
    # date generated alone is a first delivery — every master snapshot and the whole ledger history — and the
    # generator's files for a date depend on its range); only the next date is run.
    landing = tmp_path / "landing"
    generated = kaohe(
        "generate", "--landing", str(landing), "--from", START.isoformat(), "--to", NEXT_DAY, "--bad-rows", url=url
    )
    assert generated.returncode == 0, generated.stderr[-2000:]
    # at once, the same code on two databases: the suite's state folder, and a new one (its Airflow metadata is
    # migrated on first use, ≈ 6 s; a copy of the suite's SQLite metadata fails a foreign key in Airflow)
    runs = [
        start_run(landing, NEXT_DAY, url, state_dir(), tmp_path / "reports"),
        start_run(landing, NEXT_DAY, restored, tmp_path / "home", tmp_path / "reports_restored"),
    ]
    for run in runs:
        stdout, stderr = run.communicate(timeout=600)
        assert run.returncode == 0, (stdout[-2000:], stderr[-3000:])
    step("next date on both")

    after, after_restored = snapshot(url), snapshot(restored)
    assert after != before  # the day did land
    with connect(restored) as conn:
        assert (
            conn.execute(
                "select count(*) from quarantine.file_loads where business_date = %s and status = 'loaded'", (NEXT_DAY,)
            ).fetchone()[0]
            >= 10
        )
    differing = {
        table: (after.get(table), after_restored.get(table))
        for table in after.keys() | after_restored.keys()
        if after.get(table) != after_restored.get(table)
    }
    assert not differing
    step("snapshots")
    print(steps)
