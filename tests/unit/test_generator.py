"""Tests of the sample data generator (kaohe.generator).

Besides shape checks, `Checker` below is a small, independent reading of the
data contract: it re-reads every generated file the way the loader must
(UTF-8 then GB18030, xlsx, English or Chinese headers) and finds every rule
each row breaks. Planted rows must break exactly the one rule the manifest
names, and no other row may break any rule.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from kaohe.contract import load_contract, normalise_header, trim
from kaohe.generator import generate
from kaohe.generator import library as lib
from kaohe.generator.bad_rows import FORMULA
from kaohe.generator.scale import MAX_WIDTH, SCALES, code, unused_code
from openpyxl import load_workbook

C = load_contract()
START, END = date(2026, 3, 1), date(2026, 4, 10)  # 41 days: a quarter end and a roster change
ALL_RULES = {
    "missing_value",
    "format",
    "unknown_value",
    "out_of_range",
    "future_date",
    "duplicate_key",
    "sender_mismatch",
    "unknown_dept",
    "unknown_cadre",
    "unknown_indicator",
    "unknown_project",
    "unknown_group",
    "not_assigned",
    "not_deduction",
    "head_event",
    "dept_mismatch",
    "status_back",
    "group_change",
    "weights_sum",
}
STATUS_RANK = {"surveyed": 0, "signed": 1, "cleared": 2, "demolished": 3}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("landing")
    return root, generate(root, START, END, seed=7, bad_rows=True)


# -- reading files like the loader ------------------------------------------------------


def split_name(path: Path) -> tuple[str, str | None]:
    stem = path.name.rsplit(".", 1)[0]
    kind, _, sender = stem.partition("__")
    return kind, sender or None


def read_table(path: Path, kind: str) -> list[dict]:
    """Rows as {column: value}; raises if the header lacks a required column."""
    if path.suffix == ".xlsx":
        ws = load_workbook(path, read_only=True).worksheets[0]
        raw = [list(r) for r in ws.iter_rows(values_only=True)]
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        raw = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    header_map = C.header_map(kind)
    columns = [header_map.get(normalise_header(str(h))) for h in raw[0]]
    missing = set(C.kinds[kind].required) - set(columns)
    assert not missing, f"{path}: missing columns {missing}"
    rows = []
    for values in raw[1:]:
        row = {}
        for col, v in zip(columns, values, strict=False):
            if col:
                row[col] = trim(v) if isinstance(v, str) else v
        rows.append(row)
    return rows


def day_files(root: Path):
    for folder in sorted(p for p in root.iterdir() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.name)):
        yield date.fromisoformat(folder.name), sorted(folder.iterdir())


def parse_date(v):
    if isinstance(v, datetime):
        return v.date()
    if not re.fullmatch(C.formats["date"], v):
        return None
    try:
        return datetime.strptime(v.replace("/", "-"), "%Y-%m-%d").date()
    except ValueError:
        return None


class Checker:
    """Every rule each row breaks, against the master data in force on its folder's date."""

    def __init__(self):
        self.master: dict[str, list[dict]] = {}
        self.found: dict[tuple[date, str, int], list[str]] = {}
        self.households: dict[str, dict] = {}  # id -> {group, rows: [(date, rank)]}
        self.progress: dict[tuple, list] = defaultdict(list)

    def value_rule(self, col, v) -> tuple[str | None, object]:
        if v is None or v == "":
            return ("missing_value" if not col.optional else None), None
        t, arg = col.base_type, col.type_arg
        if t == "code":
            v = str(v).upper()
            return (None, v) if re.fullmatch(C.codes[arg], v) else ("format", None)
        if t == "enum":
            values = C.enum_values(arg)
            key = v if v in values else str(v).lower()
            return (None, values[key]) if key in values else ("unknown_value", None)
        if t == "date":
            d = parse_date(v)
            return (None, d) if d else ("format", None)
        if t in ("month", "quarter", "year"):
            return (None, str(v)) if re.fullmatch(C.formats[t], str(v)) else ("format", None)
        if t == "bool":
            return (
                (None, str(v).lower() in ("true", "是", "1"))
                if re.fullmatch(C.formats["bool"], str(v).lower())
                else ("format", None)
            )
        if t == "text":
            return None, v
        text = repr(v) if isinstance(v, float) else str(v)
        if not re.fullmatch(C.formats["number"], text):
            return "format", None
        try:
            n = Decimal(text)
        except InvalidOperation:
            return "format", None
        if t == "money" and not re.fullmatch(C.formats["money"], text):
            return "format", None
        bad = {
            "nonneg": n < 0,
            "count": n < 0 or n != n.to_integral_value(),
            "money": n <= 0,
            "pct": not 0 <= n <= 100,
            "score": not 0 <= n <= 100,
            "points": n == 0,
        }.get(t, False)
        return ("out_of_range" if bad else None), n

    def parse(self, path: Path) -> tuple[str, str | None, list]:
        """Type-level rules of every row: (kind, sender, [(row_number, row, rules)])."""
        kind, sender = split_name(path)
        spec = C.kinds[kind]
        parsed = []
        for number, raw in enumerate(read_table(path, kind), start=2):
            rules, row = [], {}
            for col in spec.columns:
                rule, value = self.value_rule(col, raw.get(col.name))
                if rule:
                    rules.append(rule)
                row[col.name] = value
            parsed.append((number, row, rules))
        return kind, sender, parsed

    def check_folder(self, day: date, paths: list[Path]) -> None:
        files = [(p, *self.parse(p)) for p in paths]
        # Reference snapshots of the folder are in force for the folder itself.
        for _, kind, _, parsed in files:
            if not C.kinds[kind].reference:
                continue
            if kind == "indicator_assignments":
                sums = Counter()
                for _, r, _rules in parsed:
                    sums[(r["dept_code"], r["year"])] += r["weight"] or 0
                bad = {k for k, v in sums.items() if v != 100}
                for _, r, rules in parsed:
                    if (r["dept_code"], r["year"]) in bad:
                        rules.append("weights_sum")
                kept = [r for r in self.master.get(kind, []) if (r["dept_code"], r["year"]) in bad]
                self.master[kind] = [r for _, r, rules in parsed if not rules] + kept
            else:
                self.master[kind] = [r for _, r, rules in parsed if not rules]
        self.index()
        for path, kind, sender, parsed in files:
            for _, row, rules in parsed:
                if not rules:
                    rules += self.row_rules(day, kind, sender, row)
            spec = C.kinds[kind]
            if kind in ("bonus_penalty", "supervision", "evaluations"):
                keys = Counter(tuple(r[k] for k in spec.key) for _, r, rules in parsed if not rules)
                for _, r, rules in parsed:
                    if not rules and keys[tuple(r[k] for k in spec.key)] > 1:
                        rules.append("duplicate_key")
            if kind == "demolition_ledger":
                for _, r, rules in sorted(parsed, key=lambda x: x[1]["status_date"] or date.min):
                    if not rules:
                        rules += self.ledger_rules(r)
            for number, row, rules in parsed:
                if rules:
                    self.found[(day, path.name, number)] = rules
                elif kind == "indicator_progress":
                    self.progress[(row["dept_code"], row["indicator_code"])].append(
                        (row["as_of_date"], row["cumulative_value"])
                    )

    def index(self) -> None:
        m = self.master
        self.depts = {r["dept_code"]: r for r in m.get("departments", [])}
        self.cadres = {r["cadre_id"]: r for r in m.get("cadres", [])}
        self.indicators = {r["indicator_code"]: r for r in m.get("indicators", [])}
        self.assigned = {(r["dept_code"], r["year"], r["indicator_code"]) for r in m.get("indicator_assignments", [])}
        self.projects = {r["project_id"] for r in m.get("projects", [])}
        self.groups = {r["group_id"]: r for r in m.get("demolition_groups", [])}

    def row_rules(self, day, kind, sender, row) -> list[str]:
        rules = []
        for col in ("as_of_date", "occurred_on", "status_date", "resolved_on"):
            if isinstance(row.get(col), date) and row[col] > day:
                rules.append("future_date")
        column = C.kinds[kind].sender_column
        if sender and column and row[column] != sender:
            rules.append("sender_mismatch")
        refs = [
            ("dept_code", self.depts, "unknown_dept"),
            ("lead_dept_code", self.depts, "unknown_dept"),
            ("cadre_id", self.cadres, "unknown_cadre"),
            ("lead_cadre_id", self.cadres, "unknown_cadre"),
            ("leader_cadre_id", self.cadres, "unknown_cadre"),
            ("head_cadre_id", self.cadres, "unknown_cadre"),
            ("indicator_code", self.indicators, "unknown_indicator"),
            ("project_id", self.projects, "unknown_project"),
            ("group_id", self.groups, "unknown_group"),
        ]
        if C.kinds[kind].reference and kind not in (
            "demolition_targets",
            "demolition_group_members",
            "project_milestones",
        ):
            refs = [r for r in refs if r[0] not in C.kinds[kind].key]  # a snapshot's own key is not a reference
        unknown = set()
        for col, known, rule in refs:
            if row.get(col) and known is not None and row[col] not in known:
                rules.append(rule)
                unknown.add(col)
        if kind == "evaluations":
            known = self.depts if row["target_type"] == "dept" else self.cadres
            if row["target_id"] not in known:
                rules.append("unknown_target")
        year = str(self.date_of(row).year) if self.date_of(row) else None
        if kind == "indicator_progress" and "indicator_code" not in unknown:
            if (row["dept_code"], year, row["indicator_code"]) not in self.assigned:
                rules.append("not_assigned")
        if kind == "bonus_penalty" and not unknown:
            if row["indicator_code"]:
                if (row["dept_code"], year, row["indicator_code"]) not in self.assigned:
                    rules.append("not_assigned")
                elif self.indicators[row["indicator_code"]]["scoring"] != "deduction":
                    rules.append("not_deduction")
            elif row["cadre_id"]:
                cadre = self.cadres[row["cadre_id"]]
                if cadre["role"] == "head":
                    rules.append("head_event")
                elif cadre["dept_code"] != row["dept_code"]:
                    rules.append("dept_mismatch")
        if kind == "demolition_ledger" and row["group_id"] in self.groups:
            if self.groups[row["group_id"]]["zone_id"] != row["zone_id"]:
                rules.append("zone_mismatch")
        return rules

    @staticmethod
    def date_of(row):
        return row.get("as_of_date") or row.get("occurred_on")

    def ledger_rules(self, r) -> list[str]:
        h = self.households.setdefault(r["household_id"], {"group": r["group_id"], "rows": []})
        if h["group"] != r["group_id"]:
            return ["group_change"]
        before = [rank for d, rank in h["rows"] if d < r["status_date"]]
        if before and STATUS_RANK[r["status"]] < max(before):
            return ["status_back"]
        h["rows"].append((r["status_date"], STATUS_RANK[r["status"]]))
        return []


