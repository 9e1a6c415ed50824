"""A load killed mid-file leaves nothing behind; memory does not grow with file size."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import pytest
from kaohe.warehouse import connect

pytestmark = pytest.mark.integration

DAY = date(2026, 8, 3)
HEADER = "dept_code,indicator_code,as_of_date,cumulative_value,note\n"
LOAD_SCRIPT = """
import resource, sys
from datetime import date
from pathlib import Path
from kaohe.loader import load_date
outcomes = load_date(Path(sys.argv[1]), date.fromisoformat(sys.argv[2]))
print("ROWS", sum(o.rows_read for o in outcomes))
print("MAXRSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def big_progress_file(folder, rows: int):
    """A large indicator_progress file written in chunks (never all in memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "indicator_progress__D01.csv"
    line = "D01,K1-{:02d},2026-08-03,{}.5,某项工作按计划推进 note text to widen the row\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        chunk = []
        for i in range(rows):
            chunk.append(line.format(i % 97, i))
            if len(chunk) == 50_000:
                fh.writelines(chunk)
                chunk.clear()
        fh.writelines(chunk)
    return path


def run_load(landing, url):
    out = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, str(landing), DAY.isoformat()],
        env={**os.environ, "KAOHE_WAREHOUSE_URL": url},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    values = dict(line.split() for line in out.stdout.splitlines() if line.startswith(("ROWS", "MAXRSS_KB")))
    return int(values["ROWS"]), int(values["MAXRSS_KB"])


def test_a_load_killed_mid_copy_leaves_no_partial_rows(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    big_progress_file(landing / DAY.isoformat(), 1_500_000)
    proc = subprocess.Popen(
        [sys.executable, "-c", LOAD_SCRIPT, str(landing), DAY.isoformat()],
        env={**os.environ, "KAOHE_WAREHOUSE_URL": warehouse_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with connect(warehouse_url) as conn:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # wait until the COPY is streaming
                copying = conn.execute(
                    "select count(*) from pg_stat_activity where datname = current_database()"
                    " and query ilike 'copy raw.%%' and state = 'active'"
                ).fetchone()[0]
                if copying:
                    break
                assert proc.poll() is None, "the load ended before it could be killed"
                time.sleep(0.05)
            else:
                pytest.fail("the COPY never started")
            time.sleep(0.5)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            deadline = time.monotonic() + 30  # the server notices the dead client and rolls back
            while conn.execute(
                "select count(*) from pg_stat_activity where datname = current_database()"
                " and pid <> pg_backend_pid() and query ilike 'copy%%'"
            ).fetchone()[0]:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            assert conn.execute("select count(*) from raw.indicator_progress").fetchone()[0] == 0
            assert conn.execute("select count(*) from quarantine.file_loads").fetchone()[0] == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    rows, _ = run_load(landing, warehouse_url)  # the rerun loads the whole file once
    assert rows == 1_500_000
    with connect(warehouse_url) as conn:
        assert conn.execute("select count(*) from raw.indicator_progress").fetchone()[0] == 1_500_000


def test_memory_stays_flat_when_the_file_grows_tenfold(tmp_path, warehouse_url):
    small, large = tmp_path / "small", tmp_path / "large"
    big_progress_file(small / DAY.isoformat(), 300_000)
    path = big_progress_file(large / DAY.isoformat(), 3_000_000)
    assert path.stat().st_size > 200 * 1024 * 1024  # hundreds of MB
    small_rows, small_rss = run_load(small, warehouse_url)
    with connect(warehouse_url) as conn:  # the same name again would be "unchanged": start clean
        conn.execute(
            "truncate raw.indicator_progress, quarantine.rejected_rows, quarantine.rejected_files,"
            " quarantine.file_loads cascade"
        )
    large_rows, large_rss = run_load(large, warehouse_url)
    assert (small_rows, large_rows) == (300_000, 3_000_000)
    # 10× the rows, not 10× the memory: allow 25% + 30 MB of noise over the small file's peak.
    assert large_rss < small_rss * 1.25 + 30_000, (small_rss, large_rss)
