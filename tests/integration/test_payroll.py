"""Payroll (rule 4): drafts, `kaohe publish`, immutable versions, corrections as new versions,
rule parameters as data, and the reader roles — on private copies of the generated district."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import psycopg
import pytest
from kaohe import pipeline
from kaohe.settings import project_root
from kaohe.warehouse import connect

from .conftest import kaohe

pytestmark = pytest.mark.integration

Q3 = "2026Q3"
CENT = Decimal("0.01")


def seed_multipliers(seed_csv: Path) -> dict[str, Decimal]:
    with open(seed_csv, encoding="utf-8") as fh:
        rows = [
            r
            for r in csv.DictReader(fh)
            if r["param"].startswith("multiplier_") and r["effective_from"] <= "2026-09-30"
        ]
    rows.sort(key=lambda r: r["effective_from"])  # the value in force on the quarter's last day wins
    return {r["param"][-1].upper(): Decimal(r["value"]) for r in rows}


def graded(url: str, quarter: str = Q3) -> dict[str, tuple]:
    with connect(url) as conn:
        return {
            c: (g, b)
            for c, g, b in conn.execute(
                "select cadre_id, grade, base_pay from marts.cadre_quarter_grades where quarter = %s and grade is not null",
                (quarter,),
            )
        }


def adjustments(url: str, quarter: str = Q3, status: str | None = None) -> dict[tuple, tuple]:
    with connect(url) as conn:
        rows = conn.execute(
            "select cadre_id, version, grade, multiplier, base_pay, adjusted_pay, adjustment, delta_to_pay, status"
            " from payroll.quarterly_adjustments where quarter = %s and (%s::text is null or status = %s)",
            (quarter, status, status),
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def publish(url: str, quarter: str = Q3):
    return kaohe("publish", "--quarter", quarter, url=url)


def rebuild(url: str, business_date: date) -> None:
    """What the day's DAG does after loading: dbt build, then the payroll drafts."""
    pipeline.transform(business_date, url)
    pipeline.payroll(business_date, url)


def test_a_closed_quarter_has_version_1_drafts_computed_half_up(district_copy):
    _, url = district_copy
    multipliers = seed_multipliers(project_root() / "dbt_project" / "seeds" / "rule_parameters.csv")
    expected = {}
    for cadre, (grade, base) in graded(url).items():
        adjusted = (base * multipliers[grade]).quantize(CENT, rounding=ROUND_HALF_UP)
        expected[(cadre, 1)] = (grade, multipliers[grade], base, adjusted, adjusted - base, adjusted - base, "draft")
    assert len(expected) > 1000
    assert adjustments(url) == expected
    assert adjustments(url, "2026Q4") == {}  # its last day has not been run
    assert {g for g, *_ in expected.values()} == {"A", "B", "C", "D"}


def test_publish_freezes_a_version_the_database_refuses_to_change(district_copy):
    _, url = district_copy
    drafts = adjustments(url)
    out = publish(url)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"published {Q3} version 1: {len(drafts)} rows")
    assert {k: v[:-1] for k, v in adjustments(url, status="published").items()} == {
        k: v[:-1] for k, v in drafts.items()
    }

    for statement in (
        "update payroll.quarterly_adjustments set adjusted_pay = 0 where quarter = '2026Q3'",
        "delete from payroll.quarterly_adjustments where quarter = '2026Q3'",
        "truncate payroll.quarterly_adjustments",
        "delete from payroll.publications",
    ):
        with connect(url) as conn, pytest.raises(psycopg.errors.RestrictViolation, match="refused|cannot be truncated"):
            conn.execute(statement)  # as the warehouse's superuser: the rule is the database's, not a convention
    assert len(adjustments(url, status="published")) == len(drafts)

    again = publish(url)
    assert again.returncode == 0 and again.stdout.startswith(f"nothing to publish for {Q3}"), again.stdout
    not_run = publish(url, "2026Q4")
    assert not_run.returncode != 0
    assert "2026Q4 cannot be published: its last day 2026-12-31 has not been run" in not_run.stderr
    cadre = min(c for c, _ in drafts)
    explained = kaohe("explain", "--cadre", cadre, "--quarter", Q3, url=url)
    assert explained.returncode == 0, explained.stderr
    assert f"Pay (rule 4): base {drafts[(cadre, 1)][2]}" in explained.stdout
    assert "  v1 published " in explained.stdout
    with connect(url) as conn:
        assert conn.execute("select quarter, version, rows from payroll.publications").fetchall() == [
            (Q3, 1, len(drafts))
        ]
        # the annual result now reads the published grades
        sources = conn.execute("select quarter_grades from marts.cadre_annual_results where year = 2026").fetchall()
    assert sources and all("2026Q3" not in q or "2026Q3 " in q and "(v1)" in q for (q,) in sources)


