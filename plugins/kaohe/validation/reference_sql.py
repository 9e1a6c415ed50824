"""Master data in force, and the contract's cross-row rules, as SQL.

``ingest.valid_<kind>`` is the typed view of every validated, non-quarantined
row of a kind, tagged with its folder's date: codes upper-cased, enums in
their English value, dates, numbers and booleans parsed. The validation rules
read master data through it; the dbt sources read it too, so "what does this
text mean" is answered once, here, from the contract.
"""

from __future__ import annotations

from kaohe.contract import Column, Contract, Kind

# A kind's column that names something validated later (departments.head_cadre_id
# names a cadre of the roster validated after it): checked by the later kind.
SELF_OR_LATER_REFERENCES = {("departments", "head_cadre_id")}

STATUS_RANK = {"surveyed": 1, "signed": 2, "cleared": 3, "demolished": 4}


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''").replace("{", "{{").replace("}", "}}") + "'"


def enum_case(contract: Contract, enum: str, expr: str) -> str:
    whens = " ".join(f"when {_lit(k)} then {_lit(v)}" for k, v in contract.enum_values(enum).items())
    return f"(case lower({expr}) {whens} end)"


def normalised(contract: Contract, col: Column, alias: str) -> str:
    """SQL for the column's value as the warehouse understands it."""
    expr = f"{alias}.{col.name}"
    base = col.base_type
    if base in ("code", "quarter"):
        return f"upper({expr})"
    if base == "enum":
        return enum_case(contract, col.type_arg, expr)
    if base == "date":
        return f"ingest.parse_date({expr})"
    if base == "year":
        return f"(ingest.to_num({expr}))::int"
    if base == "bool":
        return f"ingest.to_bool({expr})"
    if base in ("number", "count", "money", "nonneg", "pct", "score", "points"):
        return f"ingest.to_num({expr})"
    return expr


# Column types whose value needs parsing (a function call per row): the batch carries them parsed.
PARSED_TYPES = {"date", "enum", "bool", "year", "number", "count", "money", "nonneg", "pct", "score", "points"}
# Column types whose value is text (codes and quarters upper-cased, enums in their English value).
TEXT_TYPES = {"code", "quarter", "enum", "month", "text"}


def parsed_columns_sql(contract: Contract, kind: Kind, alias: str) -> str:
    """The select list of a validation batch's parsed copies (``_v_<column>``), computed once when the batch is
    built: the rules read a value several times each (format, range, dates, keys, history), and parsing it
    per rule was most of their cost. Plain SQL, braces not doubled (it does not go through GX)."""
    items = [f"{normalised(contract, c, alias)} as _v_{c.name}" for c in kind.columns if c.base_type in PARSED_TYPES]
    return ", ".join(items).replace("{{", "{").replace("}}", "}")


def _column(contract: Contract, kind: str | Kind, column: str) -> Column:
    return (contract.kinds[kind] if isinstance(kind, str) else kind).column(column)


def value(contract: Contract, kind: str | Kind, column: str) -> str:
    """A rule's SQL for the batch row's value of a column, as the warehouse understands it (``b`` is the batch)."""
    col = _column(contract, kind, column)
    return f"b._v_{col.name}" if col.base_type in PARSED_TYPES else normalised(contract, col, "b")


def grouping_value(contract: Contract, kind: str | Kind, column: str) -> str:
    """``value`` for grouping and partitioning: text compared as bytes (collate "C"). The same groups — equality
    does not depend on the collation — with a cheaper comparison than the database locale's: a key check over
    1.3 M evaluations sorted 35 % faster."""
    expr = value(contract, kind, column)
    return f'{expr} collate "C"' if _column(contract, kind, column).base_type in TEXT_TYPES else expr


