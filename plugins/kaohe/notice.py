"""The daily notice (日督查日通报): one self-contained HTML page per business date.

``render_notice`` reads the monitoring marts for a business date and writes
``notice_<YYYY-MM-DD>.html`` (and a copy, ``latest.html``) under the notices
folder of the warehouse it read (``kaohe.outputs.notices_dir``). The page has inline CSS and inline SVG charts only: no
script, no external asset, so it can be mailed, archived or opened offline.

The page is built by ``build_notice_html`` from plain dicts and lists (see
``fetch_notice_data`` for their shape), so it is testable without a database.
Every value that comes from the data is escaped: department and project names
are typed by departments.

It reads only rows kept per business date run (daily_warnings, daily_demolition_groups,
submission_completeness), so a date's notice describes that day whenever it is rendered,
also after a rerun of a past date (whose marts stay as of the high-water mark).
"""

from __future__ import annotations

import html
import shutil
from collections import OrderedDict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psycopg

TITLE = "安康高新区 日督查日通报"

# 完成进度 is the share of this quarter's increment achieved, so it is negative while the year-to-date
# value is still below last quarter's cumulative target (every warned item early in a quarter): say so.
COMPLETION_NOTE = (
    "完成进度 = (累计完成 − 上季度累计目标) / (本季度累计目标 − 上季度累计目标);"
    "为负数表示累计完成尚未达到上季度累计目标,图中不画条形。"
)

# An open quarter's figures are provisional (issue 13): a line under the subtitle says so; nothing for a final one.
PROVISIONAL = "进行中（暂定）"

STATE_LABELS = {
    "red": "红色预警",
    "yellow": "黄色预警",
    "closed": "已销号",
    "on_track": "正常",
    "behind": "进度滞后",
    "supervision_candidate": "拟督办",
}

