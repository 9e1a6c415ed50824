"""The daily notice (日督查日通报) as a reader sees it: the 2026-10-01 notice written by the shared district run,
rendered by headless Chromium, against the warehouse it was built from.

Chromium is required, never skipped: `make test` installs it (with fonts-noto-cjk for the Chinese text).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from kaohe.warehouse import connect

from .conftest import END
from .processes import run_in_own_group

pytestmark = pytest.mark.integration

BUSINESS_DATE = END  # 2026-10-01, the first day of 2026Q4
WIDTH = 1280
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]
INSTALL_HINT = "`make test` installs it; by hand: apt-get install -y chromium fonts-noto-cjk"

# Runs in the page once it is laid out and reports what the browser made of it: the visible text, each table's
# cells, each chart's drawn size and bars, and any chart text that falls outside its chart (clipped, unreadable).
PROBE = """<script>
(() => {
  const box = e => e.getBoundingClientRect();
  const tables = {};
  for (const t of document.querySelectorAll('table[id]')) {
    tables[t.id] = {head: [...t.querySelectorAll('thead th')].map(c => c.innerText.trim()),
                    rows: [...t.querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))};
  }
  const charts = {};
  for (const s of document.querySelectorAll('svg')) {
    const outer = box(s);
    const outside = [...s.querySelectorAll('text')].filter(t => {
      const b = box(t);
      return b.left < outer.left - 1 || b.right > outer.right + 1
          || b.top < outer.top - 1 || b.bottom > outer.bottom + 1;
    }).map(t => t.textContent);
    charts[s.id] = {width: outer.width, height: outer.height, outside,
                    drawn_bars: [...s.querySelectorAll('rect')].filter(r => box(r).width > 0.5).length};
  }
  const probe = {title: document.title, h1: document.querySelector('h1').innerText,
                 sections: [...document.querySelectorAll('section h2')].map(h => h.innerText.trim()),
                 cards: [...document.querySelectorAll('.card')].map(c => c.innerText.trim().split(/\\s+/)),
                 text: document.body.innerText, tables, charts,
                 height: Math.ceil(document.documentElement.scrollHeight),
                 overflow_x: document.documentElement.scrollWidth > window.innerWidth};
  const pre = document.createElement('pre');
  pre.id = 'kaohe-probe';
  pre.textContent = JSON.stringify(probe);
  document.body.appendChild(pre);
})();
</script>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail(f"chromium is not on PATH: the daily notice cannot be checked in a browser. {INSTALL_HINT}")
    # a fresh profile per call: no state carried between renders; no Chromium process outlives the call
    return run_in_own_group([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], timeout=120)


def chinese_fonts() -> list[str]:
    listed = (
        subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
        if shutil.which("fc-list")
        else None
    )
    return [line for line in (listed.stdout.splitlines() if listed else []) if line.strip()]


def pct(value, places: int = 1) -> str:
    """How the notice prints a ratio (independent of kaohe.notice on purpose)."""
    return f"{(Decimal(value) * 100).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


@pytest.fixture(scope="module")
def notice_file(district, district_reports) -> Path:
    path = district_reports / "notices" / f"notice_{BUSINESS_DATE.isoformat()}.html"
    written = sorted(p.name for p in (district_reports / "notices").glob("*")) if path.parent.exists() else []
    assert path.exists(), f"the run wrote no notice for {BUSINESS_DATE} in {path.parent}: {written}"
    return path


