"""The contract's cross-row rules: what one row cannot tell alone (other rows of the batch, its history, master
data beyond a plain reference), per kind. Adding a kind with rules of its own: a builder here, named in
``kind_rules``.
"""

from __future__ import annotations

from kaohe.contract import Contract, Kind
from kaohe.validation.in_force import in_force, in_force_on, not_in_force
from kaohe.validation.specs import RuleSpec, rows_query, sql_text
from kaohe.validation.typed_values import grouping_value, value

# A household's ledger status only moves forward, in this order.
STATUS_RANK = {"surveyed": 1, "signed": 2, "cleared": 3, "demolished": 4}


def kind_rules(contract: Contract, kind: Kind) -> list[RuleSpec]:
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


def _assignment_rules(contract: Contract) -> list[RuleSpec]:
    weight = value(contract, "indicator_assignments", "weight")
    year, dept, ind = value(contract, "indicator_assignments", "year"), "upper(b.dept_code)", "upper(b.indicator_code)"
    targets = ["q1_target", "q2_target", "q3_target", "q4_target"]
    needs_targets = (
        f"exists (select 1 from {in_force('indicators')} i where i.indicator_code = {ind} "
        f"and i.scoring = 'ratio' and coalesce(i.source, 'submission') = 'submission')"
    )
    t = [value(contract, "indicator_assignments", c) for c in targets]
    return [
        RuleSpec(
            "missing_value",
            "q1_target",
            "a ratio indicator reported by submission needs all four quarterly targets",
            body=rows_query(
                f"{needs_targets} and ({' or '.join(f'b.{c} is null' for c in targets)})",
                sql_text("indicator ")
                + " || b.indicator_code || "
                + sql_text(" is scored by completion ratio from submissions: q1_target … q4_target are all required"),
            ),
        ),
        RuleSpec(
            "not_monotonic",
            "q1_target",
            "quarterly targets are cumulative and must not decrease",
            body=rows_query(
                f"{needs_targets} and not ({t[0]} <= {t[1]} and {t[1]} <= {t[2]} and {t[2]} <= {t[3]})",
                sql_text("quarterly targets are cumulative from 1 January and must not decrease (q1 ≤ q2 ≤ q3 ≤ q4): ")
                + " || concat_ws(' / ', b.q1_target, b.q2_target, b.q3_target, b.q4_target)",
            ),
        ),
        RuleSpec(
            "weights_sum",
            "weight",
            "the weights of a department in a year must sum to exactly 100",
            body=f"""select _load_id, _row_number, _message from (
  select b._load_id, b._row_number,
         {sql_text("the weights of ")} || {dept} || {sql_text(" in ")} || b.year || {sql_text(" sum to ")}
           || sum({weight}) over w || {sql_text(", not 100: all its rows in this snapshot are set aside and its previous assignments stay in force")} as _message,
         sum({weight}) over w as total
  from b
  window w as (partition by {year}, {dept})) s
where total is distinct from 100""",
        ),
    ]


def _non_decreasing(contract: Contract, kind: str, column: str, partition: str, noun: str) -> list[RuleSpec]:
    v = value(contract, kind, column)
    return [
        RuleSpec(
            "not_monotonic",
            column,
            f"{column} is cumulative and must not decrease from one month to the next",
            body=f"""select _load_id, _row_number, _message from (
  select b._load_id, b._row_number, {v} as v,
         max({v}) over (partition by {partition} order by b.month rows between unbounded preceding and 1 preceding) as before,
         {sql_text(column + " ")} || b.{column} || {sql_text(" for ")} || b.month || {sql_text(" is below an earlier month of the same " + noun + " (cumulative values must not decrease)")} as _message
  from b) s
where v < before""",
        )
    ]


def _milestone_rules(contract: Contract) -> list[RuleSpec]:
    return _non_decreasing(
        contract,
        "project_milestones",
        "planned_cumulative_pct",
        grouping_value(contract, "project_milestones", "project_id"),
        "project",
    )