def valid_view_sql(contract: Contract, kind: Kind) -> str:
    cols = ",\n       ".join(f"{normalised(contract, c, 'r')} as {c.name}" for c in kind.columns)
    body = f"""create or replace view ingest.valid_{kind.name} as
select f.business_date as _business_date, r._load_id, r._row_number, f.file as _file, f.sender as _sender,
       {cols}
from raw.{kind.name} r
join quarantine.file_loads f on f.load_id = r._load_id and f.status = 'loaded'
where not exists (select 1 from quarantine.rejected_rows q where q.load_id = r._load_id and q.row_number = r._row_number)"""
    # views are created outside GX: undo the brace doubling used for GX queries
    return body.replace("{{", "{").replace("}}", "}")


# Reference kinds whose snapshot can be set aside in part: the partition's rows
# quarantined under the rule leave its previous valid rows in force.
PARTITION_FALLBACK = {
    "indicator_assignments": (("dept_code", "year"), "weights_sum"),
    "cadres": (("dept_code",), "head_conflict"),
}


def _in_force_sql(kind: str, day_sql: str) -> str:
    """The rows of a reference kind in force on a day (the latest snapshot on or
    before it; a day before the first snapshot is judged by the first)."""
    day = (f"greatest({day_sql}, (select min(f.business_date) from quarantine.file_loads f "
           f"where f.kind = '{kind}' and f.status = 'loaded'))")
    latest = (f"(select max(f.business_date) from quarantine.file_loads f where f.kind = '{kind}' "
              f"and f.status = 'loaded' and f.business_date <= {day})")
    if kind not in PARTITION_FALLBACK:
        return f"(select v.* from ingest.valid_{kind} v where v._business_date = {latest})"
    columns, rule = PARTITION_FALLBACK[kind]
    partition = ", ".join(f"v.{c}" for c in columns)
    raw_match = " and ".join(
        f"ingest.to_num(q.raw->>'{c}')::int = x.{c}" if c == "year" else f"upper(q.raw->>'{c}') = x.{c}" for c in columns)
    # Set-based (a window per partition, the day computed once) so that PostgreSQL
    # can hash-join it: a correlated form costs one scan of the roster per row.
    return (
        f"(select x.* from (select v.*, max(v._business_date) over (partition by {partition}) as _partition_latest "
        f"from ingest.valid_{kind} v where v._business_date <= {day}) x "
        f"where x._business_date = x._partition_latest "
        f"and (x._business_date = {latest} or exists (select 1 from quarantine.rejected_rows q "
        f"where q.kind = '{kind}' and q.rule = '{rule}' and q.business_date = {latest} and {raw_match})))"
    )


def in_force(kind: str) -> str:
    """The snapshot of a reference kind in force on the batch's date (same folder included)."""
    return _in_force_sql(kind, "(select max(_business_date) from b)")


def not_in_force(kind: str, pairs: list[tuple[str, str]]) -> str:
    """True when no row of the kind's snapshot in force matches: ``pairs`` are (batch expression, master column).

    Written as NOT IN, which PostgreSQL runs as one hashed lookup per query, and not as NOT EXISTS: for that
    the planner misjudged the in-force subquery's size and chose a nested loop, quadratic in the rows (94 s
    for a city's 65k evaluations against its 20k cadres). ``coalesce(..., true)`` keeps NOT EXISTS's answer
    when a batch value is null (no match).
    """
    left = ", ".join(expr for expr, _ in pairs)
    right = ", ".join(f"m.{col}" for _, col in pairs)
    not_null = " and ".join(f"m.{col} is not null" for _, col in pairs)
    return f"coalesce(({left}) not in (select {right} from {in_force(kind)} m where {not_null}), true)"


def in_force_on(kind: str, day_sql: str) -> str:
    """The snapshot of a reference kind in force on an arbitrary day (a correlated expression)."""
    return _in_force_sql(kind, day_sql)


def _rule(rule: str, column: str | None, message: str, query: str):
    from kaohe.validation.suites import RuleSpec

    return RuleSpec(rule, column, message, body=query)


