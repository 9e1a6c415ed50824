"""The dbt files of the landing kinds, generated from the data contract: ``python -m kaohe.dbt_codegen``.

- ``models/staging/_ingest__sources.yml``: the typed views ``ingest.valid_<kind>`` as the ``ingest`` source,
  a table per kind, its columns described from their contract types;
- ``models/staging/stg_ingest__<kind>.sql``: a kind's staging model — its columns in contract order, then
  the lineage tail (macro ``staging_lineage``), over the loads not yet staged (``staging_new_loads``);
- ``models/staging/_ingest__models.yml``: each staging model's grain (``staging_grain``) tested unique, its
  key columns not null.

The files stay checked in (dbt and reviewers read them); ``tests/unit/test_dbt_codegen.py`` fails when they
differ from what the contract generates, as ``kaohe.validation.export`` does for ``expectations/``.
"""

from __future__ import annotations

import json
import sys

from kaohe.contract import Contract, Kind, load_contract
from kaohe.settings import project_root
from kaohe.validation.typed_values import describe

STAGING = "models/staging"
GENERATED = (
    "Generated from plugins/kaohe/contract.yml by `python -m kaohe.dbt_codegen`: edit the contract, not this file."
)

SOURCE_HEAD = f"""# {GENERATED}
version: 2

sources:
  - name: ingest
    description: >
      Validated rows of every landing file kind: the typed views ingest.valid_<kind>
      that kaohe's loader maintains from the data contract (codes upper-cased, enums in
      English, dates/numbers parsed). Quarantined rows and superseded deliveries are
      not in them. _business_date is the landing folder's date.
    schema: ingest
    tables:
"""
# The typed view's own columns (kaohe.validation.typed_values.valid_view_sql) that the staging models read.
LINEAGE_COLUMNS = {
    "_business_date": "the landing folder's date (business date of delivery)",
    "_load_id": "the delivery (quarantine.file_loads.load_id)",
    "_row_number": "spreadsheet row number in the file (header = 1)",
}


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def source_table_yml(kind: Kind) -> str:
    shape = "reference snapshot" if kind.reference else "daily"
    about = f"{kind.zh} ({shape}); key {', '.join(kind.key)}"
    lines = [f"      - name: valid_{kind.name}", f"        description: {_quoted(about)}", "        columns:"]
    for name, words in LINEAGE_COLUMNS.items():
        lines += [f"          - name: {name}", f"            description: {words}"]
    for col in kind.columns:
        lines += [f"          - name: {col.name}", f"            description: {_quoted(describe(col))}"]
    return "\n".join(lines) + "\n"


def staging_model_sql(kind: Kind) -> str:
    # a snapshot's rows are in force from its folder's date; a daily row was delivered on it
    delivery_date = "snapshot_date" if kind.reference else "delivered_on"
    columns = "".join(f"        {name},\n" for name in kind.column_names)
    return f"""-- {GENERATED}
with source as (
    select * from {{{{ staging_new_loads('{kind.name}') }}}}
),

renamed as (
    select
{columns}        {{{{ staging_lineage('{delivery_date}') }}}}
    from source
)

select * from renamed
"""


MODELS_HEAD = f"""# {GENERATED}
version: 2

models:
"""


def staging_grain(kind: Kind) -> list[str]:
    """The columns that make a staged row unique: the kind's key within its delivery. The loader quarantines
    every occurrence of a key twice in one file (a reference kind: in one folder's snapshot, which has one
    delivery in force per date), and the staging model keeps the loads in force only."""
    return [*kind.key, "snapshot_date" if kind.reference else "load_id"]


def staging_model_yml(kind: Kind) -> str:
    grain = staging_grain(kind)
    shape = "one row per snapshot row in force" if kind.reference else "one row per delivered row in force"
    about = f"{kind.zh}: {shape}; unique on {', '.join(grain)}"
    lines = [
        f"  - name: stg_ingest__{kind.name}",
        f"    description: {_quoted(about)}",
        "    data_tests:",
        "      - unique_combination:",
        "          arguments:",
        f"            columns: [{', '.join(grain)}]",
        "    columns:",
    ]
    for name in kind.key:  # the delivery columns come from the loader's ledger, never null
        lines += [f"      - name: {name}", "        data_tests: [not_null]"]
    return "\n".join(lines) + "\n"


def documents(contract: Contract | None = None) -> dict[str, str]:
    """Path under dbt_project/ -> the text the contract generates there."""
    contract = contract or load_contract()
    kinds = list(contract.kinds.values())
    docs = {f"{STAGING}/_ingest__sources.yml": SOURCE_HEAD + "".join(source_table_yml(k) for k in kinds)}
    docs[f"{STAGING}/_ingest__models.yml"] = MODELS_HEAD + "\n".join(staging_model_yml(k) for k in kinds)
    docs |= {f"{STAGING}/stg_ingest__{k.name}.sql": staging_model_sql(k) for k in kinds}
    return docs


def main() -> int:
    folder = project_root() / "dbt_project"
    docs = documents()
    # a kind gone from the contract takes its staging model with it
    for stale in (folder / STAGING).glob("stg_ingest__*.sql"):
        if f"{STAGING}/{stale.name}" not in docs:
            stale.unlink()
    for path, text in docs.items():
        (folder / path).write_text(text, encoding="utf-8")
    print(f"wrote {len(docs)} files under {folder / STAGING}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
