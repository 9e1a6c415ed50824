"""Settings: one object reads every KAOHE_* variable (kaohe.settings), and one table documents them all
(docs/operations.md, Configure) — checked here so neither code nor docs can drift."""

from __future__ import annotations

import ast
import re
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from kaohe import settings as settings_module
from kaohe.settings import SETTINGS_FIELDS, VARIABLES, SettingsError, settings, unless_set

REPO = Path(__file__).resolve().parents[2]
SCANNED = [REPO / "plugins" / "kaohe", REPO / "dags"]
# kaohe.loader is being split into a package (issue #14 item 3); it reads no KAOHE_* variable today (it calls
# settings.input_limits()) — drop this entry once the split has landed and the scan still passes without it.
ALLOWED = {
    REPO / "plugins" / "kaohe" / "settings.py",
    REPO / "plugins" / "kaohe" / "loader.py",
    REPO / "plugins" / "kaohe" / "loader",
}
NAME = re.compile(r"KAOHE_[A-Z0-9_]+")


# --- nothing but kaohe.settings reads a KAOHE_* variable ------------------------------------------------------


def _is_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    ) or (isinstance(node, ast.Name) and node.id == "environ")


def _suspect(key: ast.AST) -> bool:
    """A KAOHE_* name (literal, f-string or concatenation), or a name the source does not show at all."""
    if isinstance(key, ast.Constant):
        return isinstance(key.value, str) and key.value.startswith("KAOHE_")
    if isinstance(key, ast.JoinedStr):
        first = key.values[0] if key.values else None
        return not isinstance(first, ast.Constant) or str(first.value).startswith("KAOHE_")
    if isinstance(key, ast.BinOp):
        return _suspect(key.left)
    return True  # a variable holding the name: it could be a KAOHE_* one


def environment_reads(source: str) -> list[tuple[int, str]]:
    """(line, code) of every read of a KAOHE_* variable — os.environ.get/pop/setdefault/[...], `in os.environ`,
    os.getenv — and of every read whose variable name the code does not spell out."""
    found = []
    for node in ast.walk(ast.parse(source)):
        key = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in ("get", "pop", "setdefault")
                and _is_environ(func.value)
            ):
                key = node.args[0]
            elif (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Name) and func.id == "getenv"
            ):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_environ(node.value):
            key = node.slice
        elif (
            isinstance(node, ast.Compare)
            and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops)
            and any(_is_environ(c) for c in node.comparators)
        ):
            key = node.left
        if key is not None and _suspect(key):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_scan_finds_every_way_of_reading_a_variable():
    code = """
import os
from os import environ, getenv
a = os.environ.get("KAOHE_A")
b = os.environ["KAOHE_B"]
c = "KAOHE_C" in os.environ
d = os.getenv("KAOHE_D", "1")
e = environ.get(f"KAOHE_{name}")
f = getenv("KAOHE_" + name)
g = os.environ.get(PASSWORD_ENV[role])
h = os.environ.pop("KAOHE_H", None)
os.environ["KAOHE_SET"] = "writing is not reading"
os.environ.update({"KAOHE_PG_HOST": "h"})
child = {**os.environ, "KAOHE_HOME": "x"}
level = os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
"""
    assert [line for line, _ in environment_reads(code)] == [4, 5, 6, 7, 8, 9, 10, 11]


def test_only_the_settings_module_reads_kaohe_variables():
    offenders = []
    for root in SCANNED:
        for path in sorted(root.rglob("*.py")):
            if path in ALLOWED or any(parent in ALLOWED for parent in path.parents):
                continue
            offenders += [
                f"{path.relative_to(REPO)}:{line}: {code}"
                for line, code in environment_reads(path.read_text(encoding="utf-8"))
            ]
    assert not offenders, "read it from kaohe.settings.settings() instead (add a field there):\n" + "\n".join(offenders)


# --- the one table in docs/operations.md ----------------------------------------------------------------------