def _rows(where: str, message_sql: str) -> str:
    return f"select b._load_id, b._row_number, {message_sql} as _message from b where {where}"


def kind_rules(contract: Contract, kind: Kind) -> list:
    builder = {
        "indicator_assignments": _assignment_rules,
        "project_milestones": _milestone_rules,
        "demolition_targets": _target_rules,
        "cadres": _roster_rules,
        "indicator_progress": _progress_rules,
        "bonus_penalty": _bonus_penalty_rules,
        "demolition_ledger": _ledger_rules,
        "evaluations": _evaluation_rules,
    }.get(kind.name)
    return builder(contract) if builder else []


def _assignment_rules(contract: Contract) -> list:
    weight = value(contract, "indicator_assignments", "weight")
    year, dept, ind = value(contract, "indicator_assignments", "year"), "upper(b.dept_code)", "upper(b.indicator_code)"
    targets = ["q1_target", "q2_target", "q3_target", "q4_target"]
    needs_targets = (
        f"exists (select 1 from {in_force('indicators')} i where i.indicator_code = {ind} "
        f"and i.scoring = 'ratio' and coalesce(i.source, 'submission') = 'submission')"
    )
    t = [value(contract, "indicator_assignments", c) for c in targets]
    return [
        _rule("missing_value", "q1_target", "a ratio indicator reported by submission needs all four quarterly targets",
              _rows(f"{needs_targets} and ({' or '.join(f'b.{c} is null' for c in targets)})",
                    _lit("indicator ") + f" || b.indicator_code || " + _lit(" is scored by completion ratio from submissions: q1_target … q4_target are all required"))),
        _rule("not_monotonic", "q1_target", "quarterly targets are cumulative and must not decrease",
              _rows(f"{needs_targets} and not ({t[0]} <= {t[1]} and {t[1]} <= {t[2]} and {t[2]} <= {t[3]})",
                    _lit("quarterly targets are cumulative from 1 January and must not decrease (q1 ≤ q2 ≤ q3 ≤ q4): ")
                    + " || concat_ws(' / ', b.q1_target, b.q2_target, b.q3_target, b.q4_target)")),
        _rule("weights_sum", "weight", "the weights of a department in a year must sum to exactly 100",
              f"""select _load_id, _row_number, _message from (
  select b._load_id, b._row_number,
         {_lit('the weights of ')} || {dept} || {_lit(' in ')} || b.year || {_lit(' sum to ')}
           || sum({weight}) over w || {_lit(', not 100: all its rows in this snapshot are set aside and its previous assignments stay in force')} as _message,
         sum({weight}) over w as total
  from b
  window w as (partition by {year}, {dept})) s
where total is distinct from 100"""),
    ]


def _non_decreasing(contract: Contract, kind: str, column: str, partition: str, noun: str) -> list:
    v = value(contract, kind, column)
    return [_rule("not_monotonic", column, f"{column} is cumulative and must not decrease from one month to the next",
                  f"""select _load_id, _row_number, _message from (
  select b._load_id, b._row_number, {v} as v,
         max({v}) over (partition by {partition} order by b.month rows between unbounded preceding and 1 preceding) as before,
         {_lit(column + ' ')} || b.{column} || {_lit(' for ')} || b.month || {_lit(' is below an earlier month of the same ' + noun + ' (cumulative values must not decrease)')} as _message
  from b) s
where v < before""")]


def _milestone_rules(contract: Contract) -> list:
    return _non_decreasing(contract, "project_milestones", "planned_cumulative_pct",
                           grouping_value(contract, "project_milestones", "project_id"), "project")


def _target_rules(contract: Contract) -> list:
    group = grouping_value(contract, "demolition_targets", "group_id")
    return (_non_decreasing(contract, "demolition_targets", "target_signed", group, "work group")
            + _non_decreasing(contract, "demolition_targets", "target_cleared", group, "work group"))