@pytest.fixture(scope="module")
def checked(tree):
    root, _ = tree
    bad_files = {(r["business_date"], r["file"]) for r in csv.DictReader(open(root / "_planted/bad_files.csv"))}
    checker = Checker()
    for day, files in day_files(root):
        checker.check_folder(day, [p for p in files if (day.isoformat(), p.name) not in bad_files])
    return checker


def manifest(root: Path) -> dict[tuple[date, str, int], str]:
    rows = csv.DictReader(open(root / "_planted/bad_rows.csv", encoding="utf-8"))
    return {(date.fromisoformat(r["business_date"]), r["file"], int(r["row_number"])): r["rule"] for r in rows}


# -- the tests ----------------------------------------------------------------------------


def test_planted_rows_break_exactly_their_rule_and_nothing_else_breaks(tree, checked):
    root, summary = tree
    expected = manifest(root)
    assert {k: [v] for k, v in expected.items()} == checked.found
    assert summary["planted_bad_rows"] == len(expected)


def test_every_rule_is_planted_and_few_per_file(tree):
    root, _ = tree
    expected = manifest(root)
    assert set(expected.values()) == ALL_RULES
    first = min(d for d, _ in day_files(root))
    assert all(day > first for day, _, _ in expected)
    per_file = Counter((d, f) for d, f, _ in expected)
    for (d, f), n in per_file.items():
        if f.startswith("indicator_assignments"):
            continue  # weights_sum: every row of one department-year
        assert n <= 4, (d, f, n)


