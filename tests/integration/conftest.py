"""Integration fixtures shared by modules: the generated district run once through
kaohe_daily (it costs tens of seconds), the states built from it once per session (the next
date run, the finished quarter published), and private copies of them for tests that write."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
from kaohe.outputs import reports_dir
from kaohe.warehouse import database_name, database_url

from ..conftest import drop_database

START, END = date(2026, 9, 29), date(2026, 10, 1)  # spans the end of 2026Q3
NEXT_DAY = date(2026, 10, 2)  # the day after the district's last


def kaohe(*args, url: str, timeout: int = 900, **env) -> subprocess.CompletedProcess:
    """The installed `kaohe` command against the warehouse at `url`."""
    kaohe_bin = Path(sys.executable).with_name("kaohe")
    return subprocess.run(
        [str(kaohe_bin), *args],
        env={**os.environ, "KAOHE_WAREHOUSE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def kaohe_process(*args, url: str, **env) -> subprocess.Popen:
    """The `kaohe` command started in a process group of its own (so that a test can kill it and its children
    at once); output to pipes, read them with communicate()."""
    kaohe_bin = Path(sys.executable).with_name("kaohe")
    return subprocess.Popen(
        [str(kaohe_bin), *args],
        env={**os.environ, "KAOHE_WAREHOUSE_URL": url, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _admin_url(embedded_warehouse) -> str:
    return database_url(embedded_warehouse.url(), "postgres")


@pytest.fixture(scope="session")
def district(tmp_path_factory, embedded_warehouse):
    """A fresh database with the generated district run through kaohe_daily for START..END.

    Tests must not change it; a test that writes takes `district_copy`."""
    landing = tmp_path_factory.mktemp("landing")
    name = f"e2e_{uuid.uuid4().hex[:8]}"
    admin = _admin_url(embedded_warehouse)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = database_url(embedded_warehouse.url(), name)
    generated = kaohe(
        "generate",
        "--landing",
        str(landing),
        "--from",
        START.isoformat(),
        "--to",
        END.isoformat(),
        "--bad-rows",
        url=url,
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    run = kaohe("run", "--landing", str(landing), "--from", START.isoformat(), "--to", END.isoformat(), url=url)
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-4000:])
    yield landing, url, run.stdout
    drop_database(admin, url)


@pytest.fixture(scope="session")
def published_district(district, embedded_warehouse):
    """The district after `kaohe publish --quarter 2026Q3` (its finished quarter): (landing, url). Tests must
    not change it; a test that writes takes `published_copy` (the crash drills compare with it)."""
    landing, url, _ = district
    with database_copy(embedded_warehouse, url) as published_url:
        done = kaohe("publish", "--quarter", "2026Q3", url=published_url)
        assert done.returncode == 0 and "published 2026Q3 version 1" in done.stdout, done.stdout + done.stderr[-3000:]
        yield landing, published_url


@pytest.fixture
def published_copy(published_district, embedded_warehouse):
    """A private copy of the published district: (landing, url)."""
    landing, source_url = published_district
    with database_copy(embedded_warehouse, source_url) as url:
        yield landing, url


@pytest.fixture(scope="session")
def second_home(tmp_path_factory) -> Path:
    """A second state folder (Airflow home, dbt target) for a `kaohe run` beside one from the suite's own: two
    runs at once need two, as `kaohe run` locks its Airflow home. Its first run migrates its metadata (≈ 6 s).
    One run at a time in it."""
    return tmp_path_factory.mktemp("second_home")


@pytest.fixture(scope="session")
def next_day(district, embedded_warehouse, tmp_path_factory):
    """The district's landing with one more date (NEXT_DAY), and the district after an uninterrupted run of
    it: (landing, reference_url). Tests must not change either; a test that writes copies the reference with
    `database_copy` (the crash and backup drills compare with it; test_end_to_end reads its outputs as another
    warehouse's)."""
    landing, url, _ = district
    folder = tmp_path_factory.mktemp("next_day")
    more = folder / "landing"
    shutil.copytree(landing, more)
    # an ordinary day (generated as the fourth of the range: a date generated alone is a first delivery —
    # every master snapshot and the whole ledger history — costs several times more to run, and the
    # generator's files for a date depend on its range)
    generated = kaohe(
        "generate",
        "--landing",
        str(folder / "generated"),
        "--from",
        START.isoformat(),
        "--to",
        NEXT_DAY.isoformat(),
        "--bad-rows",
        url=url,
    )
    assert generated.returncode == 0, generated.stderr[-2000:]
    shutil.copytree(folder / "generated" / NEXT_DAY.isoformat(), more / NEXT_DAY.isoformat())
    with database_copy(embedded_warehouse, url) as reference_url:
        run = kaohe(
            "run",
            "--landing",
            str(more),
            "--from",
            NEXT_DAY.isoformat(),
            url=reference_url,  # its notices and Data Docs go to its own warehouse's folder (kaohe.outputs)
        )
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
        yield more, reference_url


@pytest.fixture(scope="session")
def district_reports(district) -> Path:
    """Where the district run wrote its reports (the daily notices under notices/): its warehouse's own folder
    (kaohe.outputs), which no other test session or database shares."""
    return reports_dir(district[1])


@contextlib.contextmanager
def copy_of_district(district, embedded_warehouse):
    """A private copy of the district database, dropped afterwards: its URL. For fixtures of a wider scope
    than `district_copy`'s."""
    with database_copy(embedded_warehouse, district[1]) as url:
        yield url


@contextlib.contextmanager
def database_copy(embedded_warehouse, source_url: str):
    """A private copy of a database (PostgreSQL template copy, ≈ 1 s), dropped afterwards: its URL."""
    source = database_name(source_url)
    name = f"copy_{uuid.uuid4().hex[:8]}"
    admin = _admin_url(embedded_warehouse)
    with psycopg.connect(admin, autocommit=True) as conn:
        # a template must have no other sessions; ours are all closed by now
        conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (source,))
        conn.execute(f'create database "{name}" template "{source}"')
    url = database_url(embedded_warehouse.url(), name)
    try:
        yield url
    finally:
        drop_database(admin, url)


@pytest.fixture
def district_copy(district, embedded_warehouse):
    """A private copy of the district database: (landing, url)."""
    landing, source_url, _ = district
    with database_copy(embedded_warehouse, source_url) as url:
        yield landing, url
