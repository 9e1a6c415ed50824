"""Every DAG file imports cleanly and kaohe_daily has the expected shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from kaohe.assets import MARTS
from kaohe.settings import dags_dir, dbt_project_dir, project_root

pytestmark = pytest.mark.integration


def _dagbag_report(tmp_path) -> str:
    # A fresh interpreter with its own AIRFLOW_HOME, as the dag-processor would parse.
    code = textwrap.dedent(f"""
        import json
        from airflow.dag_processing.dagbag import DagBag
        bag = DagBag({str(dags_dir())!r})
        out = {{"errors": {{k: str(v) for k, v in bag.import_errors.items()}}, "dags": {{}}}}
        for dag_id, dag in bag.dags.items():
            out["dags"][dag_id] = {{
                "tasks": sorted(dag.task_dict),
                "edges": sorted([t.task_id, d] for t in dag.tasks for d in t.downstream_task_ids),
                "timezone": str(dag.timezone),
                "max_active_runs": dag.max_active_runs,
                "params": sorted(dag.params.keys()),
                "outlets": {{t.task_id: sorted(a.name for a in t.outlets) for t in dag.tasks if t.outlets}},
                "schedule_assets": sorted(a.name for a in getattr(dag.timetable.asset_condition, "objects", []))
                                   if hasattr(dag.timetable, "asset_condition") else [],
                "manual_only": type(dag.timetable).__name__ == "NullTimetable",
            }}
        print("REPORT" + json.dumps(out))
    """)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_dir()),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=project_root(), timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.split("REPORT", 1)[1]


def dbt_marts() -> set[str]:
    """The models of dbt_project/models/marts (the folder dbt_project.yml puts in schema marts)."""
    return {path.stem for path in (dbt_project_dir() / "models" / "marts").rglob("*.sql")}


def test_the_asset_list_is_the_dbt_marts():
    assert len(MARTS) == len(set(MARTS))
    assert set(MARTS) == dbt_marts()


def test_every_dag_imports_and_kaohe_daily_is_wired(tmp_path):
    report = json.loads(_dagbag_report(tmp_path))
    assert report["errors"] == {}
    daily = report["dags"]["kaohe_daily"]
    assert daily["tasks"] == ["discover", "load", "payroll", "summarise", "transform", "validate", "wait_for_landing"]
    assert daily["edges"] == [
        ["discover", "load"],
        ["load", "validate"],
        ["payroll", "summarise"],
        ["transform", "payroll"],
        ["validate", "transform"],
        ["wait_for_landing", "discover"],
    ]
    # one Asset per model the dbt project builds into schema marts (a new mart without its Asset fails here)
    assert daily["outlets"]["transform"] == sorted(f"marts.{m}" for m in dbt_marts())
    assert daily["outlets"]["payroll"] == ["payroll.quarterly_adjustments"]
    notice = report["dags"]["kaohe_notice"]
    assert notice["tasks"] == ["render"]
    # data-aware: the notice runs when the marts it reads are refreshed, not on a clock
    assert notice["schedule_assets"] == [
        "marts.daily_demolition_groups",
        "marts.daily_warnings",
        "marts.submission_completeness",
    ]
    publish = report["dags"]["kaohe_publish"]
    assert publish["tasks"] == ["publish"] and publish["schedule_assets"] == [] and publish["manual_only"]
    assert {"quarter", "dry_run"} <= set(publish["params"])
    assert daily["max_active_runs"] == 1
    assert "Asia/Shanghai" in daily["timezone"]
    assert {"business_date", "landing"} <= set(daily["params"])


def test_dag_files_do_not_import_heavy_libraries_at_parse_time():
    """GX (≈ 3–7 s) and dbt are imported inside tasks, never when the DAG is parsed. One process parses the
    files one after another (Airflow's import, ≈ 4 s, paid once) and names what each parse left imported: any
    heavy import fails the test, the first file listed is the one that did it."""
    code = (
        "import json, sys, runpy\n"
        "for path in sys.argv[1:]:\n"
        "    runpy.run_path(path)\n"
        "    heavy = [m for m in ('great_expectations', 'dbt.cli.main') if m in sys.modules]\n"
        "    print('PARSED ' + json.dumps([path, heavy]))\n"
    )
    dag_files = sorted(str(p) for p in dags_dir().glob("*.py"))
    assert dag_files
    out = subprocess.run(
        [sys.executable, "-c", code, *dag_files],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    parsed = [json.loads(line[len("PARSED ") :]) for line in out.stdout.splitlines() if line.startswith("PARSED ")]
    assert [path for path, _ in parsed] == dag_files
    assert {Path(path).name: heavy for path, heavy in parsed if heavy} == {}
