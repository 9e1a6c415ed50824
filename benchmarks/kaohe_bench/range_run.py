"""The Airflow path at district scale: `kaohe run` over several dates in one process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from .harness import drop_database, fresh_database


def airflow_range(home: Path, landing: Path, start: date, days: int, base_url: str, keep: bool = False) -> dict:
    """`kaohe run` over `days` district dates in one process: Airflow, the DAG parse and dbt's parse are paid
    once. Times the first date from process start (landing to marts, everything included) and each further one."""
    from kaohe.airflow_runner import airflow_env, ensure_airflow_db

    url = fresh_database(base_url, "bench_airflow")
    started = time.perf_counter()
    ensure_airflow_db(airflow_env(url))  # once per installation (≈ 6 s), not per run
    migrate_s = time.perf_counter() - started
    end = start + timedelta(days=days - 1)
    env = {**os.environ, "KAOHE_WAREHOUSE_URL": url, "KAOHE_REPORTS": str(home / "reports")}
    cmd = [
        str(Path(sys.executable).with_name("kaohe")),
        "run",
        "--landing",
        str(landing),
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marks = []
    for line in proc.stdout:
        if "  ok  " in line:
            marks.append((time.perf_counter() - started, float(line.rsplit("[", 1)[1].rstrip("s]\n"))))
    stderr = proc.stderr.read()
    if proc.wait() != 0:
        raise RuntimeError(f"kaohe run failed: {stderr[-2000:]}")
    wall = time.perf_counter() - started
    if not keep:
        drop_database(base_url, "bench_airflow")
    return {
        "migrate_s": migrate_s,
        "first_day_wall_s": marks[0][0],
        "per_date_s": [m[1] for m in marks],
        "further_days_s": [m[1] for m in marks[1:]],
        "wall_s": wall,
        "dates": len(marks),
    }