def test_weights_sum_only_in_a_later_snapshot(tree):
    root, _ = tree
    rows = [k for k, v in manifest(root).items() if v == "weights_sum"]
    assert rows and {f for _, f, _ in rows} == {"indicator_assignments.csv"}
    assert min(d for d, _, _ in rows) > START
    # the first snapshot is complete and valid
    first = read_table(root / START.isoformat() / "indicator_assignments.csv", "indicator_assignments")
    later = read_table(root / rows[0][0].isoformat() / "indicator_assignments.csv", "indicator_assignments")
    assert len(first) == len(later) and len(rows) == len(
        [r for r in later if r["dept_code"] == later[rows[0][2] - 2]["dept_code"]]
    )


def test_bad_files(tree):
    root, summary = tree
    listed = list(csv.DictReader(open(root / "_planted/bad_files.csv", encoding="utf-8")))
    assert sorted(r["reason"] for r in listed) == ["empty", "header_only", "unknown_kind"]
    assert summary["bad_files"] == 3
    for r in listed:
        path = root / r["business_date"] / r["file"]
        assert date.fromisoformat(r["business_date"]) > START
        if r["reason"] == "empty":
            assert path.stat().st_size == 0
        elif r["reason"] == "header_only":
            kind, _ = split_name(path)
            assert kind in C.kinds and read_table(path, kind) == []
        else:
            assert split_name(path)[0] not in C.kinds and path.stat().st_size > 0
    # no other file is empty or header-only, and every other kind is known
    listed_names = {(r["business_date"], r["file"]) for r in listed}
    for day, files in day_files(root):
        for path in files:
            if (day.isoformat(), path.name) in listed_names:
                continue
            kind, sender = split_name(path)
            assert kind in C.kinds, path
            assert read_table(path, kind), path
            assert sender is None or re.fullmatch(r"[DG]\d+", sender), path


