"""dbt's unit tests (the rulebook's edge cases, beside each model) on a real PostgreSQL."""

import pytest

from kaohe.transform import build

pytestmark = pytest.mark.integration


def test_every_dbt_unit_test_passes(warehouse_url):
    # Unit tests read their inputs' column types from the built relations:
    # build the (empty) project first.
    assert build(warehouse_url, business_date="2026-09-30").success
    result = build(warehouse_url, business_date="2026-09-30", select="test_type:unit", unit_tests=True)
    assert result.failures == []
    assert result.success
    assert result.nodes >= 25, "the unit tests were found and run"
