"""The suites committed in expectations/ are exactly the suites that run."""

from kaohe.settings import project_root
from kaohe.validation.export import suite_documents


def test_committed_suites_match_the_contract():
    folder = project_root() / "expectations"
    documents = suite_documents()
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(documents)
    stale = [name for name, text in documents.items() if (folder / name).read_text(encoding="utf-8") != text]
    assert stale == [], f"run `python -m kaohe.validation.export`: {stale}"


def test_every_rule_code_of_the_contract_has_a_rule():
    import json

    rules = {e["meta"]["rule"] for text in suite_documents().values() for e in json.loads(text)["expectations"]}
    assert {
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
        "unknown_zone",
        "not_assigned",
        "not_deduction",
        "dept_mismatch",
        "head_event",
        "status_back",
        "group_change",
        "weights_sum",
        "not_monotonic",
        "head_conflict",
        "zone_mismatch",
    } <= rules