def test_formula_injection_loads_verbatim_in_a_valid_row(tree, checked):
    root, summary = tree
    inj = summary["formula_injection"]
    path = root / inj["business_date"] / inj["file"]
    row = read_table(path, "indicator_progress")[inj["row_number"] - 2]
    assert row["note"] == FORMULA
    assert (date.fromisoformat(inj["business_date"]), inj["file"], inj["row_number"]) not in checked.found


def test_master_data(tree):
    root, _ = tree
    folder = root / START.isoformat()
    depts = {r["dept_code"]: r for r in read_table(folder / "departments.csv", "departments")}
    cadres = read_table(folder / "cadres.csv", "cadres")
    classes = Counter(C.enum_values("dept_class")[r["dept_class"]] for r in depts.values())
    assert (
        38 <= len(depts) <= 42
        and classes["agri"] >= 2
        and {"社区管理局", "临空办"} <= {r["dept_name"] for r in depts.values()}
    )
    assert 1100 <= len(cadres) <= 1300
    for code_, dept in depts.items():
        heads = [
            c
            for c in cadres
            if c["dept_code"] == code_ and C.enum_values("role")[c["role"]] == "head" and c["active"] == "是"
        ]
        assert [h["cadre_id"] for h in heads] == [dept["head_cadre_id"]]
    assert any(c["active"] == "否" for c in cadres)
    assert all(6000 <= float(c["quarterly_base_pay"]) <= 15000 for c in cadres)

    indicators = {r["indicator_code"]: r for r in read_table(folder / "indicators.xlsx", "indicators")}
    common = [r for r in indicators.values() if C.enum_values("category")[r["category"]] == "common"]
    assert len(common) == 42 and {r["level1"] for r in common} == {"基层党建", "党风廉政", "意识形态"}

    weights = defaultdict(Counter)
    for r in read_table(folder / "indicator_assignments.csv", "indicator_assignments"):
        ind = lib.BY_CODE[r["indicator_code"]]
        weights[r["dept_code"]][ind.category] += int(r["weight"])
        weights[r["dept_code"]]["G1" if r["indicator_code"].startswith("G1") else "-"] += int(r["weight"])
        weights[r["dept_code"]]["evaluations"] += ind.scoring == "evaluation"
        targets = [r[f"q{q}_target"] for q in range(1, 5)]
        if ind.reported:
            assert [float(t) for t in targets] == sorted(float(t) for t in targets)
        else:
            assert targets == ["", "", "", ""]
    for code_, w in weights.items():
        cls = C.enum_values("dept_class")[depts[code_]["dept_class"]]
        assert sum(w[c] for c in ("key", "individual", "common", "subjective")) == 100
        assert w["evaluations"] == 1
        if cls == "economic":
            assert w["key"] >= 70
    # 涉农部门: a special, much heavier party-building (基层党建) weighting
    agri = [w["G1"] for c, w in weights.items() if C.enum_values("dept_class")[depts[c]["dept_class"]] == "agri"]
    other = [w["G1"] for c, w in weights.items() if C.enum_values("dept_class")[depts[c]["dept_class"]] != "agri"]
    assert min(agri) >= 35 > max(other) and sum(agri) / len(agri) >= 4 * sum(other) / len(other)

    projects = read_table(folder / "projects.csv", "projects")
    by_id = {c["cadre_id"]: c for c in cadres}
    assert len(projects) == 205 and all(by_id[p["lead_cadre_id"]]["dept_code"] == p["lead_dept_code"] for p in projects)
    plan = defaultdict(list)
    for r in read_table(folder / "project_milestones.csv", "project_milestones"):
        plan[r["project_id"]].append(float(r["planned_cumulative_pct"]))
    assert all(len(v) == 12 and v == sorted(v) and v[-1] == 100 for v in plan.values())

    groups = read_table(folder / "demolition_groups.xlsx", "demolition_groups")
    assert len(groups) == 21 and len({g["zone_id"] for g in groups}) == 7
    members = Counter(
        r["group_id"] for r in read_table(folder / "demolition_group_members.csv", "demolition_group_members")
    )
    assert all(5 <= n <= 10 for n in members.values()) and len(members) == 21
    targets = defaultdict(list)
    for r in read_table(folder / "demolition_targets.csv", "demolition_targets"):
        targets[r["group_id"]].append((int(r["target_signed"]), int(r["target_cleared"])))
    for rows in targets.values():
        assert len(rows) == 12 and [s for s, _ in rows] == sorted(s for s, _ in rows)
        assert [c for _, c in rows] == sorted(c for _, c in rows) and all(c <= s for s, c in rows)