def test_a_late_sanction_becomes_a_new_version_of_only_the_changed_rows(published_copy, tmp_path):
    landing, url = published_copy  # 2026Q3 published (version 1)
    with connect(url) as conn:
        # a staff member graded by threshold, below the A line, in a department not 优秀: the
        # sanction makes them D and (veto capping only 优秀) changes nobody else
        cadre, dept, base, old_adjustment = conn.execute(
            """select g.cadre_id, g.dept_code, g.base_pay, a.adjustment
               from marts.cadre_quarter_grades g
               join payroll.quarterly_adjustments a on a.cadre_id = g.cadre_id and a.quarter = g.quarter
               where g.quarter = %s and g.role = 'staff' and g.grade in ('B', 'C') and g.grade_reason = 'threshold'
                 and g.dept_grade <> '优秀'
               order by g.cadre_id limit 1""",
            (Q3,),
        ).fetchone()
    before = graded(url)
    late = landing.parent / f"late_{tmp_path.name}"  # a private landing tree: the shared one stays as it is
    shutil.copytree(landing, late)
    (late / "2026-10-02").mkdir()
    (late / "2026-10-02" / f"supervision__{dept}.csv").write_text(
        "event_id,event_type,dept_code,cadre_id,occurred_on,document_no\n"
        f"SUP-LATE-1,sanction,{dept},{cadre},2026-09-25,纪发〔2026〕17号\n",
        encoding="utf-8",
    )
    day = date(2026, 10, 2)
    pipeline.load(late, day, url)
    pipeline.validate(day, url)
    rebuild(url, day)

    after = graded(url)
    changed = {c for c in before.keys() | after.keys() if before.get(c) != after.get(c)}
    assert changed == {cadre}
    assert after[cadre][0] == "D"
    drafts = adjustments(url, status="draft")
    assert set(drafts) == {(cadre, 2)}
    grade, multiplier, row_base, adjusted, adjustment, delta, _ = drafts[(cadre, 2)]
    assert (grade, multiplier, row_base) == ("D", Decimal("0.7000"), base)
    assert adjusted == (base * Decimal("0.7")).quantize(CENT, rounding=ROUND_HALF_UP)
    assert delta == adjustment - old_adjustment  # what payroll pays on top of version 1

    out = publish(url)
    assert out.stdout.startswith(f"published {Q3} version 2: 1 rows"), out.stdout + out.stderr
    with connect(url) as conn:
        # what the payroll system pulls after taking version 1, and what it pays in total
        pulled = conn.execute(
            "select cadre_id, delta_to_pay from payroll.quarterly_adjustments"
            " where quarter = %s and status = 'published' and version > 1",
            (Q3,),
        ).fetchall()
        paid = conn.execute(
            "select sum(delta_to_pay) from payroll.quarterly_adjustments where cadre_id = %s"
            " and quarter = %s and status = 'published'",
            (cadre, Q3),
        ).fetchone()[0]
    assert pulled == [(cadre, delta)]
    assert paid == adjustment  # version 1's adjustment + version 2's delta: nothing paid twice
    # what was published stays as it was published
    assert adjustments(url, status="published")[(cadre, 1)][4] == old_adjustment