def _target_rules(contract: Contract) -> list[RuleSpec]:
    group = grouping_value(contract, "demolition_targets", "group_id")
    return _non_decreasing(contract, "demolition_targets", "target_signed", group, "work group") + _non_decreasing(
        contract, "demolition_targets", "target_cleared", group, "work group"
    )


def _roster_rules(contract: Contract) -> list[RuleSpec]:
    role = value(contract, "cadres", "role")
    active = f"coalesce({value(contract, 'cadres', 'active')}, false)"
    set_aside = sql_text(": the roster of this department is set aside and its previous roster stays in force")
    # The message says which of the two faults it is, naming the cadres, so the clerk knows what to correct.
    return [
        RuleSpec(
            "head_conflict",
            "role",
            "a department must have exactly the one active head that departments names",
            body=f"""with heads as (
  select upper(b.dept_code) as dept_code, count(*) as n,
         string_agg(upper(b.cadre_id), ', ' order by upper(b.cadre_id)) as cadre_ids
  from b where {role} = 'head' and {active}
  group by upper(b.dept_code))
select b._load_id, b._row_number,
       {sql_text("department ")} || h.dept_code || case
         when h.n > 1 then {sql_text(" has ")} || h.n || {sql_text(" active heads in this roster (")} || h.cadre_ids
           || {sql_text("); it must have exactly one")}
         else {sql_text(": departments names ")} || coalesce(d.head_cadre_id, {sql_text("no one")})
           || {sql_text(" as its head, but this roster makes ")} || h.cadre_ids || {sql_text(" its active head")}
       end || {set_aside} as _message
from b
join heads h on h.dept_code = upper(b.dept_code)
left join {in_force("departments")} d on d.dept_code = h.dept_code
where h.n > 1 or h.cadre_ids is distinct from d.head_cadre_id""",
        )
    ]


def _progress_rules(contract: Contract) -> list[RuleSpec]:
    return [_assigned_rule(contract, "indicator_progress", "as_of_date")]


def _assigned_rule(contract: Contract, kind: str, date_column: str) -> RuleSpec:
    day = value(contract, kind, date_column)
    return RuleSpec(
        "not_assigned",
        "indicator_code",
        "the indicator is not assigned to the department that year",
        body=rows_query(
            "b.indicator_code is not null and "
            + not_in_force(
                "indicator_assignments",
                [
                    ("upper(b.dept_code)", "dept_code"),
                    ("upper(b.indicator_code)", "indicator_code"),
                    (f"extract(year from {day})::int", "year"),
                ],
            ),
            sql_text("indicator ")
            + " || upper(b.indicator_code) || "
            + sql_text(" is not assigned to ")
            + " || upper(b.dept_code) || "
            + sql_text(" in ")
            + f" || extract(year from {day})::int",
        ),
    )


def _bonus_penalty_rules(contract: Contract) -> list[RuleSpec]:
    day = value(contract, "bonus_penalty", "occurred_on")
    roster_then = in_force_on("cadres", day)
    return [
        RuleSpec(
            "not_deduction",
            "indicator_code",
            "an event naming an indicator must name a deduction-scored (扣分制) indicator",
            body=rows_query(
                f"b.indicator_code is not null and exists (select 1 from {in_force('indicators')} i "
                f"where i.indicator_code = upper(b.indicator_code) and i.scoring <> 'deduction')",
                sql_text("indicator ")
                + " || upper(b.indicator_code) || "
                + sql_text(
                    " is not scored by deduction (扣分制): a bonus/penalty can only name a deduction indicator; leave indicator_code blank for a free bonus/penalty"
                ),
            ),
        ),
        # a non-deduction indicator is the more specific fault than "not assigned"
        _assigned_rule(contract, "bonus_penalty", "occurred_on"),
        RuleSpec(
            "dept_mismatch",
            "cadre_id",
            "the cadre does not belong to dept_code on the day of the event",
            body=rows_query(
                f"b.cadre_id is not null and b.indicator_code is null and not exists (select 1 from {roster_then} c "
                f"where c.cadre_id = upper(b.cadre_id) and c.dept_code = upper(b.dept_code))",
                sql_text("cadre ")
                + " || upper(b.cadre_id) || "
                + sql_text(" did not belong to ")
                + " || upper(b.dept_code) || "
                + sql_text(" on ")
                + f" || {day} || "
                + sql_text(" (per the roster in force that day)"),
            ),
        ),
        RuleSpec(
            "head_event",
            "cadre_id",
            "a department head has no individual score; aim the event at the department",
            body=rows_query(
                f"b.cadre_id is not null and b.indicator_code is null and exists (select 1 from {roster_then} c "
                f"where c.cadre_id = upper(b.cadre_id) and c.role = 'head')",
                sql_text("cadre ")
                + " || upper(b.cadre_id) || "
                + sql_text(
                    " is the head of the department: heads have no individual score, so leave cadre_id blank to aim the event at the department"
                ),
            ),
        ),
    ]


