"""The benchmark of docs/performance.md still runs and prints its table (district only, no Airflow, history or
memory parts). Nothing here is timed: it checks that every stage and both baselines were measured on the same
rows, so the script cannot rot between the runs that produce the published figures."""

import json
import subprocess
import sys

import pytest
from kaohe.settings import project_root
from kaohe.warehouse import EmbeddedWarehouse

from ..conftest import stop_and_tidy

pytestmark = pytest.mark.integration


def test_the_benchmark_prints_every_stage_and_both_baselines():
    repo = project_root()
    home = repo / ".kaohe" / "test-bench"  # its own embedded PostgreSQL, stopped at the end
    figures = home / "figures.json"
    default_home = EmbeddedWarehouse(repo / ".kaohe" / "bench" / "pg")  # `make bench`'s: not to be touched here
    default_was_running = default_home.running()
    try:
        run = subprocess.run(
            [
                sys.executable,
                str(repo / "benchmarks" / "run.py"),
                "--scales",
                "district",
                "--home",
                str(home),
                "--skip-airflow",
                "--skip-history",
                "--skip-memory",
                "--json",
                str(figures),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        stopped_by_itself = not EmbeddedWarehouse(home / "pg").running()
    finally:  # also when it timed out or broke before its own stop
        stop_and_tidy(EmbeddedWarehouse(home / "pg"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert stopped_by_itself, "the benchmark left its PostgreSQL running"
    assert default_home.running() == default_was_running, "a benchmark child started the default home's server"

    report = json.loads(figures.read_text())
    district = report["scales"]["district"]
    assert district["rows"] > 10_000 and district["rejected_files"] == 0
    stages = district["stages"]
    assert all(stages[stage] > 0 for stage in ("discover", "load", "validate", "dbt"))
    assert stages["total"] == pytest.approx(sum(stages[s] for s in ("discover", "load", "validate", "dbt")))
    csv = district["load_by_format"]["csv"]
    # the baselines loaded exactly the rows of the day's CSV files that Kaohe's loader loaded
    assert district["psql"]["rows"] == district["pandas"]["rows"] == csv["rows"] > 0
    # the database-side clock counts statements of the validate stage only: within its wall time
    assert 0 < district["validate_db_seconds"] < stages["validate"] and district["validate_statements"] > 100

    table = run.stdout
    assert "scale      files      rows  discover    load  validate     dbt   total" in table
    assert table.count("\ndistrict ") == 1
    assert "district: loading ≥ 0.7x psql \\copy" in table
    assert "district: validation + quarantine ≥ 100,000 rows/s (database side)" in table
