"""The gates: .pre-commit-config.yaml runs the checks `make lint` runs (same tools, same subcommands), so a commit
hook and CI cannot drift apart. Read from the two files, nothing run."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TOOL = re.compile(r"(?:^|/)bin/([A-Za-z][\w-]*)$")  # $(VENV)/bin/ruff, .venv/bin/mypy
MODES = {"--check", "--fix"}  # flags that make a command a check or a rewrite


def check_of(command: str) -> str:
    """`ruff format --check`, `mypy`, `sqlfluff lint`: the tool (the last venv program, past any python wrapper),
    its subcommand and mode."""
    words = shlex.split(command)
    at = max((i for i, w in enumerate(words) if TOOL.search(w) and not w.endswith("/python")), default=None)
    assert at is not None, f"no .venv/bin tool in {command!r}"
    tool, rest = TOOL.search(words[at]).group(1), words[at + 1 :]
    sub = [rest[0]] if rest and re.fullmatch(r"[a-z]+", rest[0]) else []
    return " ".join([tool, *sub, *sorted(MODES & set(rest))])


def recipe(target: str) -> list[str]:
    """The commands of a Makefile target (its tab-indented lines, a leading @ or - dropped)."""
    lines = (REPO / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    commands = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip().lstrip("@-"))
    return commands


def test_pre_commit_runs_what_make_lint_runs():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}  # no network: the locked tools from the venv
    assert all(hook["language"] == "system" and hook["entry"].startswith(".venv/bin/") for hook in hooks)
    lint = sorted(check_of(c) for c in recipe("lint"))
    assert lint == ["mypy", "ruff check", "ruff format --check", "sqlfluff lint"]
    assert sorted(check_of(hook["entry"]) for hook in hooks) == lint


def test_make_test_lints_first():
    prerequisites = next(line for line in (REPO / "Makefile").read_text().splitlines() if line.startswith("test:"))
    assert prerequisites.split(":", 1)[1].split() == ["setup", "lint"]
    assert recipe("lint")  # and lint has commands (a renamed target would leave `test` with nothing to run)


def test_sqlfluff_lints_the_models_as_dbt_compiles_them():
    config = configparser.ConfigParser()
    config.read(REPO / ".sqlfluff")
    assert (config["sqlfluff"]["dialect"], config["sqlfluff"]["templater"]) == ("postgres", "dbt")
    dbt = config["sqlfluff:templater:dbt"]
    # the profile the pipeline uses (kaohe.transform passes the project folder as --profiles-dir)
    assert (REPO / dbt["project_dir"] / "dbt_project.yml").is_file()
    assert (REPO / dbt["profiles_dir"] / "profiles.yml").is_file()
    # a model dbt cannot compile (no warehouse, a broken macro) fails the lint: the templater's default skips it
    assert dbt.getboolean("dbt_skip_compilation_error") is False