def test_daily_content(tree, checked):
    root, _ = tree
    # cumulative values never go down for a key across days (valid rows)
    for key, series in checked.progress.items():
        values = [v for _, v in sorted(series)]
        assert values == sorted(values), key
    kinds_by_day = defaultdict(set)
    for day, files in day_files(root):
        for path in files:
            kinds_by_day[day].add(split_name(path)[0])
    assert all("indicator_progress" in k for k in kinds_by_day.values())
    assert "evaluations" in kinds_by_day[date(2026, 3, 31)] and "commendations" in kinds_by_day[date(2026, 3, 31)]
    assert not any("evaluations" in k for d, k in kinds_by_day.items() if d != date(2026, 3, 31))
    # some departments skip a day now and then
    senders = Counter(
        split_name(p)[1] for _, files in day_files(root) for p in files if p.name.startswith("indicator_progress")
    )
    assert min(senders.values()) < max(senders.values())
    # event kinds: every supervision type; a re-delivered event id; a withdrawn event
    events = defaultdict(list)
    types = Counter()
    for day, files in day_files(root):
        for path in files:
            kind = split_name(path)[0]
            if kind in ("bonus_penalty", "supervision") and path.stat().st_size:
                for r in read_table(path, kind):
                    events[r["event_id"]].append((day, r))
                    if kind == "supervision":
                        types[C.enum_values("event_type").get(r["event_type"], r["event_type"])] += 1
    assert {"warning", "interview", "org_handling", "sanction"} <= set(types)
    assert any(len({d for d, _ in v}) > 1 for v in events.values())
    assert any(r.get("withdrawn") in ("是", "true") for v in events.values() for _, r in v)


