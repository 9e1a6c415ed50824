"""No password-less way into the embedded warehouse: every role (the superuser too) is refused without its password
or with a wrong one, over TCP and by any other OS user; there is no unix socket; the passwords are in a passfile
only its owner can read, and the URL `kaohe warehouse url` prints works as is with psql. A cluster of an earlier
version (trust, no passwords) is upgraded on start without losing data."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from kaohe.warehouse import EmbeddedWarehouse, dbt_env, read_passfile, url_password

pytestmark = pytest.mark.integration

ROLES = ("kaohe", "kaohe_bi", "kaohe_payroll", "postgres")
REFUSED = ("password authentication failed", "no password supplied")
SOCKET_DIRS = ("/tmp", "/var/run/postgresql", "/run/postgresql")


def psql() -> str:
    for candidate in ("/usr/lib/postgresql/15/bin/psql", shutil.which("psql")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("psql is not installed (postgresql-client)")


def refusal(**conninfo) -> str:
    """The server's answer to a login that must fail: its error text ("" if it let us in)."""
    try:
        with psycopg.connect(connect_timeout=5, **conninfo):
            return ""
    except psycopg.OperationalError as exc:
        return str(exc)


def no_passfile() -> dict:
    return {"passfile": "/nonexistent/pgpass"}  # not root's ~/.pgpass either