@pytest.fixture(scope="module")
def rendered(notice_file, tmp_path_factory) -> dict:
    """The probe's report of the rendered notice (from --dump-dom) and a full-page screenshot (key 'png')."""
    work = tmp_path_factory.mktemp("notice-render")
    # the notice plus the probe, next to it; the notice itself stays as written
    probed = work / notice_file.name
    probed.write_text(notice_file.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    # laid out at the screenshot's width (Chromium's default window is 800 px wide)
    dumped = chromium(f"--window-size={WIDTH},900", "--dump-dom", probed.as_uri(), profile=work / "profile-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    found = re.search(r'<pre id="kaohe-probe">(.*?)</pre>', dumped.stdout, re.S)
    assert found, f"the probe did not run; DOM starts: {dumped.stdout[:500]!r}"
    report = json.loads(html.unescape(found.group(1)))
    report["dom"] = dumped.stdout

    png = work / "notice.png"
    shot = chromium(
        f"--window-size={WIDTH},{report['height']}",
        f"--screenshot={png}",
        notice_file.as_uri(),
        profile=work / "profile-shot",
    )
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    report["png"] = png  # kept for a look: <pytest tmp>/notice-render0/notice.png
    for profile in work.glob("profile-*"):
        shutil.rmtree(profile, ignore_errors=True)
    return report


def warnings_of(url: str, *states: str) -> list[dict]:
    with connect(url) as conn:
        cur = conn.execute(
            "select item_type, coalesce(dept_name, dept_code) as dept, subject, coalesce(subject_name, subject) as"
            " subject_name, state, pace from marts.daily_warnings where business_date = %s and state = any(%s)",
            (BUSINESS_DATE, list(states)),
        )
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=False)) for row in cur.fetchall()]


def test_chromium_and_a_chinese_font_are_installed():
    # fails rather than skips: CI runs `make test`, which installs both
    assert shutil.which("chromium"), f"chromium is not on PATH. {INSTALL_HINT}"
    assert chinese_fonts(), (
        f"no font with Chinese glyphs (fc-list :lang=zh is empty): the notice would show boxes. {INSTALL_HINT}"
    )


def test_title_and_labels_are_the_chinese_ones(rendered):
    title = f"安康高新区 日督查日通报 {BUSINESS_DATE.isoformat()}"
    assert rendered["title"] == title and rendered["h1"] == title
    assert [re.sub(r"[((].*", "", s) for s in rendered["sections"]] == [
        "一、今日概况",
        "二、红色预警指标",
        "三、黄色预警指标",
        "四、预警指标完成进度与时间进度对比",
        "五、拟督办重点项目",
        "六、进度滞后重点项目",
        "七、征迁工作组月度排名",
        "八、各片区征迁户数漏斗",
        "九、报送情况",
        "十、昨日数据处理故障",
    ]
    assert "低于60%" in rendered["sections"][1] and "低于80%" in rendered["sections"][2]  # thresholds in force
    assert "(2026-10)" in rendered["sections"][6]
    assert [label for _, label in rendered["cards"]] == [
        "红色预警指标",
        "黄色预警指标",
        "已销号指标",
        "进度滞后项目",
        "拟督办项目",
        "未按时报送",
    ]
    assert rendered["tables"]["ranking-table"]["head"] == [
        "名次",
        "工作组",
        "片区",
        "签约 / 目标",
        "腾空 / 目标",
        "月度得分",
        "说明",
    ]
    assert "时间进度 = 本季度已过天数 / 本季度天数" in rendered["text"]
    assert not rendered["overflow_x"], "the page is wider than the window: a reader would have to scroll sideways"


def test_red_and_yellow_lists_equal_the_daily_warnings_mart(rendered, district):
    _, url, _ = district
    cards = {label: int(n) for n, label in rendered["cards"]}
    for state, table, card in [("red", "red-table", "红色预警指标"), ("yellow", "yellow-table", "黄色预警指标")]:
        mart = [w for w in warnings_of(url, state) if w["item_type"] == "indicator"]
        rows = rendered["tables"].get(table, {"rows": []})["rows"]
        assert mart, f"the district has {state} items on {BUSINESS_DATE}"
        assert cards[card] == len(rows) == len(mart)
        # department, indicator name, indicator code and pace, as printed: the same multiset as the mart
        shown = Counter((r[0], r[1], r[2], r[3]) for r in rows)
        assert shown == Counter((w["dept"], w["subject_name"], w["subject"], pct(w["pace"])) for w in mart)
        # worst first: the leader reads the most urgent item first
        paces = [Decimal(r[3].rstrip("%")) for r in rows]
        assert paces == sorted(paces)
        for w in mart[:5]:  # and each is visible on the page and in the chart
            assert w["subject_name"] in rendered["text"]
            assert f"{w['dept']} · {w['subject_name']}" in rendered["dom"]


