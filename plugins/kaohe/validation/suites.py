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

from dataclasses import replace

from kaohe.contract import Column, Contract, Kind
from kaohe.validation.cross_row import kind_rules
from kaohe.validation.in_force import not_in_force
from kaohe.validation.specs import RuleSpec, rows_query, sql_text
from kaohe.validation.typed_values import NUMERIC_TYPES, grouping_value, value

# What a clerk reads when a value of a format does not match (a code's help is the contract's).
FORMAT_HELP = {
    "date": "a date (YYYY-MM-DD or YYYY/M/D)",
    "month": "a month (YYYY-MM)",
    "quarter": "a quarter (YYYYQn, e.g. 2026Q3)",
    "year": "a year (YYYY)",
    "bool": "true/false, 是/否 or 1/0",
    "number": "a plain number (no thousands separators, no %)",
    "money": "an amount with at most 2 decimals (no thousands separators)",
}
RANGES = {  # SQL condition on the parsed value v that must hold
    "nonneg": ("v >= 0", "must be 0 or more"),
    "count": ("v >= 0 and v = trunc(v)", "must be a whole number, 0 or more"),
    "money": ("v > 0", "must be more than 0"),
    "pct": ("v between 0 and 100", "must be between 0 and 100"),
    "score": ("v between 0 and 100", "must be between 0 and 100"),
    "points": ("v <> 0", "must not be 0 (positive = bonus, negative = penalty)"),
}


def label(col: Column) -> str:
    return f"{col.zh} ({col.name})" if col.zh else col.name


def enum_regex(contract: Contract, enum: str) -> str:
    spellings = [v for pair in contract.enums[enum].items() for v in pair]
    return "(?i)^(" + "|".join(spellings) + ")$"


def column_rules(contract: Contract, kind: Kind) -> list[RuleSpec]:
    specs: list[RuleSpec] = []
    for col in kind.columns:
        if not col.optional:
            specs.append(RuleSpec("missing_value", col.name, f"{label(col)} is blank; it is required", not_null=True))
    for col in kind.columns:
        base, arg = col.base_type, col.type_arg
        if base == "code":
            specs.append(
                RuleSpec(
                    "format",
                    col.name,
                    f"{label(col)} '{{value}}' is not {contract.code_types[arg].help}",
                    regex="(?i)" + contract.code_types[arg].pattern,
                )
            )
        elif base in FORMAT_HELP:
            specs.append(
                RuleSpec(
                    "format",
                    col.name,
                    f"{label(col)} '{{value}}' is not {FORMAT_HELP[base]}",
                    regex="(?i)" + contract.formats[base],
                )
            )
        elif base in NUMERIC_TYPES:
            fmt = "money" if base == "money" else "number"
            specs.append(
                RuleSpec(
                    "format",
                    col.name,
                    f"{label(col)} '{{value}}' is not {FORMAT_HELP[fmt]}",
                    regex=contract.formats[fmt],
                )
            )
    for col in kind.columns:
        if col.base_type == "date":  # matches the pattern but is no calendar day (2026-02-30)
            specs.append(
                RuleSpec(
                    "format",
                    col.name,
                    f"{label(col)} is not a real calendar date",
                    body=rows_query(
                        f"b.{col.name} ~ {sql_text(contract.formats['date'])} and {value(contract, kind, col.name)} is null",
                        sql_text(f"{label(col)} '")
                        + f" || b.{col.name} || "
                        + sql_text("' is not a real calendar date"),
                    ),
                )
            )
    for col in kind.columns:
        if col.base_type == "enum":
            choices = " / ".join(f"{v} {zh}" for v, zh in contract.enums[col.type_arg].items())
            specs.append(
                RuleSpec(
                    "unknown_value",
                    col.name,
                    f"{label(col)} '{{value}}' is not one of: {choices}",
                    regex=enum_regex(contract, col.type_arg),
                )
            )
    for col in kind.columns:
        if col.base_type in RANGES:
            cond, words = RANGES[col.base_type]
            v = value(contract, kind, col.name)
            specs.append(
                RuleSpec(
                    "out_of_range",
                    col.name,
                    f"{label(col)} {words}",
                    body=rows_query(
                        f"{v} is not null and not ({cond.replace('v', v)})",
                        sql_text(f"{label(col)} ")
                        + f" || b.{col.name} || "
                        + sql_text(f" is out of range: it {words}"),
                    ),
                )
            )
    for col in kind.columns:
        if col.base_type == "date":
            d = value(contract, kind, col.name)
            specs.append(
                RuleSpec(
                    "future_date",
                    col.name,
                    f"{label(col)} is after the delivery date",
                    body=rows_query(
                        f"{d} > b._business_date",
                        sql_text(f"{label(col)} ")
                        + f" || {d} || "
                        + sql_text(" is after the folder's date ")
                        + " || b._business_date || "
                        + sql_text(": a row cannot report the future"),
                    ),
                )
            )
    return specs