def test_every_role_is_refused_over_tcp_without_or_with_a_wrong_password(embedded_warehouse, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.delenv("PGPASSFILE", raising=False)
    server = {"host": "127.0.0.1", "port": embedded_warehouse.port, "dbname": "kaohe"}
    for role in ROLES:
        for password in ({}, {"password": "wrong"}, {"password": ""}):
            answer = refusal(**server, user=role, **no_passfile(), **password)
            assert any(r in answer for r in REFUSED), f"{role} {password or 'without password'}: {answer or 'let in'}"


def test_the_right_password_works_for_each_role_and_is_the_one_dbt_gets(embedded_warehouse):
    passwords = read_passfile(embedded_warehouse.passfile)
    # and the districts' reader roles registered so far (kaohe_bi_akgx …), each with a password of its own
    assert {"kaohe", "kaohe_bi", "kaohe_payroll"} <= set(passwords)
    assert len(set(passwords.values())) == len(passwords)
    for role in passwords:
        url = embedded_warehouse.url(user=role)
        with psycopg.connect(url) as conn:
            assert conn.execute("select current_user").fetchone()[0] == role
        assert dbt_env(url)["KAOHE_PG_PASSWORD"] == url_password(url) == passwords[role]


def test_scram_is_the_only_method_and_there_is_no_socket(embedded_warehouse):
    with psycopg.connect(embedded_warehouse.url()) as conn:
        methods = {m for (m,) in conn.execute("select auth_method from pg_hba_file_rules where error is null")}
        assert methods == {"scram-sha-256"}
        assert conn.execute("select count(*) from pg_hba_file_rules where error is not null").fetchone()[0] == 0
        assert conn.execute("show unix_socket_directories").fetchone()[0] == ""
        assert conn.execute("show listen_addresses").fetchone()[0] == "127.0.0.1"
        stored = conn.execute("select rolname, rolpassword from pg_authid where rolname like 'kaohe%'").fetchall()
    # the districts' reader roles too (kaohe_bi_akgx …): every role has a SCRAM password
    assert {"kaohe", "kaohe_bi", "kaohe_payroll"} <= {r for r, _ in stored}
    assert all(p and p.startswith("SCRAM-SHA-256$") for _, p in stored), [r for r, p in stored if not p]
    socket_line = (embedded_warehouse.data_dir / "postmaster.pid").read_text().splitlines()[4]
    assert socket_line == "", f"the server listens on a socket in {socket_line}"
    for folder in SOCKET_DIRS:
        assert not Path(folder, f".s.PGSQL.{embedded_warehouse.port}").exists(), folder
        answer = refusal(host=folder, port=embedded_warehouse.port, dbname="kaohe", user="kaohe", **no_passfile())
        assert "No such file or directory" in answer, answer or f"let in over a socket in {folder}"


def test_the_passfile_is_the_owners_alone_and_another_os_user_gets_nowhere(embedded_warehouse):
    passfile = embedded_warehouse.passfile
    mode = os.stat(passfile)
    assert stat.S_IMODE(mode.st_mode) == 0o600 and mode.st_uid == os.geteuid()
    if os.geteuid() != 0:
        pytest.fail("run the suite as root (as `make test` on the project's machines): this test switches OS users")
    nobody = ["runuser", "-u", "nobody", "--"]
    read = subprocess.run([*nobody, "cat", str(passfile)], capture_output=True, text=True)
    assert read.returncode != 0 and "Permission denied" in read.stderr
    for role in ROLES:
        for url in (
            embedded_warehouse.url(user=role),  # the passfile it names is not readable by nobody
            f"postgresql://{role}@127.0.0.1:{embedded_warehouse.port}/kaohe",
            f"postgresql://{role}:wrong@127.0.0.1:{embedded_warehouse.port}/kaohe",
        ):
            done = subprocess.run(
                [*nobody, psql(), "-X", "-w", "-Atc", "select current_user", url],
                capture_output=True,
                text=True,
                env={"PATH": os.environ["PATH"], "HOME": "/"},
            )
            assert done.returncode != 0 and any(r in done.stderr for r in REFUSED), (role, url, done.stderr)


def test_kaohe_warehouse_url_works_with_psql(embedded_warehouse):
    kaohe_bin = Path(sys.executable).with_name("kaohe")
    env = {k: v for k, v in os.environ.items() if k not in ("KAOHE_WAREHOUSE_URL", "PGPASSWORD", "PGPASSFILE")}
    url = subprocess.run(
        [str(kaohe_bin), "warehouse", "url"], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    assert url == embedded_warehouse.url() and "passfile=" in url
    done = subprocess.run(
        [psql(), "-X", "-w", "-Atc", "select current_user, current_database()", url],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "kaohe|kaohe"


def _make_it_an_old_cluster(warehouse: EmbeddedWarehouse) -> None:
    """What an earlier version left: pg_hba.conf `trust`, no role passwords, no passfile."""
    with psycopg.connect(warehouse.url(), autocommit=True) as conn:
        (warehouse.data_dir / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        conn.execute("select pg_reload_conf()")
        for role in ("kaohe", "kaohe_bi", "kaohe_payroll"):
            conn.execute(f"alter role {role} password null")
    warehouse.passfile.unlink()
    server = {"host": "127.0.0.1", "port": warehouse.port, "dbname": "kaohe", "user": "kaohe", **no_passfile()}
    deadline = time.monotonic() + 10  # the reload is asynchronous
    while refusal(**server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert refusal(**server) == "", "the old cluster should let anyone in (else the test proves nothing)"


@pytest.fixture
def private_warehouse(tmp_path):
    warehouse = EmbeddedWarehouse(tmp_path / "pg")
    try:
        yield warehouse
    finally:
        warehouse.remove()


def test_a_trust_cluster_of_an_earlier_version_is_upgraded_on_start_and_keeps_its_data(private_warehouse, monkeypatch):
    warehouse = private_warehouse
    monkeypatch.setenv("KAOHE_BI_PASSWORD", "set-by-the-deployment")  # a reader's env password wins
    warehouse.start()
    with psycopg.connect(warehouse.url(), autocommit=True) as conn:
        conn.execute("create table kept as select 42 as answer")
    server = {"host": "127.0.0.1", "port": warehouse.port, "dbname": "kaohe", **no_passfile()}
    # one private cluster, two upgrades: with the old server still running, then with it stopped
    for left_running in (True, False):
        _make_it_an_old_cluster(warehouse)
        if not left_running:
            warehouse.stop()
        warehouse.start()
        for role in ROLES:
            answer = refusal(**server, user=role)
            assert any(r in answer for r in REFUSED), f"{role} after the upgrade: {answer or 'let in'}"
        with psycopg.connect(warehouse.url()) as conn:
            assert conn.execute("select answer from kept").fetchone() == (42,)
        with psycopg.connect(warehouse.url(user="kaohe_bi")) as conn:
            assert conn.execute("select current_user").fetchone() == ("kaohe_bi",)
        assert read_passfile(warehouse.passfile)["kaohe_bi"] == "set-by-the-deployment"