def _roster_rules(contract: Contract) -> list:
    role = value(contract, "cadres", "role")
    active = f"coalesce({value(contract, 'cadres', 'active')}, false)"
    set_aside = _lit(": the roster of this department is set aside and its previous roster stays in force")
    # The message says which of the two faults it is, naming the cadres, so the clerk knows what to correct.
    return [_rule("head_conflict", "role", "a department must have exactly the one active head that departments names",
                  f"""with heads as (
  select upper(b.dept_code) as dept_code, count(*) as n,
         string_agg(upper(b.cadre_id), ', ' order by upper(b.cadre_id)) as cadre_ids
  from b where {role} = 'head' and {active}
  group by upper(b.dept_code))
select b._load_id, b._row_number,
       {_lit('department ')} || h.dept_code || case
         when h.n > 1 then {_lit(' has ')} || h.n || {_lit(' active heads in this roster (')} || h.cadre_ids
           || {_lit('); it must have exactly one')}
         else {_lit(': departments names ')} || coalesce(d.head_cadre_id, {_lit('no one')})
           || {_lit(' as its head, but this roster makes ')} || h.cadre_ids || {_lit(' its active head')}
       end || {set_aside} as _message
from b
join heads h on h.dept_code = upper(b.dept_code)
left join {in_force('departments')} d on d.dept_code = h.dept_code
where h.n > 1 or h.cadre_ids is distinct from d.head_cadre_id""")]


def _progress_rules(contract: Contract) -> list:
    return [_assigned_rule(contract, "indicator_progress", "as_of_date")]


def _assigned_rule(contract: Contract, kind: str, date_column: str) -> object:
    day = value(contract, kind, date_column)
    return _rule("not_assigned", "indicator_code", "the indicator is not assigned to the department that year",
                 _rows("b.indicator_code is not null and " + not_in_force("indicator_assignments", [
                     ("upper(b.dept_code)", "dept_code"), ("upper(b.indicator_code)", "indicator_code"),
                     (f"extract(year from {day})::int", "year")]),
                       _lit("indicator ") + " || upper(b.indicator_code) || " + _lit(" is not assigned to ")
                       + " || upper(b.dept_code) || " + _lit(" in ") + f" || extract(year from {day})::int"))


def _bonus_penalty_rules(contract: Contract) -> list:
    day = value(contract, "bonus_penalty", "occurred_on")
    roster_then = in_force_on("cadres", day)
    return [
        _rule("not_deduction", "indicator_code", "an event naming an indicator must name a deduction-scored (扣分制) indicator",
              _rows(f"b.indicator_code is not null and exists (select 1 from {in_force('indicators')} i "
                    f"where i.indicator_code = upper(b.indicator_code) and i.scoring <> 'deduction')",
                    _lit("indicator ") + " || upper(b.indicator_code) || "
                    + _lit(" is not scored by deduction (扣分制): a bonus/penalty can only name a deduction indicator; leave indicator_code blank for a free bonus/penalty"))),
        # a non-deduction indicator is the more specific fault than "not assigned"
        _assigned_rule(contract, "bonus_penalty", "occurred_on"),
        _rule("dept_mismatch", "cadre_id", "the cadre does not belong to dept_code on the day of the event",
              _rows(f"b.cadre_id is not null and b.indicator_code is null and not exists (select 1 from {roster_then} c "
                    f"where c.cadre_id = upper(b.cadre_id) and c.dept_code = upper(b.dept_code))",
                    _lit("cadre ") + " || upper(b.cadre_id) || " + _lit(" did not belong to ") + " || upper(b.dept_code) || "
                    + _lit(" on ") + f" || {day} || " + _lit(" (per the roster in force that day)"))),
        _rule("head_event", "cadre_id", "a department head has no individual score; aim the event at the department",
              _rows(f"b.cadre_id is not null and b.indicator_code is null and exists (select 1 from {roster_then} c "
                    f"where c.cadre_id = upper(b.cadre_id) and c.role = 'head')",
                    _lit("cadre ") + " || upper(b.cadre_id) || "
                    + _lit(" is the head of the department: heads have no individual score, so leave cadre_id blank to aim the event at the department"))),
    ]


