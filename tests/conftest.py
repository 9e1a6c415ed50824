"""Shared fixtures: a real PostgreSQL (the project's embedded warehouse) for the
whole session, and a fresh database for each test that needs one."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from kaohe.warehouse import database_url

REPO = Path(__file__).resolve().parents[1]
# Tests get their own state folder: the demo's warehouse is never touched.
os.environ.setdefault("KAOHE_HOME", str(REPO / ".kaohe" / "test-home"))
os.environ.pop("KAOHE_WAREHOUSE_URL", None)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def embedded_warehouse():
    from kaohe.warehouse import EmbeddedWarehouse

    warehouse = EmbeddedWarehouse.default()
    warehouse.start()
    return warehouse


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
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def write_file(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path
