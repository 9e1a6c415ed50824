"""Write the GX suites into ``expectations/`` for review: ``python -m kaohe.validation.export``.

The suites that run are built from the data contract at run time; these files
are their exact JSON (GX's own format), so a reviewer reads every rule, and a
test fails when the committed files drift from what runs.
"""

from __future__ import annotations

import json
import sys

from kaohe.contract import load_contract
from kaohe.settings import project_root
from kaohe.validation.suites import STAGES, build_suite


def _strip_ids(value):
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items() if k not in ("id", "notes", "rendered_content")}
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    return value


def suite_documents() -> dict[str, str]:
    import great_expectations as gx

    gx.get_context(mode="ephemeral")  # building expectations needs an active context
    contract = load_contract()
    docs = {}
    for kind in contract.kinds:
        for stage in STAGES:
            suite = build_suite(contract, kind, stage)
            docs[f"{kind}.{stage}.json"] = (
                json.dumps(_strip_ids(suite.to_json_dict()), ensure_ascii=False, indent=2) + "\n"
            )
    return docs


def main() -> int:
    folder = project_root() / "expectations"
    folder.mkdir(exist_ok=True)
    for name, text in suite_documents().items():
        (folder / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(suite_documents())} suites to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
