"""Backup and restore, drilled: the commands of docs/operations.md ("Backup and restore") on a run district.

A published quarter is dumped with pg_dump -Fc, restored with pg_restore into a new database, and the next
business date is run on the restored warehouse and on the one that was never dumped: every table of every
schema is then the same (timestamps aside), and the payroll triggers still refuse changes to published rows.
"""

from __future__ import annotations

import subprocess
import uuid

import psycopg
import pytest
from psycopg import sql

from kaohe.warehouse import connect, database_name, database_url, find_pg_bindir

from .conftest import kaohe

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
            " order by 1, 2", (list(SYSTEM_SCHEMAS),)).fetchall()
        for schema, table in tables:
            columns = [name for name, in conn.execute(
                "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped"
                " and atttypid not in ('timestamp'::regtype, 'timestamptz'::regtype) order by attnum",
                (f'"{schema}"."{table}"',))]
            rows, digest = conn.execute(sql.SQL(
                "select count(*), md5(coalesce(string_agg(r::text, E'\\n' order by r::text), ''))"
                " from (select {} from {}.{}) r").format(
                    sql.SQL(", ").join(map(sql.Identifier, columns)) if columns else sql.SQL("1"),
                    sql.Identifier(schema), sql.Identifier(table))).fetchone()
            out[f"{schema}.{table}"] = (rows, digest)
        out["triggers"] = (0, ",".join(name for name, in conn.execute(
            "select tgrelid::regclass || '.' || tgname from pg_trigger where not tgisinternal order by 1")))
    return out


@pytest.fixture
def restored_name(embedded_warehouse):
    """The name of the database the dump is restored into; dropped afterwards."""
    name = f"restored_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(database_url(embedded_warehouse.url(), "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def test_a_restored_dump_runs_the_next_date_exactly_like_the_warehouse_never_dumped(district_copy, restored_name,
                                                                                   tmp_path):
    _, url = district_copy
    published = kaohe("publish", "--quarter", "2026Q3", url=url)  # published rows: the triggers have work to do
    assert published.returncode == 0, published.stderr[-2000:]

    bindir = find_pg_bindir()  # the server's own binaries: pg_dump must not be older than the server
    dump = tmp_path / "warehouse.dump"
    subprocess.run([str(bindir / "pg_dump"), "-Fc", "-d", url, "-f", str(dump)], check=True, capture_output=True)
    with connect(url) as conn:  # the commands of operations.md: a new database, then pg_restore into it
        conn.autocommit = True
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(restored_name)))
    restored = database_url(url, restored_name)
    restore = subprocess.run([str(bindir / "pg_restore"), "--exit-on-error", "--single-transaction",
                              "-d", restored, str(dump)], capture_output=True, text=True)
    assert restore.returncode == 0, restore.stderr[-3000:]
    assert database_name(restored) == restored_name
    before = snapshot(url)
    assert snapshot(restored) == before

    with connect(restored) as conn:  # the triggers came back with the rows, and still refuse
        assert conn.execute("select count(*) from payroll.quarterly_adjustments where status = 'published'"
                            ).fetchone()[0] > 0
        with pytest.raises(psycopg.errors.RestrictViolation):
            conn.execute("update payroll.quarterly_adjustments set adjusted_pay = 0 where status = 'published'")

    landing = tmp_path / "landing"  # the next date's delivery, the same files for both warehouses
    generated = kaohe("generate", "--landing", str(landing), "--from", NEXT_DAY, "--to", NEXT_DAY, "--bad-rows",
                      url=url)
    assert generated.returncode == 0, generated.stderr[-2000:]
    for target in (url, restored):
        run = kaohe("run", "--landing", str(landing), "--from", NEXT_DAY, url=target,
                    KAOHE_REPORTS=str(tmp_path / database_name(target)))
        assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-3000:])

    after, after_restored = snapshot(url), snapshot(restored)
    assert after != before  # the day did land
    differing = {table: (after.get(table), after_restored.get(table))
                 for table in after.keys() | after_restored.keys() if after.get(table) != after_restored.get(table)}
    assert not differing
