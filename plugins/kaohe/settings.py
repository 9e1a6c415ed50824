"""Where things live: the project root, the state folder, the landing root.

Everything is overridable by environment variable so that a deployment (or a
test) can point Kaohe elsewhere without touching code.
"""

from __future__ import annotations

import os
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
