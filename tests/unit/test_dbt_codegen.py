"""The dbt files generated from the contract (the `ingest` source, the staging models) are the ones committed."""

from dataclasses import replace

from kaohe.contract import Column, Kind, load_contract
from kaohe.dbt_codegen import STAGING, documents
from kaohe.settings import project_root


def test_committed_staging_files_match_the_contract():
    folder = project_root() / "dbt_project"
    generated = documents()
    committed_models = {f"{STAGING}/{p.name}" for p in (folder / STAGING).glob("stg_ingest__*.sql")}
    assert committed_models == {p for p in generated if p.endswith(".sql")}
    stale = [path for path, text in generated.items() if (folder / path).read_text(encoding="utf-8") != text]
    assert stale == [], f"run `python -m kaohe.dbt_codegen`: {stale}"


def test_a_new_kind_needs_only_its_contract_entry():
    contract = load_contract()
    villages = Kind(
        name="villages",
        zh="村",
        reference=True,
        key=("village_id",),
        columns=(
            Column("village_id", "text"),
            Column("zone_id", "code:zone_id", zh="片区"),
            Column("households", "count", optional=True),
        ),
    )
    docs = documents(replace(contract, kinds={**contract.kinds, "villages": villages}))
    model = docs[f"{STAGING}/stg_ingest__villages.sql"]
    assert "staging_new_loads('villages')" in model
    assert (
        "        village_id,\n        zone_id,\n        households,\n        {{ staging_lineage('snapshot_date') }}"
        in model
    )
    sources = docs[f"{STAGING}/_ingest__sources.yml"]
    assert '      - name: valid_villages\n        description: "村 (reference snapshot); key village_id"' in sources
    assert '          - name: households\n            description: "whole number (optional)"' in sources
    tests = docs[f"{STAGING}/_ingest__models.yml"]
    assert (
        "  - name: stg_ingest__villages\n" in tests
        and "columns: [village_id, snapshot_date]\n    columns:\n      - name: village_id\n"
        "        data_tests: [not_null]\n"
        in tests
    )
    daily = documents(replace(contract, kinds={"villages": replace(villages, reference=False)}))
    assert "{{ staging_lineage('delivered_on') }}" in daily[f"{STAGING}/stg_ingest__villages.sql"]
    # a daily kind's key is unique within one delivery only
    assert "columns: [village_id, load_id]" in daily[f"{STAGING}/_ingest__models.yml"]
