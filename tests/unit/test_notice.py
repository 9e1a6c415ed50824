"""The daily notice (日督查日通报) from a small fake data set: sections, rows, SVG charts, escaping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from kaohe import notice


class Page(HTMLParser):
    """Collects what the tests look at: sections, table rows, svg elements, text."""

    def __init__(self):
        super().__init__()
        self.sections: dict[str, str] = {}  # section id → h2 text
        self.rows: dict[str, list[list[str]]] = {}  # table id → body rows (cell texts)
        self.svgs: dict[str, dict[str, int]] = {}  # svg id → element counts
        self.tags: list[str] = []
        self.title = ""
        self.h1 = ""
        self._section = None
        self._in = []
        self._table = None
        self._in_tbody = False
        self._row = None
        self._cell = None
        self._svg = None
        self.text_parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "section":
            self._section = a.get("id")
            self.sections[self._section] = ""
        elif tag == "table":
            self._table = a.get("id")
            self.rows.setdefault(self._table, [])
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "tr" and self._in_tbody:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = ""
        elif tag == "svg":
            self._svg = a.get("id")
            self.svgs[self._svg] = {}
        if self._svg is not None and tag != "svg":
            self.svgs[self._svg][tag] = self.svgs[self._svg].get(tag, 0) + 1

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_tbody = False
        elif tag == "svg":
            self._svg = None

    def handle_data(self, data):
        self.text_parts.append(data)
        current = self._in[-1] if self._in else None
        if current == "title" and self._svg is None:
            self.title += data
        elif current == "h1":
            self.h1 += data
        elif current == "h2" and self._section:
            self.sections[self._section] += data
        if self._cell is not None:
            self._cell += data

    @property
    def text(self) -> str:
        return "".join(self.text_parts)


def fake_data(**overrides) -> dict:
    warnings = [
        {
            "item_type": "indicator",
            "dept_code": "D02",
            "dept_name": "财政局<script>alert(1)</script>",
            "subject": "K1-01",
            "subject_name": "地区生产总值",
            "state": "red",
            "pace": Decimal("0.5449"),
            "time_progress": Decimal("0.8352"),
            "completion": Decimal("0"),
            "actual": Decimal("10"),
            "target": Decimal("20"),
        },
        {
            "item_type": "indicator",
            "dept_code": "D03",
            "dept_name": "农业农村局",
            "subject": "K1-02",
            "subject_name": "固定资产投资",
            "state": "yellow",
            "pace": Decimal("0.6"),
            "time_progress": Decimal("0.8352"),
            "completion": Decimal("0.4"),
            "actual": Decimal("7"),
            "target": Decimal("10"),
        },
        {
            "item_type": "indicator",
            "dept_code": "D01",
            "dept_name": "发改局",
            "subject": "K1-01",
            "subject_name": "地区生产总值",
            "state": "closed",
            "pace": Decimal("1.09"),
            "time_progress": Decimal("0.8352"),
            "completion": Decimal("1"),
            "actual": Decimal("50"),
            "target": Decimal("50"),
        },
        {
            "item_type": "indicator",
            "dept_code": "D01",
            "dept_name": "发改局",
            "subject": "K1-03",
            "subject_name": "税收",
            "state": "on_track",
            "pace": Decimal("0.8"),
            "time_progress": Decimal("0.8352"),
            "completion": Decimal("0.7"),
            "actual": Decimal("8"),
            "target": Decimal("10"),
        },
        {
            "item_type": "project",
            "dept_code": "D01",
            "dept_name": "发改局",
            "subject": "P101",
            "subject_name": "高新大道改造 & 配套",
            "state": "supervision_candidate",
            "reference_month": "2026-05",
            "target": Decimal("40"),
            "actual": Decimal("30"),
        },
        {
            "item_type": "project",
            "dept_code": "D02",
            "dept_name": "财政局",
            "subject": "P102",
            "subject_name": "创新园二期",
            "state": "behind",
            "reference_month": "2026-05",
            "target": Decimal("40"),
            "actual": Decimal("30"),
        },
        {
            "item_type": "project",
            "dept_code": "D03",
            "dept_name": "农业农村局",
            "subject": "P103",
            "subject_name": "现代农业园",
            "state": "on_track",
            "reference_month": "2026-05",
            "target": Decimal("40"),
            "actual": Decimal("40"),
        },
    ]
    groups = [
        {
            "group_id": "G03",
            "zone_id": "Z2",
            "zone_name": "西营村",
            "signed": 1,
            "cleared": 0,
            "target_signed": 0,
            "target_cleared": 0,
            "month_score": Decimal("100.00"),
            "rank": 1,
            "flags": ["target_signed_zero", "target_cleared_zero"],
        },
        {
            "group_id": "G02",
            "zone_id": "Z1",
            "zone_name": "东坝村",
            "signed": 1,
            "cleared": 0,
            "target_signed": 2,
            "target_cleared": 0,
            "month_score": Decimal("70.00"),
            "rank": 2,
            "flags": ["target_cleared_zero"],
        },
        {
            "group_id": "G05",
            "zone_id": "Z1",
            "zone_name": "东坝村",
            "signed": 1,
            "cleared": 1,
            "target_signed": 2,
            "target_cleared": 1,
            "month_score": Decimal("70.00"),
            "rank": 2,
            "flags": [],
        },
        {
            "group_id": "G04",
            "zone_id": "Z2",
            "zone_name": "西营村",
            "signed": 0,
            "cleared": 0,
            "target_signed": 2,
            "target_cleared": 1,
            "month_score": Decimal("0.00"),
            "rank": 4,
            "flags": [],
        },
    ]
    funnel = [
        {"zone_id": "Z1", "zone_name": "东坝村", "surveyed": 8, "signed": 3, "cleared": 1, "demolished": 0},
        {
            "zone_id": "Z2",
            "zone_name": '西营村"><svg onload=x>',
            "surveyed": 2,
            "signed": 2,
            "cleared": 0,
            "demolished": 0,
        },
    ]
    missing = [
        {"dept_code": "D02", "dept_name": "财政局", "kind": "indicator_progress", "last_arrived_on": date(2026, 6, 30)}
    ]
    data = {
        "business_date": date(2026, 6, 15),
        "month": "2026-06",
        "warnings": warnings,
        "groups": groups,
        "red_pace": Decimal("0.60"),
        "yellow_pace": Decimal("0.80"),
        "funnel": funnel,
        "missing_submissions": missing,
    }
    data.update(overrides)
    return data


def parse(html_text: str) -> Page:
    page = Page()
    page.feed(html_text)
    page.close()
    return page


def test_title_and_sections():
    page = parse(notice.build_notice_html(fake_data()))
    assert page.title == "安康高新区 日督查日通报 2026-06-15"
    assert page.h1 == "安康高新区 日督查日通报 2026-06-15"
    for sid in [
        "summary",
        "red",
        "yellow",
        "chart-progress-section",
        "supervision",
        "behind",
        "ranking",
        "funnel",
        "submissions",
    ]:
        assert sid in page.sections, sid
    assert "红色预警" in page.sections["red"] and "60%" in page.sections["red"]
    assert "80%" in page.sections["yellow"]
    assert "黄色预警" in page.sections["yellow"]
    assert "督办" in page.sections["supervision"]
    assert "排名" in page.sections["ranking"]


def test_warning_rows():
    page = parse(notice.build_notice_html(fake_data()))
    red = page.rows["red-table"]
    yellow = page.rows["yellow-table"]
    assert len(red) == 1 and len(yellow) == 1  # closed and on-track indicators are not listed
    assert red[0][0] == "财政局<script>alert(1)</script>"  # shown as text, not markup
    assert red[0][1] == "地区生产总值"
    assert red[0][3] == "54.5%"  # pace
    assert red[0][4] == "83.5%"  # 时间进度
    assert yellow[0][3] == "60.0%"
    assert [r[2] for r in page.rows["supervision-table"]] == ["P101"]
    assert [r[2] for r in page.rows["behind-table"]] == ["P102"]  # a supervision candidate is not listed as behind
    assert page.rows["supervision-table"][0][1] == "高新大道改造 & 配套"


def test_ranking_rows_in_rank_order_with_ties():
    page = parse(notice.build_notice_html(fake_data()))
    ranking = page.rows["ranking-table"]
    assert [(r[0], r[1]) for r in ranking] == [("1", "G03"), ("2", "G02"), ("2", "G05"), ("4", "G04")]
    assert ranking[0][5] == "100"
    assert "签约目标为0" in ranking[0][6]
    assert page.rows["missing-table"][0][0] == "财政局"


def test_svg_charts():
    page = parse(notice.build_notice_html(fake_data()))
    assert set(page.svgs) == {"chart-progress", "chart-funnel", "chart-ranking"}
    # two bars (time, completion) per red/yellow indicator
    assert page.svgs["chart-progress"]["rect"] == 2 * 2 + 2  # + the two legend swatches
    # four stages per zone
    assert page.svgs["chart-funnel"]["rect"] == 4 * 2
    # one bar per group
    assert page.svgs["chart-ranking"]["rect"] == 4


def test_self_contained_and_escaped():
    text = notice.build_notice_html(fake_data())
    page = parse(text)
    assert "script" not in page.tags  # no JS, and data cannot inject any
    assert "link" not in page.tags and "img" not in page.tags
    assert "<script>" not in text and "<svg onload" not in text
    assert "&lt;script&gt;" in text
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text
    assert "<style>" in text


def test_empty_day():
    page = parse(notice.build_notice_html(fake_data(warnings=[], groups=[], funnel=[], missing_submissions=[])))
    assert "red-table" not in page.rows
    assert page.svgs == {}
    assert "无" in page.text and "全部按时报送" in page.text


def test_render_notice_writes_dated_file_and_latest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    class FakeConn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    import kaohe.warehouse

    monkeypatch.setattr(kaohe.warehouse, "connect", lambda url=None, **kw: FakeConn())
    monkeypatch.setattr(notice, "fetch_notice_data", lambda conn, d: fake_data(business_date=d))
    path = notice.render_notice(date(2026, 6, 15), out_dir=tmp_path)
    assert path == tmp_path / "notice_2026-06-15.html"
    assert path.read_text(encoding="utf-8") == (tmp_path / "latest.html").read_text(encoding="utf-8")
    assert "安康高新区 日督查日通报 2026-06-15" in path.read_text(encoding="utf-8")


def test_default_out_dir_is_reports_notices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    class FakeConn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    import kaohe.warehouse

    monkeypatch.setenv("KAOHE_REPORTS", str(tmp_path / "reports"))
    monkeypatch.setattr(kaohe.warehouse, "connect", lambda url=None, **kw: FakeConn())
    monkeypatch.setattr(notice, "fetch_notice_data", lambda conn, d: fake_data(business_date=d))
    path = notice.render_notice(date(2026, 6, 15))
    assert path == tmp_path / "reports" / "notices" / "notice_2026-06-15.html"
    assert (tmp_path / "reports" / "notices" / "latest.html").exists()


def test_latest_follows_the_newest_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    class FakeConn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    import kaohe.warehouse

    monkeypatch.setattr(kaohe.warehouse, "connect", lambda url=None, **kw: FakeConn())
    monkeypatch.setattr(notice, "fetch_notice_data", lambda conn, d: fake_data(business_date=d))
    notice.render_notice(date(2026, 7, 2), out_dir=tmp_path)
    notice.render_notice(date(2026, 6, 15), out_dir=tmp_path)  # re-rendering an older day
    assert "2026-07-02" in (tmp_path / "latest.html").read_text(encoding="utf-8")


def test_yesterdays_failures_are_listed_for_operators():
    from datetime import datetime

    quiet = parse(notice.build_notice_html(fake_data()))
    assert "昨日数据处理故障" in quiet.sections["failures"] and "昨日数据处理无故障" in "".join(quiet.text_parts)
    failed = fake_data(
        failures=[
            {
                "failed_at": datetime(2026, 6, 14, 20, 7),
                "dag_id": "kaohe_daily",
                "task_id": "transform",
                "business_date": "2026-06-14",
                "error": "TransformError: dbt build failed: relation missing\n  detail",
            },
            {
                "failed_at": datetime(2026, 6, 14, 20, 8),
                "dag_id": "kaohe_daily",
                "task_id": None,
                "business_date": "2026-06-14",
                "error": "DAG run failed (task_failure); failed tasks: transform",
            },
        ]
    )
    rows = parse(notice.build_notice_html(failed)).rows["failures-table"]
    assert rows == [
        ["06-14 20:07", "kaohe_daily", "transform", "2026-06-14", "TransformError: dbt build failed: relation missing"],
        [
            "06-14 20:08",
            "kaohe_daily",
            "整次运行",
            "2026-06-14",
            "DAG run failed (task_failure); failed tasks: transform",
        ],
    ]


def test_an_open_quarter_is_provisional_and_a_final_one_is_not():
    open_quarter = notice.build_notice_html(
        fake_data(period={"quarter": "2026Q2", "as_of_date": date(2026, 6, 15), "is_final": False})
    )
    assert (
        '<div class="provisional" id="provisional">本季度（2026Q2）截至 2026-06-15，进行中（暂定）</div>'
        in open_quarter
    )
    final = notice.build_notice_html(
        fake_data(
            business_date=date(2026, 6, 30),
            period={"quarter": "2026Q2", "as_of_date": date(2026, 6, 30), "is_final": True},
        )
    )
    assert 'id="provisional"' not in final and "暂定" not in final
    assert "暂定" not in notice.build_notice_html(fake_data())  # no quarter in the marts yet: nothing to qualify