def test_project_lists_equal_the_mart(rendered, district):
    _, url, _ = district
    projects = warnings_of(url, "behind", "supervision_candidate")
    cards = {label: int(n) for n, label in rendered["cards"]}
    for state, table, card in [
        ("supervision_candidate", "supervision-table", "拟督办项目"),
        ("behind", "behind-table", "进度滞后项目"),
    ]:
        mart = sorted(w["subject"] for w in projects if w["state"] == state)
        rows = rendered["tables"].get(table, {"rows": []})["rows"]
        assert sorted(r[2] for r in rows) == mart and cards[card] == len(mart), state


def test_demolition_ranking_follows_the_mart(rendered, district):
    _, url, _ = district
    with connect(url) as conn:
        mart = conn.execute(
            "select rank, group_id from marts.demolition_group_months where month = %s order by rank, group_id",
            (BUSINESS_DATE.strftime("%Y-%m"),),
        ).fetchall()
    rows = rendered["tables"]["ranking-table"]["rows"]
    assert mart, "the district has a demolition ranking for the month"
    assert [(int(r[0]), r[1]) for r in rows] == mart
    ranking_chart = rendered["dom"].split('id="chart-ranking"')[1].split("</svg>")[0]
    chart_labels = re.findall(r'<text[^>]*text-anchor="end">(\d+)\. (G\d+)', ranking_chart)
    assert [(int(rank), group) for rank, group in chart_labels] == mart


def test_charts_are_drawn_and_their_text_fits(rendered, district):
    _, url, _ = district
    charts = rendered["charts"]
    assert set(charts) == {"chart-progress", "chart-ranking", "chart-funnel"}
    for chart_id, chart in charts.items():
        assert chart["width"] > 400 and chart["height"] > 50, chart_id
        assert chart["outside"] == [], f"{chart_id}: text drawn outside the chart is cut off: {chart['outside'][:5]}"
    with connect(url) as conn:
        scored = conn.execute(
            "select count(*) filter (where month_score > 0), count(distinct zone_id)"
            " from marts.demolition_group_months where month = %s",
            (BUSINESS_DATE.strftime("%Y-%m"),),
        ).fetchone()
    assert charts["chart-ranking"]["drawn_bars"] == scored[0]  # one visible bar per group with a score
    assert charts["chart-funnel"]["drawn_bars"] >= scored[1]  # at least the surveyed bar of each zone
    assert charts["chart-progress"]["drawn_bars"] >= 2  # the legend swatches, at least


def test_screenshot_is_a_full_page_image(rendered):
    data = rendered["png"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    assert (width, height) == (WIDTH, rendered["height"]) and depth == 8
    channels = {2: 3, 6: 4}[colour_type]
    idat, pos = b"", 8
    while pos < len(data):  # concatenate the image data chunks
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + width * channels)  # complete, decodable image data
    # A blank page of this size compresses about 900:1; text, tables and charts keep it far below 200:1.
    assert len(raw) / len(data) < 200, f"the screenshot looks blank ({len(data)} bytes for {width}×{height})"


def test_an_open_quarter_is_provisional_and_a_final_one_is_not(rendered, district_reports):
    """Each notice was written right after its date's build: 2026-10-01 opens 2026Q4 (provisional, shown in the
    browser under the subtitle), 2026-09-30 is 2026Q3's last day (final: nothing said), 2026-09-29 is inside it."""
    assert "本季度（2026Q4）截至 2026-10-01，进行中（暂定）" in rendered["text"]
    notices = district_reports / "notices"
    final = (notices / "notice_2026-09-30.html").read_text(encoding="utf-8")
    assert "暂定" not in final and "进行中" not in final
    inside = (notices / "notice_2026-09-29.html").read_text(encoding="utf-8")
    assert "本季度（2026Q3）截至 2026-09-29，进行中（暂定）" in inside
