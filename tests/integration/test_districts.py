"""The district registry (one-network.md, Districts): the default district stored on first use, `kaohe district
add/list`, codes checked and upper-cased, registration idempotent, and each district's two reader roles — LOGIN
roles with their own passwords that may connect but read nothing until row-level security restricts them."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from kaohe.cli import main
from kaohe.districts import DistrictError, named, normalised_code, register, registered
from kaohe.schema import ensure_schema
from kaohe.warehouse import connect, database_name, read_passfile

pytestmark = pytest.mark.integration


def test_codes_are_checked_and_upper_cased():
    assert normalised_code(" hb ") == "HB"
    assert normalised_code("Xy2") == "XY2"
    assert normalised_code("AKGX") == "AKGX"
    for bad in ("", "H", "2HB", "H-B", "汉滨", "ABCDEFGHIJKLM"):
        with pytest.raises(DistrictError, match="not a district code"):
            normalised_code(bad)


def test_the_default_district_is_stored_on_first_use_and_kept(warehouse_url, monkeypatch):
    monkeypatch.delenv("KAOHE_DISTRICT", raising=False)
    monkeypatch.delenv("KAOHE_DISTRICT_NAME", raising=False)
    with connect(warehouse_url) as conn:
        ensure_schema(conn)
        assert [(d.code, d.name, d.is_default) for d in registered(conn)] == [("AKGX", "安康高新区", True)]
        monkeypatch.setenv("KAOHE_DISTRICT", "HB")
        with pytest.raises(DistrictError, match="this warehouse's default district is AKGX"):
            ensure_schema(conn)
        monkeypatch.setenv("KAOHE_DISTRICT", "akgx")  # the same code, spelt in lower case
        monkeypatch.setenv("KAOHE_DISTRICT_NAME", "安康高新技术产业开发区")
        ensure_schema(conn)
        assert registered(conn)[0].name == "安康高新技术产业开发区"


def test_a_new_warehouse_takes_its_default_from_the_settings(warehouse_url, monkeypatch):
    monkeypatch.setenv("KAOHE_DISTRICT", "hb")
    monkeypatch.setenv("KAOHE_DISTRICT_NAME", "汉滨区")
    with connect(warehouse_url) as conn:
        ensure_schema(conn)
        assert [(d.code, d.name, d.is_default) for d in registered(conn)] == [("HB", "汉滨区", True)]


def test_kaohe_district_add_and_list(warehouse_url, monkeypatch, capsys):
    monkeypatch.delenv("KAOHE_DISTRICT", raising=False)
    assert main(["district", "add", "hb", "--name", "汉滨区", "--city", "安康市"]) == 0
    added = capsys.readouterr().out
    assert "registered HB 汉滨区 (安康市)" in added and "kaohe_bi_hb, kaohe_payroll_hb" in added
    # again: the name changes, the city given before stays, nothing is duplicated
    assert main(["district", "add", "HB", "--name", "汉滨"]) == 0
    assert main(["district", "add", "XY2", "--name", "旬阳市"]) == 0
    capsys.readouterr()
    assert main(["district", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["AKGX", "HB", "XY2"]
    assert lines[2].split()[1:3] == ["汉滨", "安康市"]
    assert main(["district", "add", "2X", "--name", "坏"]) == 1
    assert "not a district code" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="give the code and its name"):
        main(["district", "add", "ZZ"])


def test_a_command_may_leave_the_district_out_only_while_one_is_registered(warehouse_url, monkeypatch):
    monkeypatch.delenv("KAOHE_DISTRICT", raising=False)
    with connect(warehouse_url) as conn:
        assert named(conn, None).code == "AKGX"
        register(conn, "HB", "汉滨区")
        with pytest.raises(DistrictError, match=r"2 districts are registered \(AKGX, HB\): name one with --district"):
            named(conn, None)
        assert named(conn, "hb").name == "汉滨区"
        with pytest.raises(DistrictError, match="district XY2 is not registered"):
            named(conn, "XY2")


def test_a_district_role_logs_in_with_its_own_password_and_reads_nothing_yet(
    warehouse_url, embedded_warehouse, monkeypatch
):
    monkeypatch.delenv("KAOHE_DISTRICT", raising=False)
    with connect(warehouse_url) as conn:
        ensure_schema(conn)
        register(conn, "HB", "汉滨区")
        conn.execute("create table marts.probe as select 1 as x")
        conn.execute("create table payroll.probe as select 1 as x")
    passwords = read_passfile(embedded_warehouse.passfile)
    params = {"host": "127.0.0.1", "port": embedded_warehouse.port, "dbname": database_name(warehouse_url)}
    for role, schema in (("kaohe_bi_hb", "marts"), ("kaohe_payroll_hb", "payroll")):
        assert passwords.get(role), f"{role} has no password in the passfile"
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(user=role, password="wrong", connect_timeout=5, **params).close()
        with psycopg.connect(user=role, password=passwords[role], connect_timeout=5, **params) as reader:
            assert reader.execute("select current_user").fetchone()[0] == role
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(f"select * from {schema}.probe")


def test_a_single_district_warehouse_of_an_earlier_version_gets_district_codes(warehouse_url, tmp_path, monkeypatch):
    """Its ledger, quarantine and raw rows all become the default district's; the upgrade runs once."""
    from kaohe.loader import load_date
    from kaohe.schema import DISTRICT_TABLES

    from ..conftest import write_file

    monkeypatch.delenv("KAOHE_DISTRICT", raising=False)
    day = tmp_path / "2026-09-30"
    write_file(
        day, "departments.csv", "dept_code,dept_name,dept_class,head_cadre_id\nD07,发改局,综合部门,C00412\nD08,短\n"
    )
    write_file(day, "indicators.xlsx", "not a workbook")
    load_date(tmp_path, date(2026, 9, 30), warehouse_url)
    tables = [*DISTRICT_TABLES, "raw.departments"]
    with connect(warehouse_url) as conn:
        for table in tables:  # as an earlier version left them (the ledger's key index goes with its column)
            conn.execute(f"alter table {table} drop column district_code")
        conn.execute("create index file_loads_key on quarantine.file_loads (kind, business_date, sender)")
        ensure_schema(conn)
        for table in tables:
            assert conn.execute(f"select array_agg(distinct district_code) from {table}").fetchone()[0] == ["AKGX"]
        assert (
            conn.execute(
                "select count(*) from pg_attribute where attname = 'district_code' and attnotnull and"
                " attrelid in ('quarantine.file_loads'::regclass, 'raw.departments'::regclass)"
            ).fetchone()[0]
            == 2
        )
        indexes = {i for (i,) in conn.execute("select indexname from pg_indexes where tablename = 'file_loads'")}
        assert "file_loads_district_key" in indexes and "file_loads_key" not in indexes


