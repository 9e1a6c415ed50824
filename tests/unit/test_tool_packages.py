"""The two tools beside the kaohe package: the Superset provisioning (bi/superset/kaohe_superset, run by
provision.py in Superset's own venv) and the benchmark (benchmarks/kaohe_bench, run by run.py)."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from kaohe_bench import children

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "kaohe_superset": (REPO / "bi" / "superset", ["cli"]),
    "kaohe_bench": (REPO / "benchmarks", ["cli", "children"]),
}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_the_tool_packages_import_only_the_standard_library_at_module_level(package):
    """kaohe_superset runs in Superset's venv (SQLAlchemy 1.4), which has no kaohe: it may import kaohe.warehouse
    only when a URL names a passfile. kaohe_bench imports kaohe and the heavy packages only where it measures."""
    folder, entry_points = PACKAGES[package]
    probe = (
        f"import sys; sys.path.insert(0, {str(folder)!r}); "
        + "".join(f"import {package}.{module}; " for module in entry_points)
        + "print(__import__('json').dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-P", "-c", probe], capture_output=True, text=True, check=True)
    foreign = {
        m for m in json.loads(done.stdout) if m not in sys.stdlib_module_names and m not in (package, "__main__")
    }
    assert foreign == set(), f"{package} imports at module level: {sorted(foreign)}"


def test_a_child_is_given_exactly_the_arguments_of_its_measurement(tmp_path):
    """The parent's keyword arguments survive the command line typed, for every kind, and bind to its function."""
    samples = {
        "scale": "district",
        "landing": tmp_path / "landing",
        "warm_landing": tmp_path / "warm",
        "day": date(2026, 9, 30),
        "start": date(2025, 10, 5),
        "keep": True,
    }
    assert set(children.MEASUREMENTS) == {"scale", "history", "memory"}
    for kind, measure in children.MEASUREMENTS.items():
        options = {name: samples[name] for name in inspect.signature(measure).parameters}
        parsed_kind, home, parsed = children.parse_child_argv(children.child_argv(kind, tmp_path, **options))
        assert (parsed_kind, home, parsed) == (kind, tmp_path, options)
        inspect.signature(measure).bind(**parsed)
    # an option left False is left out, and the child's default applies
    _, _, parsed = children.parse_child_argv(
        children.child_argv("history", tmp_path, landing=tmp_path, start=date(2025, 10, 5), keep=False)
    )
    assert parsed["keep"] is False