def _evaluation_rules(contract: Contract) -> list[RuleSpec]:
    target_type = value(contract, "evaluations", "target_type")
    return [
        RuleSpec(
            "unknown_dept",
            "target_id",
            "the rated department is not known",
            body=rows_query(
                f"{target_type} = 'dept' and " + not_in_force("departments", [("upper(b.target_id)", "dept_code")]),
                sql_text("target_id '") + " || b.target_id || " + sql_text("' is not a known department"),
            ),
        ),
        RuleSpec(
            "unknown_cadre",
            "target_id",
            "the rated cadre is not known",
            body=rows_query(
                f"{target_type} = 'cadre' and " + not_in_force("cadres", [("upper(b.target_id)", "cadre_id")]),
                sql_text("target_id '") + " || b.target_id || " + sql_text("' is not a known cadre"),
            ),
        ),
    ]


def _ledger_rules(contract: Contract) -> list[RuleSpec]:
    status = value(contract, "demolition_ledger", "status")
    rank = "case {s} " + " ".join(f"when '{k}' then {n}" for k, n in STATUS_RANK.items()) + " end"
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
  select v.household_id collate "C", v.group_id, v.zone_id, v.status_date, {rank.format(s="v.status")},
         v._load_id, v._row_number, false
  from ingest.valid_demolition_ledger v
  where v.household_id in (select household_id from batch_rows))"""
    return [
        RuleSpec(
            "zone_mismatch",
            "zone_id",
            "zone_id must be the zone of the work group",
            # the group is in force with a zone, and (group, zone) is not its pair (a group has one row in a
            # snapshot): two hashed lookups, not a nested loop over the groups per ledger row
            body=rows_query(
                f"upper(b.group_id) in (select g.group_id from {in_force('demolition_groups')} g where g.zone_id is not null)"
                f" and upper(b.zone_id) is not null and (upper(b.group_id), upper(b.zone_id)) not in"
                f" (select g.group_id, g.zone_id from {in_force('demolition_groups')} g"
                f" where g.group_id is not null and g.zone_id is not null)",
                sql_text("zone_id ")
                + " || upper(b.zone_id) || "
                + sql_text(" is not the zone of work group ")
                + " || upper(b.group_id)",
            ),
        ),
        RuleSpec(
            "group_change",
            "group_id",
            "a household stays in the group and zone of its first ledger row",
            body=f"""{history}
select _load_id, _row_number,
       {sql_text("household ")} || household_id || {sql_text(" belongs to ")} || first_group || '/' || first_zone
         || {sql_text(" since its first ledger row; it cannot move to ")} || group_id || '/' || zone_id as _message
from (select h.*, first_value(group_id) over w as first_group, first_value(zone_id) over w as first_zone
      from h window w as (partition by household_id order by d, _load_id, _row_number)) x
where in_batch and (first_group, first_zone) is distinct from (group_id, zone_id)""",
        ),
        RuleSpec(
            "status_back",
            "status",
            "a household's status only moves forward",
            body=f"""{history}
select _load_id, _row_number,
       {sql_text("household ")} || household_id || {sql_text(" had already reached a later status before ")} || d
         || {sql_text(": a status only moves forward (surveyed → signed → cleared → demolished)")} as _message
from (select h.*, max(rank) over (partition by household_id order by d
                                  range between unbounded preceding and interval '1 day' preceding) as before
      from h) x
where in_batch and rank < before""",
        ),
    ]
