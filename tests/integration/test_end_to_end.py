"""The whole path on generated data: landing files → Airflow → PostgreSQL → GX → dbt → marts.

One session-scoped run (fixture `district`, it costs tens of seconds) serves every assertion here.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kaohe.outputs import data_docs_dir, notices_dir
from kaohe.settings import state_dir
from kaohe.warehouse import connect

from .conftest import END, NEXT_DAY, START, kaohe

pytestmark = pytest.mark.integration


def test_run_prints_one_line_per_business_date(district):
    _, _, stdout = district
    lines = [line for line in stdout.splitlines() if line[:10] in {"2026-09-29", "2026-09-30", "2026-10-01"}]
    assert [line[:14] for line in lines] == ["2026-09-29  ok", "2026-09-30  ok", "2026-10-01  ok"]


def test_exactly_the_planted_rows_are_quarantined_under_their_rule(district):
    landing, url, _ = district
    with open(landing / "_planted" / "bad_rows.csv", encoding="utf-8") as fh:
        planted = {(r["business_date"], r["file"], int(r["row_number"])): r["rule"] for r in csv.DictReader(fh)}
    with connect(url) as conn:
        got = {
            (str(d), f, n): rule
            for d, f, n, rule in conn.execute(
                "select business_date, file, row_number, rule from quarantine.rejected_rows"
            )
        }
        messages = conn.execute("select message from quarantine.rejected_rows").fetchall()
    assert planted, "the generator planted bad rows"
    assert got == planted
    assert all(len(m) > 20 and m.startswith("Row ") for (m,) in messages)


def test_planted_bad_files_are_rejected_with_their_reason(district):
    landing, url, _ = district
    with open(landing / "_planted" / "bad_files.csv", encoding="utf-8") as fh:
        planted = {(r["business_date"], r["file"]): r["reason"] for r in csv.DictReader(fh)}
    with connect(url) as conn:
        got = {
            (str(d), f): reason.split(":", 1)[0]
            for d, f, reason in conn.execute("select business_date, file, reason from quarantine.rejected_files")
        }
    assert got == planted


def test_every_file_accounts_for_every_row(district):
    _, url, _ = district
    with connect(url) as conn:
        rows = conn.execute(
            "select file, rows_read, rows_loaded, rows_quarantined from quarantine.file_loads where status = 'loaded'"
        ).fetchall()
    assert rows
    assert [r for r in rows if r[1] != r[2] + r[3]] == []


def test_the_mart_scores_every_department_of_the_district(district):
    _, url, _ = district
    with connect(url) as conn:
        scores = conn.execute(
            "select dept_code, dept_class, score, grade, rank_in_class from marts.dept_quarter_scores"
            " where quarter = '2026Q3'"
        ).fetchall()
    assert len(scores) == 40
    assert {c for _, c, *_ in scores} == {"economic", "comprehensive", "agri"}
    scored = [s for s in scores if s[2] is not None]
    assert len(scored) >= 38
    assert all(0 <= s[2] <= 150 for s in scored)
    assert {s[3] for s in scored} <= {"优秀", "良好", "一般", "较差"}
    for cls in ("economic", "comprehensive", "agri"):  # ranks are 1..n within each class
        ranks = sorted(s[4] for s in scored if s[1] == cls)
        assert ranks == list(range(1, len(ranks) + 1))


def test_rerunning_the_dates_changes_nothing(district):
    landing, url, _ = district

    def snapshot():
        with connect(url) as conn:
            return (
                conn.execute("select count(*), sum(rows_read) from quarantine.file_loads").fetchone(),
                conn.execute("select count(*) from quarantine.rejected_rows").fetchone(),
                conn.execute(
                    "select dept_code, quarter, score, grade from marts.dept_quarter_scores order by 1, 2"
                ).fetchall(),
            )

    before = snapshot()
    again = kaohe("run", "--landing", str(landing), "--from", START.isoformat(), "--to", END.isoformat(), url=url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert snapshot() == before


def test_the_stock_airflow_dags_test_command_runs_the_dag(district, tmp_path):
    landing, url, _ = district
    from kaohe.airflow_runner import airflow_env, airflow_lock, ensure_airflow_db

    env = {**os.environ, **airflow_env(url, landing)}
    airflow = Path(sys.executable).with_name("airflow")
    with airflow_lock():
        ensure_airflow_db(env)
        out = subprocess.run(
            [str(airflow), "dags", "test", "kaohe_daily", "2026-10-01T08:00:00+08:00"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


def test_a_failing_task_fails_the_run_with_its_reason(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    (landing / "2026-09-29").mkdir(parents=True)
    broken = tmp_path / "broken_dbt"  # a dbt project that cannot parse: the transform task fails
    broken.mkdir()
    (broken / "dbt_project.yml").write_text("name: [not valid\n")
    env_project = {"KAOHE_DBT_PROJECT_DIR": str(broken)}
    out = subprocess.run(
        [str(Path(sys.executable).with_name("kaohe")), "run", "--landing", str(landing), "--from", "2026-09-29"],
        env={**os.environ, "KAOHE_WAREHOUSE_URL": warehouse_url, **env_project},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("kaohe run: 2026-09-29: task transform failed")
    with connect(warehouse_url) as conn:
        recorded = conn.execute("select task_id, error from ops.run_failures order by failure_id").fetchall()
    # the task's failure, then the DAG run's (task_id null) naming the failed task
    assert [task for task, _ in recorded] == ["transform", None]
    assert "dbt" in recorded[0][1] and "failed tasks: transform" in recorded[1][1]


def test_explain_tells_how_a_department_score_came_about(district):
    _, url, _ = district
    with connect(url) as conn:
        dept, score = conn.execute(
            "select dept_code, score from marts.dept_quarter_scores where quarter = '2026Q3'"
            " and score is not null order by dept_code limit 1"
        ).fetchone()
    out = kaohe("explain", "--dept", dept, "--quarter", "2026Q3", url=url)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"score {score}" in out.stdout
    assert f"total {score}" in out.stdout  # the lineage rows add up to the score
    assert "Grade decided by" in out.stdout
    assert "provisional" not in out.stdout  # 2026Q3's last day has been run: final
    missing = kaohe("explain", "--cadre", "C9999999", "--quarter", "2026Q3", url=url)
    assert missing.returncode != 0 and "no grade for cadre" in missing.stderr


def test_explain_says_a_quarter_in_progress_is_provisional(district):
    """2026Q4 has run one day (2026-10-01): a department's and a cadre's explanation say "as of …, provisional";
    the same cadre's 2026Q3 (final) says nothing of the kind."""
    _, url, _ = district
    with connect(url) as conn:
        dept, cadre = conn.execute(
            "select dept_code, cadre_id from marts.cadre_quarter_grades where quarter = '2026Q4'"
            " and cadre_id in (select cadre_id from marts.cadre_quarter_grades"
            " where quarter = '2026Q3') order by cadre_id limit 1"
        ).fetchone()
    provisional = "as of 2026-10-01, provisional: 2026Q4 is in progress"
    for args in (["--dept", dept], ["--cadre", cadre]):
        open_quarter = kaohe("explain", *args, "--quarter", "2026Q4", url=url)
        assert open_quarter.returncode == 0, open_quarter.stderr[-2000:]
        assert provisional in open_quarter.stdout, open_quarter.stdout
    final = kaohe("explain", "--cadre", cadre, "--quarter", "2026Q3", url=url)
    assert final.returncode == 0 and "provisional" not in final.stdout, final.stdout


