"""The dashboards as people use them: Superset provisioned from bi/superset/ from scratch (fresh metadata in a tmp
folder, the locked Superset venv, the bundle imported as the read-only role kaohe_bi) over the warehouse of the
shared district run, served on a free 127.0.0.1 port, then checked through its REST API, against the marts
directly, and in headless Chromium.

Superset runs in its own venv (.kaohe/superset-venv, created from bi/superset/uv.lock on first use, ≈ 30 s; reused
afterwards): the Superset-specific code is bi/superset/provision.py (the package kaohe_superset beside it), run with
that venv's python; this module only imports the package's standard-library modules (bi/superset is on pytest's
pythonpath). Everything started here is stopped by PID, also when a test fails.
Chromium (with fonts-noto-cjk) is required, never skipped: `make test` installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from kaohe.warehouse import connect, database_name
from kaohe_superset.bundle import bundle_objects
from kaohe_superset.processes import ADMIN_USER, stop
from kaohe_superset.rest import Client, SupersetError

from .conftest import START
from .processes import run_in_own_group

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PROVISION = REPO / "bi" / "superset" / "provision.py"
SUPERSET_VENV = Path(os.environ.get("KAOHE_SUPERSET_VENV", REPO / ".kaohe" / "superset-venv"))  # shared, cached
Q3, SEPTEMBER = "2026Q3", "2026-09"
DASHBOARD_FILTERS = {  # the native filters each dashboard must offer
    "dept-quarter": ["季度", "月份", "部门类别", "部门"],
    "cadre-grades": ["季度", "部门类别", "部门"],
    "demolition": ["月份", "季度", "片区"],
    "projects-warnings": ["日期", "月份", "季度", "部门类别", "部门"],
}
TIMINGS: dict[str, float] = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def superset_python() -> Path:
    """The Superset venv's python, created from the lock when missing (what `make bi` does too)."""
    started = time.monotonic()
    done = run_in_own_group([sys.executable, str(PROVISION), "install", "--venv", str(SUPERSET_VENV)], timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    TIMINGS["install"] = time.monotonic() - started
    return SUPERSET_VENV / "bin" / "python"


@pytest.fixture(scope="module")
def superset(district, superset_python, tmp_path_factory):
    """Superset from scratch over the district's warehouse as kaohe_bi: (base URL, logged-in client, home)."""
    _, warehouse_url, _ = district
    home = tmp_path_factory.mktemp("superset-home")
    port = free_port()
    started = time.monotonic()
    try:
        done = run_in_own_group(
            [
                str(superset_python),
                str(PROVISION),
                "start",
                "--home",
                str(home),
                "--bind",
                f"127.0.0.1:{port}",
                "--warehouse-url",
                warehouse_url,
            ],
            timeout=600,
        )
        assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-5000:])
        TIMINGS["provision"] = time.monotonic() - started
        base_url = f"http://127.0.0.1:{port}"
        client = Client(base_url).login(ADMIN_USER, (home / "admin_password").read_text().strip())
        yield base_url, client, home
    finally:
        # gunicorn runs in its own session: stopped through the PID `start` recorded
        stop(home)
        TIMINGS["total"] = time.monotonic() - started + TIMINGS.get("install", 0)
        print("\nsuperset timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items()))


@pytest.fixture(scope="module")
def bundle() -> dict[str, list[dict]]:
    return bundle_objects()


@pytest.fixture(scope="module")
def charts_by_title(superset) -> dict[str, int]:
    _, client, _ = superset
    charts = client.all("chart")
    titles = {c["slice_name"]: c["id"] for c in charts}
    assert len(titles) == len(charts), "chart titles must be unique: the tests find charts by title"
    return titles


def mart(url: str, sql: str, *params):
    with connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def number(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001"))


# --------------------------------------------------------------------------------------------- the objects


def test_every_dataset_chart_and_dashboard_of_the_bundle_exists(superset, bundle):
    _, client, _ = superset
    for kind, resource, name in [
        ("datasets", "dataset", "table_name"),
        ("charts", "chart", "slice_name"),
        ("dashboards", "dashboard", "dashboard_title"),
    ]:
        live = {(str(o["uuid"]), o[name]) for o in client.all(resource)}
        wanted = {(o["uuid"], o[name]) for o in bundle[kind]}
        assert wanted <= live, f"{kind} missing in Superset: {sorted(wanted - live)}"
    titles = sorted(d["dashboard_title"] for d in bundle["dashboards"])
    assert titles == sorted(["部门季度考核", "干部等次与绩效", "征迁进度", "重点项目与预警"])
    # every chart of the bundle is on a dashboard
    placed = {
        c["meta"]["uuid"]
        for d in bundle["dashboards"]
        for c in d["position"].values()
        if isinstance(c, dict) and c.get("type") == "CHART"
    }
    assert placed == {c["uuid"] for c in bundle["charts"]}


def test_the_database_is_the_warehouse_as_the_read_only_role(superset, district):
    _, client, _ = superset
    [database] = client.all("database")
    connection = client.get(f"/api/v1/database/{database['id']}/connection")["result"]
    uri = connection["sqlalchemy_uri"]
    assert uri.startswith("postgresql+psycopg2://kaohe_bi@") or uri.startswith("postgresql+psycopg2://kaohe_bi:")
    assert uri.endswith("/" + database_name(district[1])), uri
    assert not database["allow_dml"] and not database["allow_file_upload"]


def test_datasets_read_only_the_marts(bundle):
    for dataset in bundle["datasets"]:
        assert dataset["schema"] == "marts"
        sql = dataset["sql"].lower()
        assert "payroll." not in sql and "base_pay" not in sql, f"{dataset['table_name']} reads pay"
        assert all(ref.startswith("marts.") for ref in _relations(sql)), dataset["table_name"]


def _relations(sql: str) -> list[str]:
    import re

    return re.findall(r"\b(?:from|join)\s+([a-z_]+\.[a-z_]+)", sql)


def test_native_filters_by_quarter_month_class_and_department(superset):
    _, client, _ = superset
    for slug, names in DASHBOARD_FILTERS.items():
        dashboard = client.get(f"/api/v1/dashboard/{slug}")["result"]
        metadata = json.loads(dashboard["json_metadata"])
        position = json.loads(dashboard["position_json"])
        chart_ids = {
            c["meta"]["chartId"] for c in position.values() if isinstance(c, dict) and c.get("type") == "CHART"
        }
        filters = metadata["native_filter_configuration"]
        assert [f["name"] for f in filters] == names, slug
        for native_filter in filters:
            in_scope = set(native_filter["chartsInScope"])
            assert in_scope and in_scope <= chart_ids, (slug, native_filter["name"])
            assert in_scope.isdisjoint(native_filter["scope"]["excluded"])


# --------------------------------------------------------------------------------------------- the data


def test_every_chart_returns_rows(superset, bundle):
    _, client, _ = superset
    ids = {str(c["uuid"]): c["id"] for c in client.all("chart")}
    empty = []
    for chart in bundle["charts"]:
        rows = client.chart_data(ids[chart["uuid"]])
        if not rows:
            empty.append(chart["slice_name"])
    assert not empty, f"charts whose query returns no rows: {empty}"


def test_one_figure_per_dashboard_equals_the_mart(superset, charts_by_title, district):
    """Each dashboard's headline figure, filtered as its native filter does it, against the mart queried directly."""
    _, client, _ = superset
    url = district[1]

    def figure(title: str, column: str, value: str):
        [row] = client.chart_data(charts_by_title[title], [{"col": column, "op": "IN", "val": [value]}])
        [only] = row.values()
        return only

    [(average,)] = mart(url, "select avg(score) from marts.dept_quarter_scores where quarter = %s", Q3)
    assert number(figure("平均得分", "quarter", Q3)) == number(average)

    [(grade_a,)] = mart(url, "select count(*) from marts.cadre_quarter_grades where quarter = %s and grade = 'A'", Q3)
    assert figure("A 等次人数", "quarter", Q3) == grade_a > 0

    [(signed,)] = mart(url, "select sum(signed) from marts.demolition_group_months where month = %s", SEPTEMBER)
    assert figure("签约户数", "month", SEPTEMBER) == signed > 0

    day = START.isoformat()
    [(red,)] = mart(
        url,
        "select count(*) from marts.daily_warnings where business_date = %s and item_type ="
        " 'indicator' and state = 'red'",
        START,
    )
    assert figure("红色预警指标", "business_day", day) == red > 0


def test_the_ranking_table_is_the_mart(superset, charts_by_title, district):
    """部门得分、类内排名与等次 for one quarter: every department, its rank, score, grade and veto, as in the mart."""
    _, client, _ = superset
    rows = client.chart_data(charts_by_title["部门得分、类内排名与等次"], [{"col": "quarter", "op": "IN", "val": [Q3]}])
    shown = sorted((r["dept_name"], r["rank_in_class"], number(r["score"]), r["grade"], r["veto_label"]) for r in rows)
    expected = sorted(
        (name, rank, number(score), grade, "是" if vetoed else "否")
        for name, rank, score, grade, vetoed in mart(
            district[1],
            "select dept_name, rank_in_class, score, grade, vetoed from marts.dept_quarter_scores where quarter = %s",
            Q3,
        )
    )
    assert shown == expected and len(shown) > 10


def test_period_filters_start_on_the_latest_final_period_and_label_the_open_one(superset, district):
    """The quarter / month filters' values, queried as the filter queries them (its column, sorted by its metric):
    the first value, which the dashboard selects on opening, is the latest final period; the period in progress is
    offered right after it, labelled （进行中）."""
    _, client, _ = superset
    url = district[1]
    for slug, name, mart_name, column in [
        ("dept-quarter", "季度", "dept_quarter_scores", "quarter"),
        ("cadre-grades", "季度", "cadre_quarter_grades", "quarter"),
        ("demolition", "月份", "demolition_group_months", "month"),
    ]:
        metadata = json.loads(client.get(f"/api/v1/dashboard/{slug}")["result"]["json_metadata"])
        [native_filter] = [f for f in metadata["native_filter_configuration"] if f["name"] == name]
        assert native_filter["controlValues"]["defaultToFirstItem"], (slug, name)
        target, metric = native_filter["targets"][0], native_filter["sortMetric"]
        query = {
            "datasource": {"id": target["datasetId"], "type": "table"},
            "result_format": "json",
            "result_type": "full",
            "queries": [
                {
                    "columns": [target["column"]["name"]],
                    "metrics": [metric],
                    "row_limit": 1000,
                    "orderby": [[metric, native_filter["controlValues"]["sortAscending"]]],
                }
            ],
        }
        values = [
            row[target["column"]["name"]] for row in client.post("/api/v1/chart/data", query)["result"][0]["data"]
        ]
        finals = [
            p for (p,) in mart(url, f"select distinct {column} from marts.{mart_name} where is_final order by 1 desc")
        ]
        [(in_progress,)] = mart(url, f"select distinct {column} from marts.{mart_name} where not is_final")
        assert values[0] == finals[0] and values[1] == f"{in_progress}（进行中）", (slug, values)
        assert values == [finals[0], f"{in_progress}（进行中）", *finals[1:]], (slug, values)


def test_sql_lab_as_kaohe_bi_cannot_read_payroll(superset, district):
    _, client, _ = superset
    [database] = client.all("database")
    # the table is there, with rows, for its owner …
    [(pay_rows,)] = mart(district[1], "select count(*) from payroll.quarterly_adjustments")
    assert pay_rows > 0
    # … SQL Lab works as kaohe_bi on the marts …
    answer = client.sql(database["id"], "select count(*) as n from marts.dept_quarter_scores")
    [(departments,)] = mart(district[1], "select count(*) from marts.dept_quarter_scores")
    assert answer["data"] == [{"n": departments}]
    # … and the database refuses payroll
    with pytest.raises(SupersetError) as refused:
        client.sql(database["id"], "select cadre_id, adjusted_pay from payroll.quarterly_adjustments")
    assert "permission denied for schema payroll" in refused.value.body


# --------------------------------------------------------------------------------------------- in a browser


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def screenshots(superset, superset_python, bundle, tmp_path_factory) -> dict[str, dict]:
    """Every dashboard in headless Chromium as the admin: the probe's report and a full-page PNG."""
    if not shutil.which("chromium"):
        pytest.fail("chromium is not on PATH: `make test` installs it (apt-get install -y chromium fonts-noto-cjk)")
    base_url, _, home = superset
    folder = tmp_path_factory.mktemp("superset-screenshots")  # kept for a look: <pytest tmp>/superset-screenshots0
    started = time.monotonic()
    done = run_in_own_group(
        [
            str(superset_python),
            str(PROVISION),
            "screenshot",
            "--base-url",
            base_url,
            "--home",
            str(home),
            "--out-dir",
            str(folder),
        ],
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    TIMINGS["screenshots"] = time.monotonic() - started
    reports = json.loads(done.stdout)
    assert sorted(reports) == sorted(d["slug"] for d in bundle["dashboards"])
    return reports


def test_every_dashboard_renders_its_charts(screenshots, bundle):
    for dashboard in bundle["dashboards"]:
        report = screenshots[dashboard["slug"]]
        wanted = sorted(
            c["meta"]["sliceName"]
            for c in dashboard["position"].values()
            if isinstance(c, dict) and c.get("type") == "CHART"
        )
        assert not report.get("timed_out"), f"{dashboard['slug']}: charts still loading: {report['charts']}"
        assert report["title"] == dashboard["dashboard_title"]
        assert sorted(c["title"] for c in report["charts"]) == wanted
        broken = [c for c in report["charts"] if c["error"] or c["empty"]]
        assert not broken, f"{dashboard['slug']}: charts with an error or no data: {broken}"
        undrawn = [c["title"] for c in report["charts"] if not (c["canvas"] or c["rows"] or c["big_number"])]
        assert not undrawn, f"{dashboard['slug']}: nothing drawn in {undrawn}"
        assert report["filters"] == DASHBOARD_FILTERS[dashboard["slug"]]


def test_screenshots_are_whole_pictures(screenshots):
    for slug, report in screenshots.items():
        png = Path(report["png"])
        width, height = png_size(png)
        assert (width, height) == tuple(report["size"]) and height >= 900, slug
        # a blank or error page compresses to a few kB; four to nine drawn charts take well over 100 kB
        assert png.stat().st_size > 100_000, f"{slug}: the screenshot is nearly blank ({png})"


def test_the_filters_default_to_the_latest_final_period(screenshots, district):
    """In the browser the quarter and month filters start on the latest final period (its last day has been run:
    2026Q3 and 2026-09, not 2026Q4 and 2026-10, one day old) and the day filter on the latest run: the big numbers
    shown are those of that quarter / month / day in the marts."""
    url = district[1]
    averages = dict(mart(url, "select quarter, avg(score) from marts.dept_quarter_scores group by 1"))
    [(final_quarter,)] = mart(url, "select max(quarter) from marts.dept_quarter_scores where is_final")
    [(open_quarter,)] = mart(url, "select max(quarter) from marts.dept_quarter_scores where not is_final")
    assert (final_quarter, open_quarter) == (Q3, "2026Q4")
    assert abs(averages[final_quarter] - averages[open_quarter]) > Decimal("0.01"), (
        "the check could not tell them apart"
    )
    dept_quarter = screenshots["dept-quarter"]
    shown = {c["title"]: c["big_number"] for c in dept_quarter["charts"]}
    assert abs(Decimal(shown["平均得分"]) - averages[final_quarter]) <= Decimal("0.005"), final_quarter
    assert Q3 in dept_quarter["selected"] and not any("进行中" in s for s in dept_quarter["selected"]), dept_quarter
    assert Q3 in screenshots["cadre-grades"]["selected"], screenshots["cadre-grades"]["selected"]
    [(a_grades,)] = mart(url, "select count(*) from marts.cadre_quarter_grades where quarter = %s and grade = 'A'", Q3)
    shown = {c["title"]: c["big_number"] for c in screenshots["cadre-grades"]["charts"]}
    assert shown["A 等次人数"] == f"{a_grades:,d}"
    [(signed,)] = mart(
        url,
        "select sum(signed) from marts.demolition_group_months where month ="
        " (select max(month) from marts.demolition_group_months where is_final)",
    )
    shown = {c["title"]: c["big_number"] for c in screenshots["demolition"]["charts"]}
    assert shown["签约户数"] == f"{signed:,d}" and SEPTEMBER in screenshots["demolition"]["selected"]
    [(red,)] = mart(
        url,
        "select count(*) from marts.daily_warnings where item_type = 'indicator' and state = 'red'"
        " and business_date = (select max(business_date) from marts.daily_warnings)",
    )
    shown = {c["title"]: c["big_number"] for c in screenshots["projects-warnings"]["charts"]}
    assert shown["红色预警指标"] == f"{red:,d}"