def test_a_cadre_dropped_from_a_published_quarter_gets_base_pay_back(published_copy, tmp_path):
    landing, url = published_copy  # 2026Q3 published (version 1)
    with connect(url) as conn:
        # the Q3 roster came in a reference snapshot; the office resubmits it without one staff member
        (folder, file_name) = conn.execute(
            """select business_date::text, file from quarantine.file_loads
               where kind = 'cadres' and status = 'loaded' and business_date <= '2026-09-30'
               order by business_date desc limit 1"""
        ).fetchone()
        cadre, old_adjustment = conn.execute(
            """select a.cadre_id, a.adjustment from payroll.quarterly_adjustments a
               join marts.cadre_quarter_grades g on g.cadre_id = a.cadre_id and g.quarter = a.quarter
               where a.quarter = %s and a.version = 1 and g.role = 'staff' and a.adjustment <> 0
               order by a.cadre_id limit 1""",
            (Q3,),
        ).fetchone()
    late = landing.parent / f"resubmitted_{tmp_path.name}"
    shutil.copytree(landing, late)
    drop_row_of(late / folder / Path(file_name).name, cadre)
    day = date.fromisoformat(folder)
    pipeline.load(late, day, url)
    pipeline.validate(day, url)
    rebuild(url, day)

    drafts = adjustments(url, status="draft")
    assert (cadre, 2) in drafts
    grade, multiplier, base, adjusted, adjustment, delta, _ = drafts[(cadre, 2)]
    assert (grade, multiplier, adjusted, adjustment, delta) == (None, None, base, 0, -old_adjustment)
    with connect(url) as conn:
        reason = conn.execute(
            "select grade_reason from payroll.quarterly_adjustments where cadre_id = %s"
            " and quarter = %s and version = 2",
            (cadre, Q3),
        ).fetchone()[0]
    assert reason == "dropped_out"


