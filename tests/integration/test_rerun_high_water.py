"""A rerun of a past date never takes the warehouse back in time (issue 13, item 1).

The district has run 2026-09-29 .. 2026-10-01 (its high-water mark is 2026-10-01). On a copy of it, 2026-09-29
is rerun (a) unchanged, then (b) after a department resent its indicator_progress file and a late Q3 deduction
arrived (a bonus_penalty file), both in that date's folder. (a) must change nothing; (b) must equal a straight
run of the three dates with those files in place from the start — every table of marts, raw, quarantine,
payroll — except the per-date marts' rows of the later dates: by the rulebook (section 5) a day's rows use the
data delivered up to that day and are not rewritten by later deliveries, so the rerun leaves them as they were
(docs/decisions.md). The date's own notice describes that date.

One module fixture pays for the runs (two reruns and, beside them, one straight run: ≈ 1 min); the tests only
compare.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from kaohe.warehouse import database_url

from .conftest import END, START, _admin_url, copy_of_district, kaohe, kaohe_process
from .warehouse_tables import rows_differ, table_rows

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

RERUN = START  # 2026-09-29
# the marts keeping rows per business date run, each as of its date (dbt tag per_business_date);
# business_date is their first column
PER_DATE_MARTS = ("marts.daily_warnings", "marts.submission_completeness", "marts.daily_demolition_groups")
RESENT = "指标进度__D05.csv"  # D05's indicator_progress again (the kind's Chinese name): the newer file wins
LATE_DEDUCTION = "bonus_penalty.csv"


@dataclass
class Warehouses:
    original: dict[str, Counter]  # the district as run
    unchanged_rerun: dict[str, Counter]  # (a)
    resent_rerun: dict[str, Counter]  # (b)
    straight: dict[str, Counter]  # the three dates with the changed files from the start
    resent_notice: str  # RERUN's notice as rendered by rerun (b)
    straight_notice: str  # RERUN's notice as rendered by the straight run


def _write_changed_files(landing: Path) -> None:
    folder = landing / RERUN.isoformat()
    original = (folder / "indicator_progress__D05.csv").read_text(encoding="utf-8-sig").splitlines()
    header, rows = original[0], [line.split(",") for line in original[1:]]
    assert header.split(",")[3] == "cumulative_value" and rows
    for row in rows:  # the department corrects its figures down: the day's paces change
        row[3] = str(round(float(row[3]) / 4, 2))
    (folder / RESENT).write_text("\n".join([header, *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    # a deduction of a D05 deputy that occurred in Q3, delivered late: the quarter's scores, grades and pay change
    (folder / LATE_DEDUCTION).write_text(
        "event_id,dept_code,cadre_id,indicator_code,occurred_on,points,reason,document_no,withdrawn\n"
        "BP2026-0950,D05,C00119,,2026-09-15,-30,迟报的违纪扣分,高新纪发〔2026〕95号,\n",
        encoding="utf-8",
    )


def _run(landing: Path, url: str, reports: Path, start=RERUN, end=RERUN) -> None:
    run = kaohe(
        "run",
        "--landing",
        str(landing),
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
        url=url,
        KAOHE_REPORTS=str(reports),
    )
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-4000:])


def _start_run(landing: Path, url: str, reports: Path, start, end, home: Path) -> subprocess.Popen:
    """`kaohe run` of start..end in the background, from the state folder `home`."""
    return kaohe_process(
        "run",
        "--landing",
        str(landing),
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
        url=url,
        KAOHE_REPORTS=str(reports),
        KAOHE_HOME=str(home),
    )


def _notice(reports: Path) -> str:
    return (reports / "notices" / f"notice_{RERUN.isoformat()}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def warehouses(district, embedded_warehouse, second_home, tmp_path_factory) -> Warehouses:
    district_landing, district_url, _ = district
    folder = tmp_path_factory.mktemp("rerun")
    landing, straight_landing = folder / "landing", folder / "straight_landing"
    for tree in (landing, straight_landing):  # the district's own landing stays as it is; mtimes are kept
        shutil.copytree(district_landing, tree)
    _write_changed_files(straight_landing)
    reports = tmp_path_factory.mktemp("rerun_reports")
    admin = _admin_url(embedded_warehouse)
    name = f"straight_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        straight_url = database_url(embedded_warehouse.url(), name)
        # the straight run (three dates from empty, the longest) runs beside the reruns, from a state folder of
        # its own (two runs at once need two Airflow homes)
        straight_run = _start_run(straight_landing, straight_url, reports / "straight", START, END, second_home)
        try:
            with copy_of_district(district, embedded_warehouse) as url:
                _run(landing, url, reports / "a")
                unchanged_rerun = table_rows(url)
                _write_changed_files(landing)
                _run(landing, url, reports / "b")
                resent_rerun = table_rows(url)
        finally:
            out, err = straight_run.communicate(timeout=900)
        assert straight_run.returncode == 0, (out[-2000:], err[-4000:])
        straight = table_rows(straight_url)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
    return Warehouses(
        table_rows(district_url),
        unchanged_rerun,
        resent_rerun,
        straight,
        _notice(reports / "b"),
        _notice(reports / "straight"),
    )


def _of_dates(rows: Counter, keep) -> Counter:
    """The rows of a per-date mart whose business date (the first column) passes `keep`."""
    return Counter({text: n for text, n in rows.items() if keep(text[1:11])})


def _different(expected: dict[str, Counter], got: dict[str, Counter]) -> dict[str, str]:
    assert sorted(got) == sorted(expected)
    return {table: rows_differ(expected[table], got[table]) for table in expected if got[table] != expected[table]}


def test_an_unchanged_rerun_of_a_past_date_changes_nothing(warehouses):
    assert {
        "marts.demolition_group_months",
        "marts.key_project_status",
        "marts.daily_warnings",
        "payroll.quarterly_adjustments",
        "quarantine.file_loads",
    } <= set(warehouses.original)
    assert _different(warehouses.original, warehouses.unchanged_rerun) == {}


def test_a_rerun_with_changed_files_equals_a_straight_run(warehouses):
    straight, rerun = dict(warehouses.straight), dict(warehouses.resent_rerun)
    for table in PER_DATE_MARTS:  # the later dates' rows: see the next test
        straight[table] = _of_dates(straight[table], lambda day: day <= RERUN.isoformat())
        rerun[table] = _of_dates(rerun[table], lambda day: day <= RERUN.isoformat())
    assert _different(straight, rerun) == {}
    # the changed files changed what they should: the date's warnings, the quarter's grades and pay
    changed = _different(warehouses.original, warehouses.straight)
    assert {"marts.daily_warnings", "marts.cadre_quarter_grades", "payroll.quarterly_adjustments"} <= set(changed)


def test_the_later_dates_rows_are_not_rewritten_by_the_rerun(warehouses):
    later = {
        table: _of_dates(warehouses.original[table], lambda day: day > RERUN.isoformat()) for table in PER_DATE_MARTS
    }
    assert all(sum(rows.values()) > 0 for rows in later.values()), later.keys()
    assert {
        table: _of_dates(warehouses.resent_rerun[table], lambda day: day > RERUN.isoformat())
        for table in PER_DATE_MARTS
    } == later


def test_the_rerun_dates_notice_describes_that_date(warehouses):
    assert "2026-09-29" in warehouses.resent_notice and "2026-10-01" not in warehouses.resent_notice
    assert warehouses.resent_notice == warehouses.straight_notice
