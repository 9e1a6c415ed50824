"""Where things live (the project root, the state folder, the landing root) and what an input may cost.

Everything is overridable by environment variable so that a deployment (or a
test) can point Kaohe elsewhere without touching code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

BUSINESS_TZ = "Asia/Shanghai"  # the business date is China's date


def project_root() -> Path:
    if env := os.environ.get("KAOHE_PROJECT_ROOT"):
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "dbt_project" / "dbt_project.yml").exists():
            return parent
    return Path.cwd()


def state_dir() -> Path:
    """The git-ignored folder for the embedded warehouse, Airflow home, reports."""
    path = Path(os.environ.get("KAOHE_HOME") or project_root() / ".kaohe").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def dbt_project_dir() -> Path:
    return Path(os.environ.get("KAOHE_DBT_PROJECT_DIR") or project_root() / "dbt_project")


def dags_dir() -> Path:
    return project_root() / "dags"


@dataclass(frozen=True)
class InputLimits:
    """What one landing file may cost before it is rejected whole (docs/data-contract.md, Limits)."""

    max_file_bytes: int  # a file's size; an .xlsx also counts as what it unpacks to
    max_columns: int  # header cells up to the last named one
    max_field_chars: int  # one value, and one line of a CSV file


def _positive_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{name} must be a positive whole number, not {os.environ[name]!r}")
    return int(text)


def input_limits() -> InputLimits:
    """Read on every load, so a deployment (or a test) changes them without a restart."""
    return InputLimits(
        max_file_bytes=_positive_int("KAOHE_MAX_FILE_BYTES", 512 * 1024 * 1024),
        max_columns=_positive_int("KAOHE_MAX_COLUMNS", 200),
        max_field_chars=_positive_int("KAOHE_MAX_FIELD_CHARS", 10 * 1000 * 1000),
    )