CSS = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;background:#f4f5f7;color:#222}
main{max-width:1080px;margin:0 auto;padding:24px}
h1{text-align:center;color:#b71c1c;font-size:28px;margin:8px 0 4px;letter-spacing:2px}
.subtitle{text-align:center;color:#555;margin-bottom:4px}
.provisional{text-align:center;color:#a86500;font-weight:bold;margin-bottom:4px}
.definitions{text-align:center;color:#666;font-size:13px;margin-bottom:20px}
section{background:#fff;border-radius:6px;padding:16px 20px;margin-bottom:18px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:19px;margin:0 0 12px;border-left:5px solid #b71c1c;padding-left:10px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border:1px solid #ddd;padding:6px 8px;text-align:left}
th{background:#fafafa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.red td:first-child{border-left:4px solid #d32f2f}
tr.yellow td:first-child{border-left:4px solid #f9a825}
.summary{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1;min-width:120px;text-align:center;padding:10px;border-radius:6px;background:#fafafa}
.card b{display:block;font-size:26px}
.card.red b{color:#d32f2f}.card.yellow b{color:#f9a825}.card.green b{color:#2e7d32}
.empty{color:#888;font-style:italic}
.note{color:#666;font-size:12px;margin-top:8px}
svg text{font-size:12px;font-family:inherit}
footer{text-align:center;color:#888;font-size:12px;margin:12px 0 24px}
"""


# --- formatting ---------------------------------------------------------------


def esc(value: Any) -> str:
    """Escape a data value for HTML text or attribute context ("" for None)."""
    return "" if value is None else html.escape(str(value), quote=True)


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def pct(value: Any, places: int = 1) -> str:
    """A ratio as a percentage for display (half away from zero); '—' when missing."""
    d = _dec(value)
    if d is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    return f"{(d * 100).quantize(q, rounding=ROUND_HALF_UP)}%"


def num(value: Any, places: int = 2) -> str:
    d = _dec(value)
    if d is None:
        return "—"
    q = Decimal(1).scaleb(-places)
    text = f"{d.quantize(q, rounding=ROUND_HALF_UP)}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def points_pct(value: Any) -> str:
    """A value already in percent points (0–100) with one decimal; '—' when missing."""
    d = _dec(value)
    return "—" if d is None else f"{d.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def _fraction(value: Any) -> float:
    """A ratio clamped to [0, 1] for drawing only (never for a figure shown as text)."""
    d = _dec(value)
    if d is None:
        return 0.0
    return float(min(max(d, Decimal(0)), Decimal(1)))


# --- tables -------------------------------------------------------------------


def _table(
    headers: list[str],
    rows: list[list[tuple[str, str]]],
    row_classes: list[str] | None = None,
    table_id: str | None = None,
) -> str:
    """headers: column labels; rows: cells as (text already escaped, css class)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{esc(row_classes[i])}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="{c}">{t}</td>' if c else f"<td>{t}</td>" for t, c in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    tid = f' id="{esc(table_id)}"' if table_id else ""
    return f"<table{tid}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _indicator_table(items: list[dict], table_id: str) -> str:
    if not items:
        return '<p class="empty">无</p>'
    rows, classes = [], []
    for it in items:
        rows.append(
            [
                (esc(it.get("dept_name") or it.get("dept_code")), ""),
                (esc(it.get("subject_name") or it.get("subject")), ""),
                (esc(it.get("subject")), ""),
                (esc(pct(it.get("pace"))), "num"),
                (esc(pct(it.get("time_progress"))), "num"),
                (esc(pct(it.get("completion"))), "num"),
                (f"{esc(num(it.get('actual')))} / {esc(num(it.get('target')))}", "num"),
            ]
        )
        classes.append(it.get("state") or "")
    return _table(
        ["部门", "指标", "指标代码", "进度比(完成/应完成)", "时间进度", "完成进度", "累计完成 / 季度目标"],
        rows,
        classes,
        table_id,
    )


def _project_table(items: list[dict], table_id: str) -> str:
    if not items:
        return '<p class="empty">无</p>'
    rows = []
    for it in items:
        rows.append(
            [
                (esc(it.get("dept_name") or it.get("dept_code")), ""),
                (esc(it.get("subject_name") or it.get("subject")), ""),
                (esc(it.get("subject")), ""),
                (esc(it.get("reference_month")), ""),
                (esc(points_pct(it.get("target"))), "num"),
                (esc(points_pct(it.get("actual"))), "num"),
            ]
        )
    return _table(["牵头部门", "项目", "项目编号", "考核月份", "计划累计进度", "实际累计进度"], rows, None, table_id)


def _ranking_table(groups: list[dict]) -> str:
    if not groups:
        return '<p class="empty">无</p>'
    rows = []
    for g in groups:
        rows.append(
            [
                (esc(g.get("rank")), "num"),
                (esc(g.get("group_id")), ""),
                (esc(g.get("zone_name") or g.get("zone_id")), ""),
                (
                    f"{esc(g.get('signed'))} / {esc(g.get('target_signed') if g.get('target_signed') is not None else '—')}",
                    "num",
                ),
                (
                    f"{esc(g.get('cleared'))} / {esc(g.get('target_cleared') if g.get('target_cleared') is not None else '—')}",
                    "num",
                ),
                (esc(num(g.get("month_score"))), "num"),
                (esc("、".join(FLAG_LABELS.get(f, f) for f in (g.get("flags") or []))), ""),
            ]
        )
    return _table(
        ["名次", "工作组", "片区", "签约 / 目标", "腾空 / 目标", "月度得分", "说明"], rows, None, "ranking-table"
    )


FLAG_LABELS = {
    "no_target": "无目标(按完成计)",
    "target_signed_zero": "签约目标为0",
    "target_cleared_zero": "腾空目标为0",
}


# --- charts (inline SVG) ------------------------------------------------------


def fit(text: str, max_px: float, font_px: float = 12) -> str:
    """The text cut with '…' to fit max_px at font_px: SVG text does not wrap, and what overflows the
    chart is clipped. The full names are in the tables next to the charts."""

    def width(t: str) -> float:  # CJK and full-width glyphs are about one em, the rest about 0.6 em
        return sum(font_px if ord(c) >= 0x2E80 else font_px * 0.6 for c in t)

    if width(text) <= max_px:
        return text
    while text and width(text + "…") > max_px:
        text = text[:-1]
    return text + "…"


def _svg(width: int, height: int, body: str, chart_id: str, title: str) -> str:
    return (
        f'<svg id="{esc(chart_id)}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>{body}</svg>'
    )


# darker than the bar colours: yellow text on white is hard to read
TEXT_COLOURS = {"red": "#c62828", "yellow": "#a86500"}


def progress_chart(items: list[dict]) -> str:
    """Paired horizontal bars per indicator: 时间进度 (grey) vs 完成进度 (coloured by state)."""
    if not items:
        return '<p class="empty">今日无预警指标</p>'
    label_w, bar_w, row_h, figures_w = 260, 520, 34, 150
    height = 40 + row_h * len(items)
    parts = [
        f'<rect x="{label_w}" y="6" width="12" height="10" fill="#bdbdbd"/><text x="{label_w + 16}" y="15">时间进度</text>',
        f'<rect x="{label_w + 90}" y="6" width="12" height="10" fill="#d32f2f"/><text x="{label_w + 106}" y="15">完成进度</text>',
    ]
    for i, it in enumerate(items):
        y = 30 + i * row_h
        colour = "#d32f2f" if it.get("state") == "red" else "#f9a825"
        label = f"{it.get('dept_name') or it.get('dept_code')} · {it.get('subject_name') or it.get('subject')}"
        tp, cp = _fraction(it.get("time_progress")), _fraction(it.get("completion"))
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{esc(fit(label, label_w - 10))}</text>')
        parts.append(
            f'<rect class="bar-time" x="{label_w}" y="{y + 2}" width="{tp * bar_w:.1f}" height="12" fill="#bdbdbd"/>'
        )
        parts.append(
            f'<rect class="bar-done" x="{label_w}" y="{y + 15}" width="{cp * bar_w:.1f}" height="12" fill="{colour}"/>'
        )
        # named figures: two bare percentages side by side do not say which is time and which is work
        parts.append(
            f'<text x="{label_w + bar_w + 6}" y="{y + 12}" fill="#757575">'
            f"时间进度 {esc(pct(it.get('time_progress')))}</text>"
        )
        text_colour = TEXT_COLOURS.get(it.get("state") or "", "#222")
        parts.append(
            f'<text x="{label_w + bar_w + 6}" y="{y + 26}" fill="{text_colour}">'
            f"完成进度 {esc(pct(it.get('completion')))}</text>"
        )
    return _svg(label_w + bar_w + figures_w, height, "".join(parts), "chart-progress", "完成进度与时间进度")


FUNNEL_STAGES = [
    ("surveyed", "已摸底", "#90caf9"),
    ("signed", "已签约", "#42a5f5"),
    ("cleared", "已腾空", "#1e88e5"),
    ("demolished", "已拆除", "#0d47a1"),
]


def funnel_chart(zones: list[dict]) -> str:
    """Per zone, four bars: households that reached at least each status."""
    if not zones:
        return '<p class="empty">暂无征迁台账数据</p>'
    label_w, bar_w, bar_h = 120, 560, 14
    block_h = bar_h * len(FUNNEL_STAGES) + 18
    height = 16 + block_h * len(zones)
    top = max((int(z.get("surveyed") or 0) for z in zones), default=0) or 1
    parts = []
    for zi, z in enumerate(zones):
        y0 = 10 + zi * block_h
        zone = fit(str(z.get("zone_name") or z.get("zone_id")), label_w - 50)  # left of the stage labels
        parts.append(f'<text x="0" y="{y0 + 12}" font-weight="bold">{esc(zone)}</text>')
        for si, (key, label, colour) in enumerate(FUNNEL_STAGES):
            n = int(z.get(key) or 0)
            y = y0 + si * bar_h
            parts.append(f'<text x="{label_w - 6}" y="{y + 11}" text-anchor="end">{label}</text>')
            parts.append(
                f'<rect class="funnel-bar" x="{label_w}" y="{y + 1}" width="{bar_w * n / top:.1f}" '
                f'height="{bar_h - 2}" fill="{colour}"/>'
            )
            parts.append(f'<text x="{label_w + bar_w * n / top + 4:.1f}" y="{y + 11}">{n}</text>')
    return _svg(label_w + bar_w + 60, height, "".join(parts), "chart-funnel", "各片区征迁户数漏斗")


def ranking_chart(groups: list[dict]) -> str:
    """Horizontal bars of the groups' month scores, in rank order."""
    if not groups:
        return '<p class="empty">暂无征迁排名</p>'
    label_w, bar_w, row_h = 150, 520, 22
    height = 10 + row_h * len(groups)
    parts = []
    for i, g in enumerate(groups):
        y = 6 + i * row_h
        score = _dec(g.get("month_score")) or Decimal(0)
        width = bar_w * float(min(max(score, Decimal(0)), Decimal(100))) / 100
        label = f"{g.get('rank')}. {g.get('group_id')} {g.get('zone_name') or g.get('zone_id') or ''}"
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{esc(fit(label, label_w - 10))}</text>')
        parts.append(
            f'<rect class="rank-bar" x="{label_w}" y="{y + 3}" width="{width:.1f}" height="14" fill="#2e7d32"/>'
        )
        parts.append(f'<text x="{label_w + width + 4:.1f}" y="{y + 14}">{esc(num(score))}</text>')
    return _svg(label_w + bar_w + 60, height, "".join(parts), "chart-ranking", "征迁工作组月度得分排名")


# --- the page -----------------------------------------------------------------


def build_notice_html(data: dict) -> str:
    """The notice as an HTML string, from plain data (see fetch_notice_data)."""
    bd = data["business_date"]
    bd_text = bd.isoformat() if isinstance(bd, date) else str(bd)
    warnings = data.get("warnings") or []
    indicators = [w for w in warnings if w.get("item_type") == "indicator"]
    projects = [w for w in warnings if w.get("item_type") == "project"]
    red = sorted((w for w in indicators if w.get("state") == "red"), key=_pace_key)
    yellow = sorted((w for w in indicators if w.get("state") == "yellow"), key=_pace_key)
    closed = [w for w in indicators if w.get("state") == "closed"]
    behind = sorted(
        (w for w in projects if w.get("state") == "behind"),
        key=lambda w: (w.get("dept_code") or "", w.get("subject") or ""),
    )
    supervision = sorted(
        (w for w in projects if w.get("state") == "supervision_candidate"),
        key=lambda w: (w.get("dept_code") or "", w.get("subject") or ""),
    )
    groups = sorted(data.get("groups") or [], key=lambda g: (g.get("rank") or 0, g.get("group_id") or ""))
    month = data.get("month") or bd_text[:7]
    missing = data.get("missing_submissions") or []
    period = data.get("period")  # the business date's quarter as of that date (fetch_notice_data)
    provisional = ""
    if period and not period.get("is_final"):
        as_of = period["as_of_date"]
        as_of_text = as_of.isoformat() if isinstance(as_of, date) else str(as_of)
        provisional = (
            f'<div class="provisional" id="provisional">本季度（{esc(period["quarter"])}）'
            f"截至 {esc(as_of_text)}，{PROVISIONAL}</div>"
        )

    summary = "".join(
        f'<div class="card {cls}"><b>{n}</b>{esc(label)}</div>'
        for n, label, cls in [
            (len(red), "红色预警指标", "red"),
            (len(yellow), "黄色预警指标", "yellow"),
            (len(closed), "已销号指标", "green"),
            (len(behind), "进度滞后项目", "yellow"),
            (len(supervision), "拟督办项目", "red"),
            (len(missing), "未按时报送", ""),
        ]
    )
    missing_html = (
        '<p class="empty">全部按时报送</p>'
        if not missing
        else _table(
            ["部门", "报送内容", "最近一次报送"],
            [
                [
                    (esc(m.get("dept_name") or m.get("dept_code")), ""),
                    (esc(KIND_LABELS.get(m.get("kind"), m.get("kind"))), ""),
                    (esc(m.get("last_arrived_on") or "从未报送"), ""),
                ]
                for m in missing
            ],
            None,
            "missing-table",
        )
    )

    failures = data.get("failures") or []
    failures_html = (
        '<p class="empty">昨日数据处理无故障</p>'
        if not failures
        else _table(
            ["时间", "流程", "环节", "业务日期", "原因"],
            [
                [
                    (
                        esc(
                            f"{f['failed_at']:%m-%d %H:%M}"
                            if isinstance(f.get("failed_at"), datetime)
                            else f.get("failed_at")
                        ),
                        "",
                    ),
                    (esc(f.get("dag_id")), ""),
                    (esc(f.get("task_id") or "整次运行"), ""),
                    (esc(f.get("business_date") or ""), ""),
                    (esc(_first_line(f.get("error"))), ""),
                ]
                for f in failures
            ],
            None,
            "failures-table",
        )
    )

    sections = [
        ("summary", "一、今日概况", f'<div class="summary">{summary}</div>'),
        (
            "red",
            f"二、红色预警指标(进度比低于{esc(pct(data.get('red_pace'), 0)) if data.get('red_pace') is not None else '红色阈值'})",
            _indicator_table(red, "red-table"),
        ),
        (
            "yellow",
            f"三、黄色预警指标(进度比低于{esc(pct(data.get('yellow_pace'), 0)) if data.get('yellow_pace') is not None else '黄色阈值'})",
            _indicator_table(yellow, "yellow-table"),
        ),
        (
            "chart-progress-section",
            "四、预警指标完成进度与时间进度对比",
            progress_chart(red + yellow) + (f'<p class="note">{esc(COMPLETION_NOTE)}</p>' if red or yellow else ""),
        ),
        ("supervision", "五、拟督办重点项目(连续两个月滞后)", _project_table(supervision, "supervision-table")),
        ("behind", "六、进度滞后重点项目", _project_table(behind, "behind-table")),
        (
            "ranking",
            f"七、征迁工作组月度排名({esc(month)})",
            _ranking_table(groups)
            + ranking_chart(groups)
            + '<p class="note">本月尚未结束的,按截至通报日的台账计算;目标为0或未下达的按完成计。</p>',
        ),
        ("funnel", f"八、各片区征迁户数漏斗({esc(month)})", funnel_chart(data.get("funnel") or [])),
        ("submissions", "九、报送情况", missing_html),
        ("failures", "十、昨日数据处理故障(运维)", failures_html),
    ]
    body = "".join(f'<section id="{sid}"><h2>{title}</h2>{content}</section>' for sid, title, content in sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(TITLE)} {esc(bd_text)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
        f"<body><main><h1>{esc(TITLE)} {esc(bd_text)}</h1>"
        f'<div class="subtitle">统计截至 {esc(bd_text)}</div>{provisional}'
        f'<div class="definitions">时间进度 = 本季度已过天数 / 本季度天数 · 进度比 = 累计完成 / 按时间进度应完成 · '
        f"完成进度 = 本季度新增完成 / 本季度新增目标(为负:累计完成尚未达到上季度累计目标)</div>"
        f"{body}<footer>安康高新区考核办 · 数据来源:各部门报送(考核数据仓库)</footer></main></body></html>\n"
    )


def _first_line(text) -> str:
    line = (str(text or "").strip().splitlines() or [""])[0]
    return line if len(line) <= 160 else line[:159] + "…"


KIND_LABELS = {"indicator_progress": "指标进度(每日)", "project_progress": "项目进度(每周)"}


def _pace_key(w: dict):
    return (_dec(w.get("pace")) or Decimal(0), w.get("dept_code") or "", w.get("subject") or "")


# --- data ---------------------------------------------------------------------


def _rows(conn: psycopg.Connection, query: str, params: tuple) -> list[dict]:
    cur = conn.execute(query, params)
    names = [d.name for d in cur.description or ()]  # None only for a statement that returns no rows
    return [dict(zip(names, r, strict=False)) for r in cur.fetchall()]


def fetch_notice_data(conn: psycopg.Connection, business_date: date) -> dict:
    """The notice's data from the marts: plain dicts and lists."""
    month = business_date.strftime("%Y-%m")
    warnings = _rows(
        conn,
        """
        select item_type, dept_code, dept_name, subject, subject_name, state, pace, time_progress,
               completion, expected, actual, target, reference_month
        from marts.daily_warnings where business_date = %s
        order by item_type, dept_code, subject""",
        (business_date,),
    )
    # the month's 征迁 as the date saw it (daily_demolition_groups keeps each date run's rows; the
    # demolition marts hold the latest build, the high-water mark's, which a rerun date is not)
    groups = _rows(
        conn,
        """
        select group_id, zone_id, zone_name, signed, cleared, target_signed, target_cleared,
               month_score, rank, flags
        from marts.daily_demolition_groups where business_date = %s
        order by rank, group_id""",
        (business_date,),
    )
    funnel_rows = _rows(
        conn,
        """
        select zone_id, max(zone_name) as zone_name, sum(households) as surveyed, sum(signed) as signed,
               sum(cleared) as cleared, sum(demolished) as demolished
        from marts.daily_demolition_groups where business_date = %s
        group by zone_id order by zone_id""",
        (business_date,),
    )
    missing = _rows(
        conn,
        """
        select dept_code, dept_name, kind, last_arrived_on
        from marts.submission_completeness where business_date = %s and not arrived
        order by kind, dept_code""",
        (business_date,),
    )
    # what failed in the runs for the previous business date (or, undated, during that day): operators read this first
    failures = _rows(
        conn,
        """
        select failed_at, dag_id, task_id, business_date::text as business_date, error
        from ops.run_failures
        where final  -- attempts that Airflow retried are in ops.run_failures too, not in the notice
          and (business_date = %s::date - 1
               or (business_date is null and failed_at >= %s::date - 1 and failed_at < %s::date))
        order by failed_at""",
        (business_date, business_date, business_date),
    )
    # the thresholds in force on the day, for the section titles (rules are data)
    params = {
        r["param"]: r["value"]
        for r in _rows(
            conn,
            """
        select distinct on (param) param, value from rules.rule_parameters
        where param in ('red_pace', 'yellow_pace') and effective_from <= %s
        order by param, effective_from desc""",
            (business_date,),
        )
    }
    # the business date's quarter as of that date (the notice is the date's, also when a past date is rerun
    # and the marts are as of a later high-water mark): final once the date is its last day
    quarter = f"{business_date.year}Q{(business_date.month - 1) // 3 + 1}"
    period = _rows(
        conn,
        "select %s::text as quarter, %s::date as as_of_date, %s::date >= ingest.quarter_end(%s) as is_final",
        (quarter, business_date, business_date, quarter),
    )
    return {
        "business_date": business_date,
        "month": month,
        "warnings": warnings,
        "groups": groups,
        "period": period[0] if period else None,
        "red_pace": params.get("red_pace"),
        "yellow_pace": params.get("yellow_pace"),
        "funnel": list(OrderedDict((r["zone_id"], r) for r in funnel_rows).values()),
        "missing_submissions": missing,
        "failures": failures,
    }


def render_notice(business_date: date, url: str | None = None, out_dir: Path | None = None) -> Path:
    """Write notice_<date>.html for the business date, and latest.html when it is the newest; returns the file."""
    from kaohe.outputs import notices_dir
    from kaohe.warehouse import connect

    with connect(url) as conn:
        data = fetch_notice_data(conn, business_date)
    out_dir = Path(out_dir) if out_dir is not None else notices_dir(url)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"notice_{business_date.isoformat()}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(build_notice_html(data), encoding="utf-8")
    tmp.replace(path)
    # latest.html is the newest business date's notice: re-rendering an older day leaves it alone
    newest = max(p.stem.removeprefix("notice_") for p in out_dir.glob("notice_????-??-??.html"))
    if business_date.isoformat() >= newest:
        shutil.copyfile(path, out_dir / "latest.html")
    return path
