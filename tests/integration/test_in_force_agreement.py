"""The two definitions of "in force" agree on the demo: Python's (kaohe.validation.in_force, which validation
uses before dbt runs, over ingest.valid_<kind>) and dbt's (the validity intervals of
int_assessment__<kind>_in_force, macros/in_force.sql, which every model reads master data through)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kaohe.contract import load_contract
from kaohe.validation.in_force import PARTITION_FALLBACK, in_force_on
from kaohe.warehouse import connect

from .conftest import END, START

pytestmark = pytest.mark.integration

# the interval model of a reference kind, where its name is not the kind's
INTERVAL_MODEL = {"cadres": "roster", "indicator_assignments": "assignments"}


def test_python_and_dbt_hold_the_same_keys_in_force_on_each_day(district):
    _, url, _ = district
    contract = load_contract()
    days = [START + timedelta(n) for n in range((END - START).days + 1)]
    with connect(url) as conn:
        for kind in contract.reference_kinds:
            key = ", ".join(f"m.{c}" for c in contract.kinds[kind].key)
            model = f"intermediate.int_assessment__{INTERVAL_MODEL.get(kind, kind)}_in_force"
            for day in days:
                t = f"date '{day.isoformat()}'"
                python = set(conn.execute(f"select {key}, m._business_date from {in_force_on(kind, t)} m").fetchall())
                dbt = set(
                    conn.execute(
                        f"select {key}, m.snapshot_date from {model} m "
                        f"where m.in_force_from <= {t} and {t} < m.in_force_until"
                    ).fetchall()
                )
                assert python, f"nothing of {kind} in force on {day}: the comparison would prove nothing"
                assert python == dbt, (kind, day, sorted(python - dbt)[:5], sorted(dbt - python)[:5])
        # the partition fallback was compared too: the district's bad rows set a partition aside
        # (a department-year's assignments, weights_sum), whose previous rows stay in force
        set_aside = conn.execute(
            "select count(*) from quarantine.rejected_rows where (kind, rule) in ("
            + ", ".join(f"('{k}', '{rule}')" for k, (_, rule) in PARTITION_FALLBACK.items())
            + ")"
        ).fetchone()[0]
    assert set_aside > 0
