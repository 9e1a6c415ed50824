"""Kaohe benchmark (issue 6): one landing day at district, city and province scale.

    make bench                                                   # district only (what CI runs)
    .venv/bin/python benchmarks/run.py --scales district,city,province

For the same landing day at each scale it measures, in process, the time of each
stage of kaohe_daily (discover, load, validate, dbt), rows/s and peak memory;
and, in the same run on the same CSV files, the two baselines: ``psql \\copy``
(the limit) and pandas ``read_csv`` + ``to_sql`` (what users usually write).
At district scale it also times the Airflow path (``kaohe run`` over three days
in one process: the first day from landing to marts, then each further day),
day 366 of a year of history against day 1, and peak memory for a 10x larger
file. It prints one table, with every target of the issue checked.

Everything runs on its own embedded PostgreSQL under ``.kaohe/bench``
(``--home``; it becomes KAOHE_HOME), one fresh database per measurement: the
demo's warehouse is never touched. Each scale runs in a child process
(``kaohe_bench.children`` says how), so imports and peak memory of one scale
do not leak into the next. Generated landing trees are kept under the home and
reused by later runs.

This is a benchmark, not a test: it exits 0 whether or not targets are met
(``--strict`` makes a missed target exit 1).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from . import REPO
from .children import run_child
from .harness import prepare_environment
from .landings import generated, memory_file
from .range_run import airflow_range
from .report import evaluate, machine, print_report

DEFAULT_DAY = date(2026, 9, 30)  # a quarter end: every kind arrives, quarter scores and grades are computed
RANGE_DAYS = 3  # the Airflow range run at district scale
HISTORY_START = date(2025, 10, 5)  # day 1 = 2025-10-06 and day 366 = 2026-10-05: both ordinary Mondays
MEMORY_ROWS = 200_000  # the memory check loads this many rows, then 10x as many


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="district", help="comma-separated: district,city,province")
    parser.add_argument("--day", default=DEFAULT_DAY.isoformat(), help="the landing day (generated as a first day)")
    parser.add_argument("--home", default=str(REPO / ".kaohe" / "bench"), help="state folder (KAOHE_HOME)")
    parser.add_argument("--skip-airflow", action="store_true", help="no Airflow range run")
    parser.add_argument("--skip-history", action="store_true", help="no day-366 measurement")
    parser.add_argument("--skip-memory", action="store_true", help="no 10x-file memory check")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args(argv)

    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    prepare_environment(home)

    from kaohe.warehouse import EmbeddedWarehouse

    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    day = date.fromisoformat(args.day)
    bench_started = time.perf_counter()
    report: dict = {"machine": machine(), "day": day.isoformat(), "scales": {}, "durations": {}}
    base_url = EmbeddedWarehouse.default().start()
    try:

        def log(message: str) -> None:
            print(f"[{time.perf_counter() - bench_started:7.1f}s] {message}", file=sys.stderr, flush=True)

        warm_landing, warm_gen_s = generated(home, f"district-{day}", "district", day, day)
        for scale in scales:
            started = time.perf_counter()
            landing, gen_s = generated(home, f"{scale}-{day}", scale, day, day)
            if scale == "district" and gen_s is None:
                gen_s = warm_gen_s  # the warm-up's landing is the district's
            log(f"{scale}: landing ready ({f'generated in {gen_s:.1f}s' if gen_s else 'reused'}); running the stages")
            result = run_child(
                "scale", home, scale=scale, landing=landing, warm_landing=warm_landing, day=day, keep=args.keep
            )
            result["generate_s"] = gen_s
            result["bench_s"] = time.perf_counter() - started
            report["scales"][scale] = result
            log(
                f"{scale}: done in {result['bench_s']:.0f}s (total {result['stages']['total']:.1f}s for "
                f"{result['rows']} rows)"
            )

        if "district" in scales and not args.skip_airflow:
            started = time.perf_counter()
            landing, _ = generated(home, f"district-range-{day}", "district", day, day + timedelta(days=RANGE_DAYS - 1))
            log(f"airflow: kaohe run over {RANGE_DAYS} district days")
            report["airflow"] = airflow_range(home, landing, day, RANGE_DAYS, base_url, keep=args.keep)
            report["durations"]["airflow"] = time.perf_counter() - started

        if "district" in scales and not args.skip_history:
            started = time.perf_counter()
            landing, gen_s = generated(
                home, "district-history", "district", HISTORY_START, HISTORY_START + timedelta(days=365)
            )
            log(
                f"history: a year of district days ({f'generated in {gen_s:.0f}s' if gen_s else 'reused'}); "
                "day 1 vs day 366"
            )
            report["history"] = run_child("history", home, landing=landing, start=HISTORY_START, keep=args.keep)
            report["durations"]["history"] = time.perf_counter() - started

        if not args.skip_memory:
            started = time.perf_counter()
            log(f"memory: one file of {MEMORY_ROWS} rows, then {10 * MEMORY_ROWS}")
            small = run_child("memory", home, landing=memory_file(home, MEMORY_ROWS, day), day=day)
            large = run_child("memory", home, landing=memory_file(home, 10 * MEMORY_ROWS, day), day=day)
            report["memory"] = {"small": small, "large": large}
            report["durations"]["memory"] = time.perf_counter() - started
    finally:
        if not args.keep:  # its own server, stopped also when a measurement failed (a later run starts it again)
            EmbeddedWarehouse.default().stop()
    report["durations"]["all"] = time.perf_counter() - bench_started
    checks = evaluate(report)
    print_report(report, checks)
    (home / "results.json").write_text(json.dumps(report, indent=1, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    return 1 if args.strict and any(not ok for _, _, ok in checks if ok is not None) else 0
