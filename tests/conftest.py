"""Shared fixtures: a real PostgreSQL (the project's embedded warehouse) for the
whole session, and a fresh database for each test that needs one.

Every server the suite starts is stopped when the session ends, pass or fail
(tests/integration/test_suite_cleanup.py proves it)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from pathlib import Path

import pytest
from kaohe.warehouse import database_url

REPO = Path(__file__).resolve().parents[1]
# Tests get their own state folder: the demo's warehouse is never touched.
os.environ.setdefault("KAOHE_HOME", str(REPO / ".kaohe" / "test-home"))
os.environ.pop("KAOHE_WAREHOUSE_URL", None)
os.environ.pop("KAOHE_REPORTS", None)  # reports go to the folder of the warehouse they came from (kaohe.outputs)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def stop_and_tidy(warehouse) -> None:
    """Stop a test's server; a cluster living outside the checkout (the /var/tmp fallback, used when the
    server user cannot reach the home) is deleted too: initdb costs ≈ 1 s, leftovers pile up for good."""
    if (warehouse.home / "location").exists():
        warehouse.remove()
    else:
        warehouse.stop()


@contextlib.contextmanager
def shared_by_sessions(warehouse):
    """Test sessions of one KAOHE_HOME share its server (each holds a shared lock); the last one to end stops it."""
    warehouse.home.mkdir(parents=True, exist_ok=True)
    with open(warehouse.home / ".test-sessions", "w") as sessions:
        fcntl.flock(sessions, fcntl.LOCK_SH)
        try:
            yield
        finally:
            try:
                fcntl.flock(sessions, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # another session is still using it: it stops the server when it ends
            else:
                stop_and_tidy(warehouse)


@pytest.fixture(scope="session")
def embedded_warehouse():
    from kaohe.warehouse import EmbeddedWarehouse

    warehouse = EmbeddedWarehouse.default()
    with shared_by_sessions(warehouse):
        warehouse.start()
        yield warehouse


@pytest.fixture
def warehouse_url(embedded_warehouse, monkeypatch):
    """A new, empty database on the embedded server; dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = database_url(embedded_warehouse.url(), "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = database_url(embedded_warehouse.url(), name)
    monkeypatch.setenv("KAOHE_WAREHOUSE_URL", url)
    yield url
    drop_database(admin, url)


def drop_database(admin_url: str, url: str) -> None:
    """Drop a test's database and the outputs written for it (its notices, Data Docs: kaohe.outputs)."""
    import psycopg
    from kaohe.outputs import warehouse_dir
    from kaohe.warehouse import database_name

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{database_name(url)}" with (force)')
    shutil.rmtree(warehouse_dir(url), ignore_errors=True)


def write_file(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path