def test_two_warehouses_write_their_notices_and_data_docs_to_their_own_folders(district, next_day):
    _, district_url, _ = district
    _, other_url = next_day  # another warehouse (a copy of the district) that ran NEXT_DAY after the district ran
    other_day = NEXT_DAY.isoformat()

    mine, theirs = notices_dir(district_url), notices_dir(other_url)
    assert mine != theirs and not mine.is_relative_to(theirs) and not theirs.is_relative_to(mine)
    days = [START.isoformat(), "2026-09-30", END.isoformat()]
    assert sorted(p.name for p in mine.iterdir()) == ["latest.html", *(f"notice_{d}.html" for d in days)]
    assert sorted(p.name for p in theirs.iterdir()) == ["latest.html", f"notice_{other_day}.html"]
    # each latest.html is its own warehouse's newest notice: the other run did not move it
    assert (mine / "latest.html").read_bytes() == (mine / f"notice_{END.isoformat()}.html").read_bytes()
    assert (theirs / "latest.html").read_bytes() == (theirs / f"notice_{other_day}.html").read_bytes()
    assert (mine / "latest.html").read_bytes() != (theirs / "latest.html").read_bytes()
    for url, dates in ((district_url, days), (other_url, [other_day])):
        sites = sorted(p.name for p in data_docs_dir(url).iterdir() if (p / "index.html").exists())
        assert sites == dates, url
    # neither is a demo's: the embedded warehouse's own folders stay untouched
    assert not (state_dir() / "reports" / "notices" / f"notice_{START.isoformat()}.html").exists()