def drop_row_of(path: Path, cadre: str) -> None:
    """Rewrite a roster file (CSV in any contract encoding, or xlsx) without the cadre's row."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path)
        sheet = book.worksheets[0]
        rows = [r[0].row for r in sheet.iter_rows() if any(c.value == cadre for c in r)]
        assert len(rows) == 1
        sheet.delete_rows(rows[0])
        book.save(path)
        return
    raw = path.read_bytes()
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        encoding, text = "gb18030", raw.decode("gb18030")
    lines = text.splitlines(keepends=True)
    kept = [line for line in lines if cadre not in next(csv.reader([line]))]
    assert len(kept) == len(lines) - 1
    path.write_bytes("".join(kept).encode(encoding))


def test_a_rule_parameter_change_moves_the_pay_without_a_code_change(district_copy, tmp_path, monkeypatch):
    _, url = district_copy
    assert publish(url).returncode == 0
    before = graded(url)
    # another district's rulebook: A pays +20% from 2026-07-01 (parameters are versioned by effective date)
    project = tmp_path / "dbt_project"
    shutil.copytree(project_root() / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    with open(project / "seeds" / "rule_parameters.csv", "a", encoding="utf-8") as fh:
        fh.write('multiplier_a,1.20,2026-07-01,"Pay multiplier for A (上浮20%)"\n')
    monkeypatch.setenv("KAOHE_DBT_PROJECT_DIR", str(project))
    rebuild(url, date(2026, 10, 1))

    assert graded(url) == before  # grades do not move: only the pay of the A cadres
    drafts = adjustments(url, status="draft")
    a_cadres = {c for c, (g, _) in before.items() if g == "A"}
    assert a_cadres and {c for c, _ in drafts} == a_cadres
    for (_cadre, version), (grade, multiplier, base, adjusted, adjustment, delta, _) in drafts.items():
        assert (version, grade, multiplier) == (2, "A", Decimal("1.2000"))
        assert adjusted == (base * Decimal("1.2")).quantize(CENT, rounding=ROUND_HALF_UP)
        assert delta == adjustment - (base * Decimal("1.1")).quantize(CENT, rounding=ROUND_HALF_UP) + base


def test_reader_roles_see_only_their_schema(district_copy):
    _, url = district_copy
    assert publish(url).returncode == 0

    def read(role: str, relation: str):
        with psycopg.connect(url, user=role, autocommit=True) as conn:
            return conn.execute(f"select count(*) from {relation}").fetchone()[0]

    assert read("kaohe_bi", "marts.dept_quarter_scores") > 0
    assert read("kaohe_bi", "marts.cadre_quarter_grades") > 0
    assert read("kaohe_payroll", "payroll.quarterly_adjustments") > 0
    forbidden = [
        ("kaohe_bi", "payroll.quarterly_adjustments"),
        ("kaohe_bi", "raw.cadres"),
        ("kaohe_bi", "quarantine.rejected_rows"),
        ("kaohe_bi", "ingest.valid_cadres"),
        ("kaohe_bi", "intermediate.int_payroll__quarter_adjustments"),
        ("kaohe_payroll", "marts.cadre_quarter_grades"),
        ("kaohe_payroll", "raw.cadres"),
        ("kaohe_payroll", "quarantine.file_loads"),
    ]
    for role, relation in forbidden:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            read(role, relation)
    with (
        psycopg.connect(url, user="kaohe_payroll", autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("update payroll.quarterly_adjustments set delta_to_pay = 0")


def test_rows_dated_after_a_quarter_never_change_it(district_copy, tmp_path):
    """Reproducible: the published quarter recomputed after later data is the same quarter."""
    landing, url = district_copy
    assert publish(url).returncode == 0

    def q3():
        with connect(url) as conn:
            return (
                conn.execute(
                    "select dept_code, score, rank_in_class, grade from marts.dept_quarter_scores"
                    " where quarter = %s order by 1",
                    (Q3,),
                ).fetchall(),
                conn.execute(
                    "select cadre_id, individual_score, grade, grade_reason from marts.cadre_quarter_grades"
                    " where quarter = %s order by 1",
                    (Q3,),
                ).fetchall(),
            )

    before = q3()
    with connect(url) as conn:
        cadre, dept = conn.execute(
            "select cadre_id, dept_code from marts.cadre_quarter_grades where quarter = %s"
            " and role = 'staff' and grade <> 'D' order by cadre_id limit 1",
            (Q3,),
        ).fetchone()
    later = landing.parent / f"later_{tmp_path.name}"
    shutil.copytree(landing, later)
    (later / "2026-10-02").mkdir()
    # a sanction of the cadre and of the department, both dated in Q4
    (later / "2026-10-02" / f"supervision__{dept}.csv").write_text(
        "event_id,event_type,dept_code,cadre_id,occurred_on\n"
        f"SUP-Q4-1,sanction,{dept},{cadre},2026-10-02\n"
        f"SUP-Q4-2,sanction,{dept},,2026-10-02\n",
        encoding="utf-8",
    )
    day = date(2026, 10, 2)
    pipeline.load(later, day, url)
    pipeline.validate(day, url)
    rebuild(url, day)

    assert q3() == before
    assert adjustments(url, status="draft") == {}
    assert publish(url).stdout.startswith(f"nothing to publish for {Q3}")
    with connect(url) as conn:  # the events did land: they count in Q4
        assert conn.execute(
            "select grade, grade_reason from marts.cadre_quarter_grades where cadre_id = %s and quarter = '2026Q4'",
            (cadre,),
        ).fetchone() == ("D", "sanction")


def test_the_kaohe_publish_dag_looks_first_then_publishes(district_copy):
    """The payroll release as an auditable Airflow run: the stock `airflow dags test` of kaohe_publish."""
    import json
    import os
    import subprocess
    import sys

    from kaohe.airflow_runner import airflow_env, airflow_lock, ensure_airflow_db

    landing, url = district_copy
    env = {**os.environ, **airflow_env(url, landing)}
    airflow = Path(sys.executable).with_name("airflow")

    def trigger(conf: dict) -> subprocess.CompletedProcess:
        with airflow_lock():
            ensure_airflow_db(env)
            return subprocess.run(
                [str(airflow), "dags", "test", "kaohe_publish", "--conf", json.dumps(conf)],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )

    def publications():
        with connect(url) as conn:
            return conn.execute("select quarter, version from payroll.publications").fetchall()

    drafts = len(adjustments(url, status="draft"))
    looked = trigger({"quarter": Q3})  # dry_run is on by default
    assert looked.returncode == 0, looked.stdout[-2000:] + looked.stderr[-2000:]
    assert f"dry run: would publish {Q3} version 1: {drafts} rows" in looked.stdout + looked.stderr
    assert publications() == []
    published = trigger({"quarter": Q3, "dry_run": False})
    assert published.returncode == 0, published.stdout[-2000:] + published.stderr[-2000:]
    assert publications() == [(Q3, 1)]
    assert len(adjustments(url, status="published")) == drafts
