"""The measuring: a fresh database per measurement, one date's stages (discover → load → validate → dbt) timed in
process, peak memory sampled per stage, and the time the client waits on the database during a stage."""

from __future__ import annotations

import os
import resource
import threading
import time
import warnings
from contextlib import contextmanager
from datetime import date
from pathlib import Path


def prepare_environment(home: Path) -> None:
    """What every benchmark process (the parent and each child) runs under: the home as KAOHE_HOME (its own
    embedded PostgreSQL: the demo's warehouse is never touched), no warehouse URL from outside, quiet GX."""
    os.environ["KAOHE_HOME"] = str(home)
    os.environ.pop("KAOHE_WAREHOUSE_URL", None)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    warnings.filterwarnings("ignore")


def fresh_database(base_url: str, name: str) -> str:
    import psycopg
    from kaohe.warehouse import database_url

    admin = database_url(base_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    return database_url(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    import psycopg
    from kaohe.warehouse import database_url

    admin = database_url(base_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()


def peak_rss_bytes() -> int:
    """This process's peak resident memory (VmHWM). Not ``ru_maxrss``: Linux carries that over exec from the
    forking parent, so a child started while the parent held 250 MB reported 250 MB whatever it did."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RssSampler(threading.Thread):
    """Peak resident memory of this process, per stage (sampled every 10 ms)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self._stop = threading.Event()

    def reset(self) -> None:
        self.peak = rss_bytes()

    def run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_bytes())


class StatementClock:
    """Time spent inside psycopg ``execute`` calls — kaohe's own statements and GX's (SQLAlchemy runs on
    psycopg too): the database side of a stage, as the client waits for it."""

    def __init__(self):
        import psycopg

        self.seconds = 0.0
        self.statements = 0
        self._cursor = psycopg.Cursor
        self._original = psycopg.Cursor.execute

    def __enter__(self):
        clock, original = self, self._original

        def timed_execute(cursor, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(cursor, *args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - started
                clock.statements += 1

        self._cursor.execute = timed_execute
        return self

    def __exit__(self, *exc):
        self._cursor.execute = self._original


def database_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("select pg_database_size(current_database())").fetchone()[0]


def warm_up(landing: Path, day: date, base_url: str) -> float:
    """Pay the once-per-process costs before timing (GX and dbt imports, dbt's parse, GX's page templates):
    a range run pays them once, not per date. Runs one small day on a scratch database."""
    from kaohe import pipeline

    started = time.perf_counter()
    url = fresh_database(base_url, f"bench_warmup_{os.getpid()}")
    try:
        pipeline.load(landing, day, url)
        pipeline.validate(day, url)
        pipeline.transform(day, url)
    finally:
        drop_database(base_url, f"bench_warmup_{os.getpid()}")
    return time.perf_counter() - started


def run_stages(landing: Path, day: date, url: str, sampler: RssSampler | None = None, dbt_builds: int = 1) -> dict:
    """discover → load → validate → dbt for one date, each timed; returns seconds, rows, memory per stage.

    ``dbt_builds`` > 1: the marts are built that many times in a row (the same work: the day's loads are
    staged by the first) and dbt's time is the median — a second or two of noise on this shared machine
    is as large as the effect the day-366 comparison looks for."""
    from kaohe import pipeline
    from kaohe.loader import load_date

    out: dict = {"stages": {}, "peak_rss": {}}
    by_format: dict[str, list[float]] = {}

    def on_file(lf, outcome, seconds):
        entry = by_format.setdefault(lf.ext, [0.0, 0, 0])
        entry[0] += seconds
        entry[1] += outcome.rows_read
        entry[2] += 1

    @contextmanager
    def stage(name):
        if sampler:
            sampler.reset()
        started = time.perf_counter()
        yield
        out["stages"][name] = time.perf_counter() - started
        if sampler:
            out["peak_rss"][name] = max(sampler.peak, rss_bytes())

    with stage("discover"):
        found = pipeline.discover(landing, day)
    with stage("load"):
        outcomes = load_date(landing, day, url, on_file=on_file)
    with stage("validate"), StatementClock() as clock:
        validated = pipeline.validate(day, url)
    with stage("dbt"):
        pipeline.transform(day, url)
    if dbt_builds > 1:
        builds = [out["stages"]["dbt"]]
        for _ in range(dbt_builds - 1):
            started = time.perf_counter()
            pipeline.transform(day, url)
            builds.append(time.perf_counter() - started)
        out["dbt_builds"] = builds
        out["stages"]["dbt"] = sorted(builds)[len(builds) // 2]
    out["files"] = len(found["files"])
    out["rows"] = sum(o.rows_read for o in outcomes)
    out["rejected_files"] = sum(o.status == "rejected" for o in outcomes)
    out["quarantined"] = sum(k["rows_quarantined"] for k in validated["kinds"].values())
    out["load_by_format"] = {ext: {"seconds": s, "rows": r, "files": n} for ext, (s, r, n) in by_format.items()}
    out["validate_db_seconds"] = clock.seconds
    out["validate_statements"] = clock.statements
    out["stages"]["total"] = sum(out["stages"].values())
    return out