def test_notable_events(tree):
    root, summary = tree
    notable = summary["notable_events"]
    # a sanction in each quarter of the range, on a staff member of an agri department
    assert [s["occurred_on"][:7] for s in notable["sanctions"]] == ["2026-03", "2026-04"]
    depts = {r["dept_code"]: r for r in read_table(root / START.isoformat() / "departments.csv", "departments")}
    assert all(C.enum_values("dept_class")[depts[s["dept_code"]]["dept_class"]] == "agri" for s in notable["sanctions"])
    # one cadre warned twice in one quarter (多次督办推而不动)
    first, second = notable["double_warning"]
    assert first["cadre_id"] == second["cadre_id"] and first["event_id"] != second["event_id"]
    assert first["occurred_on"][:7] in ("2026-03",) and second["occurred_on"][:7] == first["occurred_on"][:7]
    assert notable["withdrawn"] and notable["corrected"]


def test_roster_change_mid_range(tree):
    root, summary = tree
    change = summary["roster_change"]
    before = {r["cadre_id"]: r for r in read_table(root / START.isoformat() / "cadres.csv", "cadres")}
    after = {r["cadre_id"]: r for r in read_table(root / change["business_date"] / "cadres.csv", "cadres")}
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {change["transferred"], change["deactivated"]}
    assert after[change["transferred"]]["dept_code"] == change["to_dept"]
    assert after[change["deactivated"]]["active"] == "否"


def test_formats(tree):
    root, _ = tree
    seen = Counter()
    for _day, files in day_files(root):
        for path in files:
            data = path.read_bytes()
            if path.suffix == ".xlsx":
                seen["xlsx"] += 1
                continue
            if data.startswith(b"\xef\xbb\xbf"):
                seen["bom"] += 1
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                data.decode("gbk")
                seen["gbk"] += 1
            if re.search(rb",\d{4}/\d{1,2}/\d{1,2}", data):
                seen["slash"] += 1
    assert all(seen[k] > 10 for k in ("xlsx", "bom", "gbk", "slash")), seen
    path = next((root / "2026-03-02").glob("indicator_progress__*.xlsx"))
    cells = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(min_row=2, max_row=2))[0]
    assert isinstance(cells[2].value, datetime) and cells[2].is_date
    # optional columns that carry meaning are never left out (indicators.source)
    sources = {
        r["indicator_code"]: r["source"] for r in read_table(root / START.isoformat() / "indicators.xlsx", "indicators")
    }
    assert C.enum_values("source")[sources["K1-10"]] == "project_progress"
    assert C.enum_values("source")[sources["K1-12"]] == "demolition_cleared"


def test_deterministic_including_xlsx(tmp_path):
    def snapshot(root):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    args = dict(start=date(2026, 6, 28), end=date(2026, 7, 2), bad_rows=True)
    a = generate(tmp_path / "a", seed=11, **args)
    b = generate(tmp_path / "b", seed=11, **args)
    c = generate(tmp_path / "c", seed=12, **args)
    assert a == b
    sa, sb = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert sa == sb and any(k.endswith(".xlsx") for k in sa)
    assert snapshot(tmp_path / "c") != sa and a != c


