"""Typed values: what a column's text means to the warehouse, as SQL.

``ingest.valid_<kind>`` is the typed view of every validated, non-quarantined
row of a kind, tagged with its folder's date: codes upper-cased, enums in
their English value, dates, numbers and booleans parsed. The validation rules
read master data through it; the dbt sources read it too, so "what does this
text mean" is answered once, here, from the contract (the parse functions are
``kaohe.schema``'s).
"""

from __future__ import annotations

from kaohe.contract import Column, Contract, Kind
from kaohe.validation.specs import sql_text, undouble_braces

# The contract's column types (contract.yml's header) by how their value is read.
NUMERIC_TYPES = frozenset({"number", "count", "money", "nonneg", "pct", "score", "points"})
# Types whose value needs parsing (a function call per row): the batch carries them parsed.
PARSED_TYPES = frozenset({"date", "enum", "bool", "year"}) | NUMERIC_TYPES
# Types whose value is text (codes and quarters upper-cased, enums in their English value).
TEXT_TYPES = frozenset({"code", "quarter", "enum", "month", "text"})

# A typed view's column in the dbt docs (the `ingest` source), by type.
TYPE_DESCRIPTIONS = {
    "code": "code, upper-cased",
    "enum": "English enum value",
    "date": "date",
    "month": "month YYYY-MM",
    "quarter": "quarter YYYYQn",
    "year": "year",
    "bool": "boolean",
    "text": "text as received",
    "number": "decimal",
    "count": "whole number",
    "money": "yuan",
    "nonneg": "decimal ≥ 0",
    "pct": "percent 0–100",
    "score": "score 0–100",
    "points": "points, non-zero",
}


def enum_case(contract: Contract, enum: str, expr: str) -> str:
    whens = " ".join(f"when {sql_text(k)} then {sql_text(v)}" for k, v in contract.enum_values(enum).items())
    return f"(case lower({expr}) {whens} end)"


def normalised(contract: Contract, col: Column, alias: str) -> str:
    """SQL for the column's value as the warehouse understands it (braces doubled, for GX)."""
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
    if base in NUMERIC_TYPES:
        return f"ingest.to_num({expr})"
    return expr


def parsed_columns_sql(contract: Contract, kind: Kind, alias: str) -> str:
    """The select list of a validation batch's parsed copies (``_v_<column>``), computed once when the batch is
    built: the rules read a value several times each (format, range, dates, keys, history), and parsing it
    per rule was most of their cost. Plain SQL (it does not go through GX)."""
    items = [f"{normalised(contract, c, alias)} as _v_{c.name}" for c in kind.columns if c.base_type in PARSED_TYPES]
    return undouble_braces(", ".join(items))


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
    # views are created outside GX: plain SQL
    return undouble_braces(f"""create or replace view ingest.valid_{kind.name} as
select f.business_date as _business_date, r._load_id, r._row_number, f.file as _file, f.sender as _sender,
       {cols},
       -- last: CREATE OR REPLACE VIEW may only add columns at the end (warehouses of earlier versions)
       f.district_code as _district_code
from raw.{kind.name} r
join quarantine.file_loads f on f.load_id = r._load_id and f.status = 'loaded'
where not exists (select 1 from quarantine.rejected_rows q where q.load_id = r._load_id and q.row_number = r._row_number)""")


def describe(col: Column) -> str:
    """A typed view's column in words, for the dbt docs: "code, upper-cased [部门代码] (optional)"."""
    words = TYPE_DESCRIPTIONS[col.base_type]
    if col.zh:
        words += f" [{col.zh}]"
    return words + (" (optional)" if col.optional else "")
