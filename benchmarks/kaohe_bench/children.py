"""The child-process protocol: each scale, the history and the memory check run in a fresh process, so imports,
dbt's parse and peak memory of one measurement do not leak into the next (nor into the parent's figures).

The parent runs (through `run_child`)

    python -P -m kaohe_bench.children KIND --home HOME [options]   # benchmarks/ on PYTHONPATH (-P: not the cwd)

    KIND      options                                                      measures
    scale     --scale NAME --landing DIR --warm-landing DIR --day DATE [--keep]   `measure_scale`
    history   --landing DIR --start DATE [--keep]                          `measure_history`
    memory    --landing DIR --day DATE                                     `measure_memory`

HOME is always the parent's --home (a child on the default one would start, and leave running, a server of its
own); the child uses that home's embedded PostgreSQL, which the parent started and stops. The child's answer is its
last line on stdout: one JSON object with its figures (whatever dbt or GX print before it is ignored); its stderr is
the parent's. A non-zero exit means the measurement failed, and the parent raises.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from . import BENCH_DIR
from .baselines import csv_files, pandas_to_sql, psql_copy
from .harness import (
    RssSampler,
    database_size,
    drop_database,
    fresh_database,
    peak_rss_bytes,
    prepare_environment,
    rss_bytes,
    run_stages,
    warm_up,
)

# dbt builds timed for each of day 1 and day 366 (the median counts): single builds of ≈ 5 s varied by 1–2 s on a
# shared machine, the first of a series most (6.5, 5.4, 5.9 s)
HISTORY_DBT_BUILDS = 5


# --- the parent's side --------------------------------------------------------------------------------------


def run_child(kind: str, home: Path, **options: str | Path | date | bool | None) -> dict:
    """Runs one measurement in a child and returns the JSON of its last stdout line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run(
        [sys.executable, "-P", "-m", "kaohe_bench.children", *child_argv(kind, home, **options)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"benchmark child {kind} failed (exit {out.returncode}); see its stderr above")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_argv(kind: str, home: Path, **options: str | Path | date | bool | None) -> list[str]:
    """The child's arguments: the measurement's keyword arguments as options (warm_landing=… → --warm-landing …,
    keep=True → --keep, False or None → left out)."""
    argv = [kind, "--home", str(home)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value not in (None, False):
            argv += [flag, str(value)]
    return argv


# --- the measurements, each in its own child --------------------------------------------------------------------


def measure_scale(scale: str, landing: Path, warm_landing: Path, day: date, keep: bool = False) -> dict:
    """One scale: warm up, the four stages on a fresh database, then the baselines on the same CSV files."""
    from kaohe.warehouse import EmbeddedWarehouse

    base_url = EmbeddedWarehouse.default().start()
    result: dict = {"warm_up_s": warm_up(warm_landing, day, base_url)}
    sampler = RssSampler()
    sampler.start()
    result["rss_before"] = rss_bytes()
    url = fresh_database(base_url, f"bench_{scale}")
    result |= run_stages(landing, day, url, sampler)
    result["db_size"] = database_size(url)
    files = csv_files(landing / day.isoformat())
    result["csv_bytes"] = sum(Path(f["path"]).stat().st_size for f in files)
    result["largest_file_bytes"] = max((p.stat().st_size for p in (landing / day.isoformat()).iterdir()), default=0)
    baseline_url = fresh_database(base_url, f"bench_{scale}_baselines")
    # psql twice (before and after pandas), the faster counts: the limit is taken at its best
    first = psql_copy(files, baseline_url)
    result["pandas"] = pandas_to_sql(files, baseline_url)
    second = psql_copy(files, baseline_url)
    result["psql"] = min(first, second, key=lambda r: r["seconds"])
    result["psql_runs"] = [first["seconds"], second["seconds"]]
    result["peak_rss_process"] = peak_rss_bytes()
    if not keep:  # a province warehouse is ≈ 2 GB
        drop_database(base_url, f"bench_{scale}_baselines")
        drop_database(base_url, f"bench_{scale}")
    return result


def measure_history(landing: Path, start: date, keep: bool = False) -> dict:
    """Day 366 of a year of history against day 1, both ordinary Mondays, both timed warm in this process.

    Day 1: a fresh warehouse gets the first landing day (every reference snapshot) through the pipeline,
    then the next day is timed. Day 366: a warehouse gets the same first day and the next 364 days in bulk —
    every file loaded by the real loader, the (clean, generated) loads marked validated in one statement
    instead of 365 GX runs, tables analysed, the marts built once — then the 366th day is timed through the
    full pipeline like day 1.
    """
    import psycopg
    from kaohe import pipeline
    from kaohe.loader import load_date
    from kaohe.warehouse import EmbeddedWarehouse

    base_url = EmbeddedWarehouse.default().start()
    day1, day366 = start + timedelta(days=1), start + timedelta(days=365)
    result: dict = {
        "warm_up_s": warm_up(landing, start, base_url),
        "day1": day1.isoformat(),
        "day366": day366.isoformat(),
    }

    url = fresh_database(base_url, "bench_history_day1")
    pipeline.load(landing, start, url)
    pipeline.validate(start, url)
    pipeline.transform(start, url)
    result["day1_run"] = run_stages(landing, day1, url, dbt_builds=HISTORY_DBT_BUILDS)

    url = fresh_database(base_url, "bench_history_day366")
    started = time.perf_counter()
    rows = 0
    for offset in range(365):
        rows += sum(o.rows_read for o in load_date(landing, start + timedelta(days=offset), url))
    pipeline.validate(start, url)  # creates the valid views (and validates the first day for real)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update quarantine.file_loads set status = 'loaded', rows_loaded = rows_read,"
            " rows_quarantined = 0, validated_at = clock_timestamp() where status = 'pending'"
        )
        conn.execute("analyze")
    pipeline.transform(start + timedelta(days=364), url)
    result["history_rows"] = rows
    result["history_build_s"] = time.perf_counter() - started
    result["day366_run"] = run_stages(landing, day366, url, dbt_builds=HISTORY_DBT_BUILDS)
    result["history_db_size"] = database_size(url)
    if not keep:
        drop_database(base_url, "bench_history_day1")
        drop_database(base_url, "bench_history_day366")
    return result


def measure_memory(landing: Path, day: date) -> dict:
    """Load one big CSV file; report the process's peak RSS."""
    from kaohe.loader import load_date
    from kaohe.warehouse import EmbeddedWarehouse

    base_url = EmbeddedWarehouse.default().start()
    url = fresh_database(base_url, f"bench_memory_{os.getpid()}")
    before = rss_bytes()
    started = time.perf_counter()
    outcomes = load_date(landing, day, url)
    seconds = time.perf_counter() - started
    drop_database(base_url, f"bench_memory_{os.getpid()}")
    return {
        "rows": sum(o.rows_read for o in outcomes),
        "seconds": seconds,
        "rss_before": before,
        "peak_rss": peak_rss_bytes(),
    }


MEASUREMENTS = {"scale": measure_scale, "history": measure_history, "memory": measure_memory}


def parse_child_argv(argv: list[str] | None = None) -> tuple[str, Path, dict]:
    """(kind, home, the measurement's keyword arguments, typed): the options of each kind are its function's
    parameters, so the protocol cannot drift from the measurements."""
    parser = argparse.ArgumentParser(prog="python -m kaohe_bench.children", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    convert = {"str": str, "Path": Path, "date": date.fromisoformat}
    for kind, measure in MEASUREMENTS.items():
        p = sub.add_parser(kind, help=measure.__doc__.split("\n")[0])
        p.add_argument("--home", type=Path, required=True)
        for name, parameter in inspect.signature(measure).parameters.items():
            flag = "--" + name.replace("_", "-")
            if parameter.annotation == "bool":
                p.add_argument(flag, action="store_true")
            else:
                p.add_argument(flag, required=True, type=convert[parameter.annotation])
    options = vars(parser.parse_args(argv))
    return options.pop("kind"), options.pop("home"), options


def main(argv: list[str] | None = None) -> int:
    kind, home, options = parse_child_argv(argv)
    prepare_environment(home)
    print(json.dumps(MEASUREMENTS[kind](**options), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