def key_rule(contract: Contract, kind: Kind) -> RuleSpec:
    key = ", ".join(grouping_value(contract, kind, c) for c in kind.key)
    # Reference snapshots: the key must be unique across all files of the kind in
    # the folder; daily kinds: within one file.
    scope = "b._business_date" if kind.reference else "b._load_id"
    return RuleSpec(
        "duplicate_key",
        None,
        f"the key ({', '.join(kind.key)}) appears more than once",
        body=f"""select _load_id, _row_number, _message from (
  select b._load_id, b._row_number,
         {sql_text(f"the key ({', '.join(kind.key)}) = (")} || concat_ws(', ', {", ".join("b." + c for c in kind.key)}) || {sql_text(") appears more than once in " + ("this folder's files" if kind.reference else "this file") + "; keep one row")} as _message,
         count(*) over (partition by {scope}, {key}) as n
  from b) d where n > 1""",
    )


def sender_rule(kind: Kind) -> list[RuleSpec]:
    if not kind.sender_column:
        return []
    c = kind.sender_column
    return [
        RuleSpec(
            "sender_mismatch",
            c,
            f"{c} differs from the sender in the file name",
            body=rows_query(
                f"b._sender <> '' and upper(b.{c}) <> b._sender",
                sql_text(f"{c} '")
                + f" || b.{c} || "
                + sql_text("' is not the sender of this file (")
                + " || b._sender || "
                + sql_text("); a department sends only its own rows"),
            ),
        )
    ]


def reference_rules(contract: Contract, kind: Kind) -> list[RuleSpec]:
    """Each code column that names master data (the contract's ``references``) must name a row in force.

    Only references to a kind validated before this one (the contract's order) are checked here: a kind's
    codes naming its own snapshot (``demolition_groups.zone_id``) define it, and a later kind is not validated
    yet (``departments.head_cadre_id`` names a cadre of the roster validated after it; the roster's
    ``head_conflict`` checks that pair)."""
    earlier = list(contract.kinds)[: list(contract.kinds).index(kind.name)]
    specs = []
    for col in kind.columns:
        code = contract.code_types.get(col.type_arg) if col.base_type == "code" else None
        ref = code.references if code else None
        if ref is None or ref.kind not in earlier:
            continue
        specs.append(
            RuleSpec(
                ref.rule,
                col.name,
                f"{label(col)} '{{value}}' is not a known {ref.noun}",
                body=rows_query(
                    f"b.{col.name} is not null and " + not_in_force(ref.kind, [(f"upper(b.{col.name})", ref.column)]),
                    sql_text(f"{label(col)} '")
                    + f" || b.{col.name} || "
                    + sql_text(f"' is not a known {ref.noun} in the master data in force on ")
                    + " || b._business_date",
                ),
            )
        )
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
        *kind_rules(contract, kind),
    ]


def build_suite(contract: Contract, kind_name: str, stage: str):
    import great_expectations as gx

    suite = gx.ExpectationSuite(
        name=f"{kind_name}.{stage}", meta={"kind": kind_name, "stage": stage, "contract": "data-contract.md"}
    )
    for order, spec in enumerate(build_rule_specs(contract, kind_name, stage)):
        suite.add_expectation(spec.to_expectation(order))
    return suite
