"""The Great Expectations suite of each kind, built from the data contract.

Order matters: a row that breaks several rules is quarantined once, under the
first rule found, so column rules (blank, format, enum) come before ranges,
dates, keys, the sender, master-data references and the cross-row rules.

Every expectation carries ``meta``: ``rule`` (the stable rule code), ``column``
and ``message`` (a template a department clerk can act on; ``{value}`` is the
offending value). Column rules are native GX expectations; rules that need
other rows or master data are ``UnexpectedRowsExpectation`` queries over the
batch returning ``_load_id, _row_number, _message``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import ClassVar

from kaohe.contract import Column, Contract, Kind
from kaohe.validation import reference_sql as ref

CODE_HELP = {
    "dept_code": "a department code (D + 2–4 digits, e.g. D07)",
    "cadre_id": "a cadre id (C + 5–7 digits, e.g. C00412)",
    "indicator_code": "an indicator code (letter + digits, '-', digits, e.g. K1-03)",
    "project_id": "a project id (P + 3–5 digits, e.g. P117)",
    "zone_id": "a zone id (Z + 1–3 digits, e.g. Z4)",
    "group_id": "a work-group id (G + 2–4 digits, e.g. G15)",
    "household_id": "a household id (H + 6–9 digits, e.g. H0004211)",
}
FORMAT_HELP = {
    "date": "a date (YYYY-MM-DD or YYYY/M/D)",
    "month": "a month (YYYY-MM)",
    "quarter": "a quarter (YYYYQn, e.g. 2026Q3)",
    "year": "a year (YYYY)",
    "bool": "true/false, 是/否 or 1/0",
    "number": "a plain number (no thousands separators, no %)",
    "money": "an amount with at most 2 decimals (no thousands separators)",
}
NUMERIC_TYPES = {"number", "count", "money", "nonneg", "pct", "score", "points"}
RANGES = {  # SQL condition on the parsed value v that must hold
    "nonneg": ("v >= 0", "must be 0 or more"),
    "count": ("v >= 0 and v = trunc(v)", "must be a whole number, 0 or more"),
    "money": ("v > 0", "must be more than 0"),
    "pct": ("v between 0 and 100", "must be between 0 and 100"),
    "score": ("v between 0 and 100", "must be between 0 and 100"),
    "points": ("v <> 0", "must not be 0 (positive = bonus, negative = penalty)"),
}
REFERENCE_RULES = {
    "dept_code": ("unknown_dept", "departments", "dept_code", "department"),
    "cadre_id": ("unknown_cadre", "cadres", "cadre_id", "cadre"),
    "indicator_code": ("unknown_indicator", "indicators", "indicator_code", "indicator"),
    "project_id": ("unknown_project", "projects", "project_id", "project"),
    "group_id": ("unknown_group", "demolition_groups", "group_id", "work group"),
    "zone_id": ("unknown_zone", "demolition_groups", "zone_id", "zone"),
}


@dataclass(frozen=True)
class RuleSpec:
    """One expectation of a suite, before it becomes a GX object."""

    rule: str
    column: str | None
    message: str
    regex: str | None = None  # native regex expectation
    not_null: bool = False  # native not-null expectation
    body: str | None = None  # UnexpectedRowsExpectation: SQL over the batch, named `b`
    stage: str = "relations"  # "fields": one row alone; "relations": other rows or master data

    @property
    def query(self) -> str | None:
        """The body with the batch bound to `b`.

        GX substitutes ``{batch}`` as an aliased subquery, or bare when the query
        has a JOIN; the join here pins the bare form so the alias is always ours.
        ``not materialized``: a rule that reads `b` twice (the rows, and the batch's
        date for the master data in force) would otherwise copy the whole batch into
        a work table first (province evaluations: 0.55 s → 0.29 s a rule).
        """
        if self.body is None:
            return None
        batch = "b as not materialized (select batch.* from {batch} as batch inner join (values (1)) as one (x) on true)"
        body = self.body.strip()
        if body.lower().startswith("with "):
            return f"with {batch},\n{body[5:]}"
        return f"with {batch}\n{body}"

    def to_expectation(self, order: int):
        import great_expectations.expectations as gxe

        meta = {"rule": self.rule, "column": self.column, "message": self.message, "order": order}
        if self.not_null:
            return gxe.ExpectColumnValuesToNotBeNull(column=self.column, meta=meta)
        if self.regex:
            return gxe.ExpectColumnValuesToMatchRegex(column=self.column, regex=self.regex, meta=meta)
        return count_only_rows_expectation()(
            unexpected_rows_query=self.query, description=f"{self.rule}: {self.message}", meta=meta
        )


@cache
def count_only_rows_expectation():
    """GX's UnexpectedRowsExpectation, counting the rows only.

    The stock one also fetches up to 200 of them: a second full run of the query — and these queries are
    the suites' costliest (history joins, windows), so it doubled their time. The quarantine reads the
    failing rows with the rule's own query (runner._quarantine); the count is all the check needs.
    """
    import great_expectations.expectations as gxe

    class ExpectQueryToReturnNoRows(gxe.UnexpectedRowsExpectation):
        metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.row_count",)

        def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine=None):
            count = metrics["unexpected_rows_query.row_count"]
            return {"success": count == 0, "result": {"observed_value": count}}

    return ExpectQueryToReturnNoRows


def label(col: Column) -> str:
    return f"{col.zh} ({col.name})" if col.zh else col.name


def enum_regex(contract: Contract, enum: str) -> str:
    spellings = [v for pair in contract.enums[enum].items() for v in pair]
    return "(?i)^(" + "|".join(spellings) + ")$"


def rows_query(where: str, message_sql: str, extra_from: str = "") -> str:
    return f"select b._load_id, b._row_number, {message_sql} as _message from b {extra_from} where {where}"


def sql_text(s: str) -> str:
    """A SQL string literal, braces doubled: GX fills ``{batch}`` with str.format."""
    return "'" + s.replace("'", "''").replace("{", "{{").replace("}", "}}") + "'"


def column_rules(contract: Contract, kind: Kind) -> list[RuleSpec]:
    specs: list[RuleSpec] = []
    for col in kind.columns:
        if not col.optional:
            specs.append(RuleSpec("missing_value", col.name, f"{label(col)} is blank; it is required", not_null=True))
    for col in kind.columns:
        base, arg = col.base_type, col.type_arg
        if base == "code":
            specs.append(RuleSpec("format", col.name, f"{label(col)} '{{value}}' is not {CODE_HELP[arg]}",
                                  regex="(?i)" + contract.codes[arg]))
        elif base in FORMAT_HELP:
            specs.append(RuleSpec("format", col.name, f"{label(col)} '{{value}}' is not {FORMAT_HELP[base]}",
                                  regex="(?i)" + contract.formats[base]))
        elif base in NUMERIC_TYPES:
            fmt = "money" if base == "money" else "number"
            specs.append(RuleSpec("format", col.name, f"{label(col)} '{{value}}' is not {FORMAT_HELP[fmt]}",
                                  regex=contract.formats[fmt]))
    for col in kind.columns:
        if col.base_type == "date":  # matches the pattern but is no calendar day (2026-02-30)
            specs.append(RuleSpec(
                "format", col.name, f"{label(col)} is not a real calendar date",
                body=rows_query(f"b.{col.name} ~ {sql_text(contract.formats['date'])} and {ref.value(contract, kind, col.name)} is null",
                                 sql_text(f"{label(col)} '") + f" || b.{col.name} || " + sql_text("' is not a real calendar date")),
            ))
    for col in kind.columns:
        if col.base_type == "enum":
            choices = " / ".join(f"{v} {zh}" for v, zh in contract.enums[col.type_arg].items())
            specs.append(RuleSpec("unknown_value", col.name, f"{label(col)} '{{value}}' is not one of: {choices}",
                                  regex=enum_regex(contract, col.type_arg)))
    for col in kind.columns:
        if col.base_type in RANGES:
            cond, words = RANGES[col.base_type]
            v = ref.value(contract, kind, col.name)
            specs.append(RuleSpec(
                "out_of_range", col.name, f"{label(col)} {words}",
                body=rows_query(f"{v} is not null and not ({cond.replace('v', v)})",
                                 sql_text(f"{label(col)} ") + f" || b.{col.name} || " + sql_text(f" is out of range: it {words}")),
            ))
    for col in kind.columns:
        if col.base_type == "date":
            d = ref.value(contract, kind, col.name)
            specs.append(RuleSpec(
                "future_date", col.name, f"{label(col)} is after the delivery date",
                body=rows_query(f"{d} > b._business_date",
                                 sql_text(f"{label(col)} ") + f" || {d} || " + sql_text(" is after the folder's date ")
                                 + " || b._business_date || " + sql_text(": a row cannot report the future")),
            ))
    return specs


def key_rule(contract: Contract, kind: Kind) -> RuleSpec:
    key = ", ".join(ref.grouping_value(contract, kind, c) for c in kind.key)
    # Reference snapshots: the key must be unique across all files of the kind in
    # the folder; daily kinds: within one file.
    scope = "b._business_date" if kind.reference else "b._load_id"
    return RuleSpec(
        "duplicate_key", None, f"the key ({', '.join(kind.key)}) appears more than once",
        body=f"""select _load_id, _row_number, _message from (
  select b._load_id, b._row_number,
         {sql_text(f"the key ({', '.join(kind.key)}) = (")} || concat_ws(', ', {', '.join('b.' + c for c in kind.key)}) || {sql_text(") appears more than once in " + ("this folder's files" if kind.reference else "this file") + "; keep one row")} as _message,
         count(*) over (partition by {scope}, {key}) as n
  from b) d where n > 1""",
    )


def sender_rule(kind: Kind) -> list[RuleSpec]:
    if not kind.sender_column:
        return []
    c = kind.sender_column
    return [RuleSpec(
        "sender_mismatch", c, f"{c} differs from the sender in the file name",
        body=rows_query(f"b._sender <> '' and upper(b.{c}) <> b._sender",
                         sql_text(f"{c} '") + f" || b.{c} || " + sql_text("' is not the sender of this file (")
                         + " || b._sender || " + sql_text("); a department sends only its own rows")),
    )]


def reference_rules(contract: Contract, kind: Kind) -> list[RuleSpec]:
    specs = []
    for col in kind.columns:
        code = col.type_arg if col.base_type == "code" else None
        if code not in REFERENCE_RULES or (kind.name, col.name) in ref.SELF_OR_LATER_REFERENCES:
            continue
        rule, ref_kind, ref_col, noun = REFERENCE_RULES[code]
        if ref_kind == kind.name:
            continue
        specs.append(RuleSpec(
            rule, col.name, f"{label(col)} '{{value}}' is not a known {noun}",
            body=rows_query(
                f"b.{col.name} is not null and " + ref.not_in_force(ref_kind, [(f"upper(b.{col.name})", ref_col)]),
                sql_text(f"{label(col)} '") + f" || b.{col.name} || "
                + sql_text(f"' is not a known {noun} in the master data in force on ") + " || b._business_date",
            ),
        ))
    return specs


STAGES = ("fields", "relations")


def build_rule_specs(contract: Contract, kind_name: str, stage: str) -> list[RuleSpec]:
    """The rules of one stage, in the order they are applied.

    Stage "fields" judges each row on its own; stage "relations" (keys, sender,
    master data, cross-row rules) then runs over the rows that passed, so a row
    refused for its own fields never makes a good row look like a duplicate.
    """
    kind = contract.kinds[kind_name]
    if stage == "fields":
        return [replace(spec, stage="fields") for spec in column_rules(contract, kind)]
    return [
        key_rule(contract, kind),
        *sender_rule(kind),
        *reference_rules(contract, kind),
        *ref.kind_rules(contract, kind),
    ]


def build_suite(contract: Contract, kind_name: str, stage: str):
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=f"{kind_name}.{stage}", meta={"kind": kind_name, "stage": stage,
                                                                    "contract": "data-contract.md"})
    for order, spec in enumerate(build_rule_specs(contract, kind_name, stage)):
        suite.add_expectation(spec.to_expectation(order))
    return suite