def _rows_as(conn, role: str, query: str) -> list[tuple]:
    """What ``role`` (or a login granted it) gets: the policies apply as the role set."""
    conn.execute(f"set role {role}")
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.execute("reset role")


def test_row_level_security_gives_each_district_role_its_rows_and_the_city_role_all(warehouse_url, monkeypatch):
    monkeypatch.delenv("KAOHE_DISTRICT", raising=False)
    with connect(warehouse_url) as conn:
        ensure_schema(conn)
        register(conn, "HB", "汉滨区")
        conn.execute(
            "create table marts.probe as select * from (values ('AKGX', 1), ('HB', 2), ('HB', 3)) v (district_code, x)"
        )
        conn.execute("select ops.restrict_to_districts('marts.probe', 'kaohe_bi')")
        conn.execute("create table marts.unrestricted as select 'AKGX' as district_code")
        every = "select district_code, x from marts.probe order by x"
        assert _rows_as(conn, "kaohe_bi", every) == [("AKGX", 1), ("HB", 2), ("HB", 3)]
        assert _rows_as(conn, "kaohe_bi_hb", every) == [("HB", 2), ("HB", 3)]
        assert _rows_as(conn, "kaohe_bi_akgx", every) == [("AKGX", 1)]
        # any query: asking for another district, or reaching it through a join, finds nothing
        assert _rows_as(conn, "kaohe_bi_hb", "select * from marts.probe where district_code = 'AKGX'") == []
        assert _rows_as(
            conn, "kaohe_bi_hb", "select a.district_code from marts.probe a join marts.probe b on b.x <> a.x"
        ) == [("HB",), ("HB",)]
        # a login granted the district's role is restricted the same way
        analyst = f"t_analyst_{database_name(warehouse_url)}"
        conn.execute(f"create role {analyst}")
        try:
            conn.execute(f"grant kaohe_bi_hb to {analyst}")
            assert _rows_as(conn, analyst, every) == [("HB", 2), ("HB", 3)]
        finally:
            conn.execute(f"drop owned by {analyst}")
            conn.execute(f"drop role {analyst}")
        # a district registered later reads the restricted tables, its own rows only
        register(conn, "XY2", "旬阳市")
        assert _rows_as(conn, "kaohe_bi_xy2", every) == []
        # fail-closed: a table nobody restricted is refused to every district role; payroll is not theirs
        for role, table in (("kaohe_bi_hb", "marts.unrestricted"), ("kaohe_payroll_hb", "marts.probe")):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                _rows_as(conn, role, f"select * from {table}")
        # a rebuild (a new table, as dbt makes it) is restricted again by the same call
        conn.execute("drop table marts.probe")
        conn.execute("create table marts.probe as select * from (values ('AKGX', 9), ('HB', 8)) v (district_code, x)")
        conn.execute("select ops.restrict_to_districts('marts.probe', 'kaohe_bi')")
        assert _rows_as(conn, "kaohe_bi_hb", every) == [("HB", 8)]
