"""The suite cleans up after itself: a test session that starts the embedded PostgreSQL stops it when it ends,
pass or fail, and deletes a cluster it had to keep outside the checkout (the /var/tmp fallback).

Proven on a real, tiny pytest session (its own KAOHE_HOME, the suite's own fixtures) with a failing test in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
INNER_TESTS = """
import os
from pathlib import Path

import psycopg


def test_uses_a_database(embedded_warehouse, warehouse_url):
    Path(os.environ["KAOHE_PROBE"]).write_text(str(embedded_warehouse.data_dir))
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_fails():
    assert False, "a failing session must stop its servers all the same"
"""


def postmasters_of(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "-D" in cmdline and str(data_dir) in cmdline:
            found.append(process)
    return found


def test_a_failing_session_stops_the_server_it_started_and_leaves_nothing_outside(tmp_path):
    inner = tmp_path / "test_inner.py"
    inner.write_text(INNER_TESTS)
    probe = tmp_path / "data_dir"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAOHE_", "PYTEST_"))}
    env |= {"KAOHE_HOME": str(tmp_path / "home"), "KAOHE_PROBE": str(probe), "GX_ANALYTICS_ENABLED": "false"}
    session = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider", str(inner)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert session.returncode == 1 and "1 failed, 1 passed" in session.stdout, session.stdout[-3000:] + session.stderr
    data_dir = Path(probe.read_text())  # the session had a server: the test below is not vacuous

    assert not postmasters_of(data_dir), f"a PostgreSQL of {data_dir} still runs after the session"
    assert not (data_dir / "postmaster.pid").exists()
    if not data_dir.is_relative_to(tmp_path):  # the fallback outside the home: deleted, not left to pile up
        assert not data_dir.exists(), f"{data_dir} was left behind"