def _evaluation_rules(contract: Contract) -> list:
    target_type = value(contract, "evaluations", "target_type")
    return [
        _rule("unknown_dept", "target_id", "the rated department is not known",
              _rows(f"{target_type} = 'dept' and " + not_in_force("departments", [("upper(b.target_id)", "dept_code")]),
                    _lit("target_id '") + " || b.target_id || " + _lit("' is not a known department"))),
        _rule("unknown_cadre", "target_id", "the rated cadre is not known",
              _rows(f"{target_type} = 'cadre' and " + not_in_force("cadres", [("upper(b.target_id)", "cadre_id")]),
                    _lit("target_id '") + " || b.target_id || " + _lit("' is not a known cadre"))),
    ]


def _ledger_rules(contract: Contract) -> list:
    status = value(contract, "demolition_ledger", "status")
    rank = "case {s} when 'surveyed' then 1 when 'signed' then 2 when 'cleared' then 3 when 'demolished' then 4 end"
    # Every valid ledger row of the batch's households, plus the batch itself (in_batch). Each rule is one
    # window over it, read back for the batch's rows: no second sort, no join back.
    history = f"""with batch_rows as (
  select b._load_id, b._row_number, {grouping_value(contract, "demolition_ledger", "household_id")} as household_id,
         upper(b.group_id) as group_id,
         upper(b.zone_id) as zone_id, {value(contract, "demolition_ledger", "status_date")} as d, {rank.format(s=status)} as rank
  from b),
h as (
  select household_id, group_id, zone_id, d, rank, _load_id, _row_number, true as in_batch from batch_rows
  where d is not null and rank is not null
  union all
  select v.household_id collate "C", v.group_id, v.zone_id, v.status_date, {rank.format(s='v.status')},
         v._load_id, v._row_number, false
  from ingest.valid_demolition_ledger v
  where v.household_id in (select household_id from batch_rows))"""
    return [
        _rule("zone_mismatch", "zone_id", "zone_id must be the zone of the work group",
              # the group is in force with a zone, and (group, zone) is not its pair (a group has one row in a
              # snapshot): two hashed lookups, not a nested loop over the groups per ledger row
              _rows(f"upper(b.group_id) in (select g.group_id from {in_force('demolition_groups')} g where g.zone_id is not null)"
                    f" and upper(b.zone_id) is not null and (upper(b.group_id), upper(b.zone_id)) not in"
                    f" (select g.group_id, g.zone_id from {in_force('demolition_groups')} g"
                    f" where g.group_id is not null and g.zone_id is not null)",
                    _lit("zone_id ") + " || upper(b.zone_id) || " + _lit(" is not the zone of work group ") + " || upper(b.group_id)")),
        _rule("group_change", "group_id", "a household stays in the group and zone of its first ledger row",
              f"""{history}
select _load_id, _row_number,
       {_lit('household ')} || household_id || {_lit(' belongs to ')} || first_group || '/' || first_zone
         || {_lit(' since its first ledger row; it cannot move to ')} || group_id || '/' || zone_id as _message
from (select h.*, first_value(group_id) over w as first_group, first_value(zone_id) over w as first_zone
      from h window w as (partition by household_id order by d, _load_id, _row_number)) x
where in_batch and (first_group, first_zone) is distinct from (group_id, zone_id)"""),
        _rule("status_back", "status", "a household's status only moves forward",
              f"""{history}
select _load_id, _row_number,
       {_lit('household ')} || household_id || {_lit(' had already reached a later status before ')} || d
         || {_lit(': a status only moves forward (surveyed → signed → cleared → demolished)')} as _message
from (select h.*, max(rank) over (partition by household_id order by d
                                  range between unbounded preceding and interval '1 day' preceding) as before
      from h) x
where in_batch and rank < before"""),
    ]
