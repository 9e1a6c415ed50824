"""Building the marts with dbt, in process.

One ``dbtRunner`` serves every date of a range run: dbt's imports are paid once
and the parsed manifest is reused (≈ 0.7 s an invocation against ≈ 4 s for a
CLI call), also from one date to the next (``_parsed_project``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import cache

from kaohe.contract import load_contract
from kaohe.schema import ensure_schema
from kaohe.settings import dbt_project_dir, state_dir
from kaohe.validation.runner import ensure_valid_views
from kaohe.warehouse import connect, dbt_env, warehouse_url


class TransformError(RuntimeError):
    pass


@dataclass
class BuildResult:
    success: bool
    nodes: int
    failures: list[str] = field(default_factory=list)


@cache
def _runner():
    from dbt.cli.main import dbtRunner

    return dbtRunner()


def _invoke(args: list[str], url: str, business_date: str | None = None):
    os.environ.update(dbt_env(url))
    project = str(dbt_project_dir())
    common = [
        "--project-dir",
        project,
        "--profiles-dir",
        project,
        # one target per project folder: partial parsing never mixes two projects' manifests
        "--target-path",
        str(state_dir() / "dbt_target" / hashlib.sha1(project.encode()).hexdigest()[:10]),
        "--log-path",
        str(state_dir() / "dbt_logs"),
        "--quiet",
    ]
    if business_date:
        common += ["--vars", f"{{business_date: '{business_date}'}}"]
        manifest = _parsed_project(project, url, common)
        if manifest is not None:
            from dbt.cli.main import dbtRunner

            return dbtRunner(manifest=manifest).invoke([*args, *common])
    return _runner().invoke([*args, *common])


# The parsed project of the last dated invocation, by what its parse depends on. dbt parses the whole project
# again whenever --vars change — every new business date — or the connection does (≈ 2 s of CPU at district,
# the largest fixed cost of a day's build: docs/performance.md). The parse does not depend on the date's value:
# models read it through var('business_date') when dbt compiles each node at run time, with the invocation's
# vars; only whether it is set changes the graph (monitoring_business_date() refs the ledger without it), and
# every dated invocation sets it. So one parse serves every date of a range run on one warehouse; an edited
# project file or another warehouse parses again.
_parsed: dict[tuple, object] = {}


def _parsed_project(project: str, url: str, common: list[str]):
    env = dbt_env(url)
    key = (
        project,
        tuple(env[k] for k in ("KAOHE_PG_HOST", "KAOHE_PG_PORT", "KAOHE_PG_USER", "KAOHE_PG_DATABASE")),
        _project_files(project),
    )
    if key not in _parsed:
        parsed = _runner().invoke(["parse", *common])
        if not parsed.success:
            return None  # the build then reports the parse error itself
        _parsed.clear()  # one manifest held at a time
        _parsed[key] = parsed.result
    return _parsed[key]


def _project_files(project: str) -> tuple:
    """Every source file of the project with its size and modification time (what dbt's partial parsing
    compares, by content): a few ms for the project's ≈ 250 files."""
    root = os.path.abspath(project)
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in ("target", "logs", "dbt_packages")]
        for name in files:
            st = os.stat(os.path.join(folder, name))
            found.append((os.path.relpath(os.path.join(folder, name), root), st.st_size, st.st_mtime_ns))
    return tuple(sorted(found))


# The models with one set of rows per business date run, each computed as of its own date and kept
# ("a day's rows use the data delivered up to that day", rule 5): daily_warnings and the like.
PER_DATE = "tag:per_business_date"
# Data tests that check the project's own code rather than the day's data (a period's status is computed
# by the same macro its test re-derives; a staged key twice would be a validator bug, since validation
# quarantines duplicate keys): like the unit tests, the suite runs them (tests/integration/
# test_dbt_data_tests.py), a daily build does not pay ≈ 60 test nodes for them.
CODE_CHECKS = "tag:code_invariant"


def build(
    url: str | None = None,
    business_date: str | None = None,
    select: str | None = None,
    unit_tests: bool = False,
    exclude: str | None = None,
) -> BuildResult:
    """``dbt build`` (seeds, models, data tests) against the warehouse.

    dbt unit tests and the code-invariant data tests (CODE_CHECKS) check the models' code, not the
    day's data: the test suite runs them (``unit_tests=True``, ``data_test``), the daily run does not
    pay for them.
    """
    url = url or warehouse_url()
    _prepare(url)
    return _build(url, business_date, select, exclude, unit_tests)


def build_date(business_date: str, url: str | None = None) -> BuildResult:
    """The build of a daily run: the warehouse as of its high-water mark, never back in time.

    A new date (or the high-water mark itself) is one ``dbt build`` as of that date, as it always was.
    A past date d (a rerun: a resubmission, a backfill) is two: the per-date models and what they read,
    as of d (d's rows of daily_warnings and the like, from the data delivered up to d), then everything
    else as of the high-water mark. Marts never see d: a rerun killed between the two leaves only
    intermediate tables as of d, and the next run rebuilds them.
    """
    url = url or warehouse_url()
    mark = _prepare(url)
    if mark is None or business_date >= mark.isoformat():
        return _build(url, business_date)
    own_rows = _build(url, business_date, select="+" + PER_DATE)
    if not own_rows.success:
        return own_rows
    rest = _build(url, mark.isoformat(), exclude=PER_DATE)
    return BuildResult(rest.success, own_rows.nodes + rest.nodes, rest.failures)


def _prepare(url: str):
    """What dbt reads besides its own models (the schema, the typed views); returns the high-water mark."""
    from kaohe.payroll import high_water_mark

    with connect(url) as conn, conn.transaction():
        ensure_schema(conn)
        ensure_valid_views(conn, load_contract())
        return high_water_mark(conn)


def _build(
    url: str, business_date: str | None, select: str | None = None, exclude: str | None = None, unit_tests: bool = False
) -> BuildResult:
    args = ["build"] + (["--select", select] if select else [])
    excluded = ([exclude] if exclude else []) + ([] if unit_tests else ["test_type:unit", CODE_CHECKS])
    if excluded:
        args += ["--exclude", *excluded]
    return _result(_invoke(args, url, business_date))


def unit_test(url: str | None = None) -> BuildResult:
    """``dbt test --select test_type:unit``: the rulebook's edge cases, beside each model.

    Unit tests read their inputs' column types from the built relations, so the
    project must have been built once on this warehouse (empty is fine).
    """
    return _result(_invoke(["test", "--select", "test_type:unit"], url or warehouse_url()))


def data_test(select: str, url: str | None = None) -> BuildResult:
    """``dbt test`` of the selected nodes' data tests over what is built now (nothing is rebuilt first)."""
    return _result(_invoke(["test", "--select", select, "--exclude", "test_type:unit"], url or warehouse_url()))


def _result(outcome) -> BuildResult:
    failures = []
    nodes = 0
    if outcome.result is not None:
        for r in outcome.result:
            nodes += 1
            if str(r.status) in ("error", "fail"):
                failures.append(f"{r.node.unique_id}: {r.message}")
    if outcome.exception is not None:
        failures.append(f"dbt raised: {outcome.exception}")
    if not outcome.success and not failures:
        failures.append("dbt build failed (see .kaohe/dbt_logs/dbt.log)")
    return BuildResult(success=bool(outcome.success) and not failures, nodes=nodes, failures=failures)
