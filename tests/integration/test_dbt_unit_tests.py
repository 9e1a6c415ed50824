"""dbt's unit tests (the rulebook's edge cases, beside each model) on a real PostgreSQL."""

import pytest
from kaohe.transform import build, unit_test

pytestmark = pytest.mark.integration


def test_every_dbt_unit_test_passes(warehouse_url):
    assert build(warehouse_url, business_date="2026-09-30").success  # the (empty) relations the fixtures type against
    result = unit_test(warehouse_url)
    assert result.failures == []
    assert result.success
    assert result.nodes >= 25, "the unit tests were found and run"
