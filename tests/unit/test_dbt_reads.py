"""How the dbt models read what dbt does not build: sources only in staging, master data only through the one
definition of "in force" (macros/in_force.sql). Static checks over the project's files."""

from __future__ import annotations

import re
from pathlib import Path

DBT = Path(__file__).resolve().parents[2] / "dbt_project"

# the staging macros (staging_new_loads, staging_drop_replaced) run inside the staging models
STAGING_MACROS = {"staging_incremental.sql"}


def _files(*patterns: str) -> list[Path]:
    return sorted(p for pattern in patterns for p in DBT.glob(pattern))


def sources_read_outside_staging(files: list[Path], root: Path = DBT) -> list[str]:
    """`source(` in a model outside models/staging or in a macro the staging models do not own."""
    found = []
    for path in files:
        rel = path.relative_to(root)
        if rel.parts[:2] == ("models", "staging") or rel.name in STAGING_MACROS or rel.name.startswith("_exposures"):
            continue
        found += [
            f"{rel}:{n}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "source(" in line
        ]
    return found


# an as-of lookup written by hand: the latest snapshot date on or before a day, or an interval test inline
HAND_WRITTEN_IN_FORCE = re.compile(r"max\(\s*(\w+\.)?snapshot_date\s*\)|in_force_from\s*<=|<\s*(\w+\.)?in_force_until")


def in_force_written_by_hand(files: list[Path], root: Path = DBT) -> list[str]:
    found = []
    for path in files:
        if path.name == "in_force.sql":
            continue
        found += [
            f"{path.relative_to(root)}:{n}"
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if HAND_WRITTEN_IN_FORCE.search(line)
        ]
    return found


def test_sources_are_read_in_staging_only():
    assert sources_read_outside_staging(_files("models/**/*.sql", "models/**/*.yml", "macros/*.sql")) == []


def test_every_model_reads_master_data_through_the_one_definition_of_in_force():
    assert in_force_written_by_hand(_files("models/**/*.sql", "macros/*.sql")) == []


def test_the_checks_find_what_they_look_for(tmp_path):
    # the same checks over files that break them (a check that cannot fail proves nothing)
    mart = tmp_path / "models" / "marts" / "m.sql"
    mart.parent.mkdir(parents=True)
    mart.write_text(
        "select * from {{ source('quarantine', 'file_loads') }}\n"
        "where x.snapshot_date = (select max(snapshot_date) from s)\n",
        encoding="utf-8",
    )
    assert sources_read_outside_staging([mart], root=tmp_path) == ["models/marts/m.sql:1"]
    assert in_force_written_by_hand([mart], root=tmp_path) == ["models/marts/m.sql:2"]