def configure_table() -> dict[str, str]:
    """KAOHE_* name -> its row, from the table of docs/operations.md's Configure section."""
    text = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("\n## Configure\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("|"):
            first = line.split("|")[1]
            for name in NAME.findall(first):
                assert name not in rows, f"{name} has two rows in the Configure table"
                rows[name] = line
    return rows


def mentioned_in_the_repository() -> dict[str, Path]:
    """Every KAOHE_* name the code, deployment files and docs use (tests aside: their own knobs are theirs)."""
    skip = {"__pycache__", "target", "logs", "dbt_packages", ".venv", ".kaohe", "node_modules"}
    places = [
        REPO / p
        for p in (
            "plugins",
            "dags",
            "bi",
            "benchmarks",
            "deploy",
            "scripts",
            "dbt_project",
            "docs",
            ".ci",
            "README.md",
            "Makefile",
            "Dockerfile",
            "docker-compose.yml",
            ".env.example",
        )
    ]
    found: dict[str, Path] = {}
    for place in places:
        files = [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]
        for path in files:
            if skip & set(path.relative_to(REPO).parts) or path.stat().st_size > 1_000_000:
                continue
            for name in NAME.findall(path.read_text(encoding="utf-8", errors="ignore")):
                found.setdefault(name, path)
    return found


def test_every_setting_has_a_row_in_the_configure_table():
    rows = configure_table()
    missing = [f.metadata["env"] for f in SETTINGS_FIELDS if f.metadata["env"] not in rows]
    assert not missing, f"document these in docs/operations.md (Configure): {missing}"
    for f in SETTINGS_FIELDS:  # and a plain default as the code has it
        default = f.metadata["default"]
        if isinstance(default, (int, float, str)) and not isinstance(default, bool):
            shown = f"{default:g}" if isinstance(default, float) else str(default)
            assert shown in rows[f.metadata["env"]].split("|")[2], (
                f"{f.metadata['env']}: the table's default is not {shown}"
            )


def test_every_variable_in_use_is_in_the_table_and_every_row_is_in_use():
    rows, used = configure_table(), mentioned_in_the_repository()
    undocumented = {name: str(path.relative_to(REPO)) for name, path in used.items() if name not in rows}
    assert not undocumented, f"used but not in docs/operations.md (Configure): {undocumented}"
    stale = [name for name in rows if name not in VARIABLES and name not in used]
    assert not stale, f"rows for variables nothing uses any more: {stale}"


def test_variables_kaohe_only_sets_for_others_are_not_settings_and_say_so():
    rows = configure_table()
    from kaohe.warehouse import dbt_env

    for name in dbt_env("postgresql://u:p@h:1/d"):  # what dbt's profiles.yml reads
        assert name not in VARIABLES and "set by Kaohe for dbt" in rows[name]
    assert "KAOHE_GX_" not in VARIABLES and "set by Kaohe for GX" in rows["KAOHE_GX_"]


# --- the object ---------------------------------------------------------------------------------------------


def test_settings_are_read_at_call_time_with_their_defaults(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    default = settings()
    assert (default.task_retries, default.landing_wait_seconds, default.smtp_port) == (2, 7200, 25)
    assert default.landing is None and default.landing_ready_marker is False
    assert default.home == default.project_root / ".kaohe" and default.dbt_project_dir.name == "dbt_project"
    monkeypatch.setenv("KAOHE_TASK_RETRIES", "5")
    monkeypatch.setenv("KAOHE_HOME", "relative/home")
    monkeypatch.setenv("KAOHE_LANDING_READY_MARKER", "yes")
    monkeypatch.setenv("KAOHE_SMTP_FROM", "")  # empty is unset (a compose file's `${X:-}`)
    now = settings()
    assert now.task_retries == 5 and now.landing_ready_marker is True and now.smtp_from == "kaohe@localhost"
    assert now.home == Path("relative/home").resolve()
    with pytest.raises(FrozenInstanceError):
        now.task_retries = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "name, value, says",
    [
        ("KAOHE_MAX_COLUMNS", "0", "KAOHE_MAX_COLUMNS must be a positive whole number, not '0'"),
        ("KAOHE_TASK_RETRIES", "two", "KAOHE_TASK_RETRIES must be a whole number (0 or more), not 'two'"),
        ("KAOHE_SMTP_PORT", "70000", "KAOHE_SMTP_PORT must be a TCP port (1 to 65535), not '70000'"),
        ("KAOHE_WRITER_LOCK_TIMEOUT", "-1", "KAOHE_WRITER_LOCK_TIMEOUT must be a number of seconds (0 or more)"),
        ("KAOHE_WRITER_LOCK_TIMEOUT", "nan", "KAOHE_WRITER_LOCK_TIMEOUT must be a number of seconds"),
        ("KAOHE_LANDING_READY_MARKER", "maybe", "KAOHE_LANDING_READY_MARKER must be 1 or 0"),
        ("KAOHE_DAILY_CUTOFF", "20:00", "KAOHE_DAILY_CUTOFF must be a cron expression of 5 fields"),
    ],
)
def test_a_bad_value_is_one_error_naming_its_variable(monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=re.escape(says)):
        settings()
    with pytest.raises(ValueError):  # what input_limits() raised before: callers catching it still do
        settings_module.state_dir()


def test_secrets_stay_out_of_the_repr(monkeypatch):
    monkeypatch.setenv("KAOHE_WAREHOUSE_URL", "postgresql://kaohe:s3cret@db/kaohe")
    monkeypatch.setenv("KAOHE_BI_PASSWORD", "s3cret-bi")
    assert "s3cret" not in repr(settings())


def test_a_run_default_gives_way_to_what_the_environment_sets(monkeypatch):
    monkeypatch.delenv("KAOHE_LANDING_WAIT_SECONDS", raising=False)
    monkeypatch.setenv("KAOHE_TASK_RETRIES", "3")
    assert unless_set({"KAOHE_TASK_RETRIES": "0", "KAOHE_LANDING_WAIT_SECONDS": "0"}) == {
        "KAOHE_TASK_RETRIES": "3",
        "KAOHE_LANDING_WAIT_SECONDS": "0",
    }
    with pytest.raises(KeyError, match="KAOHE_NOPE"):
        unless_set({"KAOHE_NOPE": "1"})