def test_short_ranges(tmp_path):
    one = generate(tmp_path / "one", date(2026, 7, 1), date(2026, 7, 1))
    assert one["business_dates"] == 1 and one["roster_change"] is None and one["planted_bad_rows"] == 0
    assert not (tmp_path / "one" / "_planted").exists()
    assert set(one["files"]) >= set(C.reference_kinds) | {"indicator_progress", "project_progress", "demolition_ledger"}
    two = generate(tmp_path / "two", date(2026, 7, 1), date(2026, 7, 2), bad_rows=True)
    assert two["planted_bad_rows"] > 0 and two["bad_files"] == 3
    with pytest.raises(ValueError):
        generate(tmp_path / "x", date(2026, 7, 2), date(2026, 7, 1))
    with pytest.raises(ValueError):
        generate(tmp_path / "x", date(2026, 7, 1), date(2026, 7, 1), scale="planet")


@pytest.mark.parametrize("name", sorted(SCALES))
def test_codes_fit_contract_at_every_scale(name):
    s = SCALES[name]
    widths = {
        "D": (s.dept_width, s.departments),
        "C": (s.cadre_width, s.cadres),
        "P": (s.project_width, s.projects_per_year * 2),
        "G": (s.group_width, s.groups),
        "Z": (s.zone_width, s.zones),
        "H": (s.household_width, s.groups * s.households[1]),
    }
    patterns = {
        "D": "dept_code",
        "C": "cadre_id",
        "P": "project_id",
        "G": "group_id",
        "Z": "zone_id",
        "H": "household_id",
    }
    for prefix, (width, count) in widths.items():
        assert width <= MAX_WIDTH[prefix]
        assert re.fullmatch(C.codes[patterns[prefix]], code(prefix, count, width))
        if prefix != "Z":
            assert re.fullmatch(C.codes[patterns[prefix]], unused_code(prefix, width, count))


def test_all_text_is_gbk_encodable():
    from kaohe.generator import names

    words = [
        *names.SURNAMES,
        *names.GIVEN_CHARS,
        *names.COUNTIES,
        *names.DISTRICT_VILLAGES,
        *names.VILLAGE_HEADS,
        *names.VILLAGE_TAILS,
        *names.PROJECT_PLACES,
        *names.PROJECT_THINGS,
        *names.PROJECT_PHASES,
        *names.DEDUCTION_REASONS,
        *names.COMMENDATION_BASIS,
        *names.NOTES,
        *(r for r, _ in names.CADRE_REASONS),
        *(r for r, _ in names.FREE_REASONS),
        *(d[0] for d in names.BASE_DEPARTMENTS),
        *(t for t, _ in names.NAMED_PROJECTS),
        *(f"{i.name}{i.level1}{i.level2}{i.unit}" for i in lib.LIBRARY),
    ]
    for w in words:
        w.encode("gbk")


def test_bad_rows_only_add_to_the_clean_tree(tmp_path):
    """bad_rows=True is the clean tree plus planted rows, a few forced deliveries and bad files."""
    args = dict(start=date(2026, 6, 28), end=date(2026, 7, 3), seed=5)
    clean, bad = tmp_path / "clean", tmp_path / "bad"
    generate(clean, **args)
    summary = generate(bad, bad_rows=True, **args)
    planted = defaultdict(set)
    for day, file, row in manifest(bad):
        planted[(day.isoformat(), file)].add(row)
    inj = summary["formula_injection"]
    for path in sorted(clean.rglob("*.*")):
        rel = path.relative_to(clean)
        day, name = rel.parts
        kind = split_name(path)[0]
        if name.startswith("indicator_assignments") and (day, name) in planted:
            continue  # the weights_sum snapshot is an extra delivery, not on the first day
        bad_rows = [r for n, r in enumerate(read_table(bad / rel, kind), start=2) if n not in planted[(day, name)]]
        if (day, name) == (inj["business_date"], inj["file"]):
            for r in bad_rows:
                if r.get("note") == FORMULA:
                    r["note"] = next(c for c in read_table(path, kind) if c["indicator_code"] == r["indicator_code"])[
                        "note"
                    ]
        assert bad_rows == read_table(path, kind), rel
