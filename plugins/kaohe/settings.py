"""Kaohe's settings: the one place that reads a ``KAOHE_*`` environment variable.

``settings()`` builds a fresh, frozen ``Settings`` from the environment on every call (a few dict
look-ups), so a deployment, a test or ``kaohe run`` that sets a variable after import is seen at
once. Each field names its variable and says what it means; docs/operations.md (Configure) has one
row per variable, checked by tests/unit/test_settings.py. A value that is not of its type is one
``SettingsError`` naming the variable. Nothing heavy is imported here: the DAG files read it at parse.

The helpers below (``project_root()``, ``state_dir()``, ``input_limits()`` …) are views of it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

BUSINESS_TZ = "Asia/Shanghai"  # the business date is China's date


class SettingsError(ValueError):
    """A KAOHE_* variable holds a value Kaohe cannot use (the message names it)."""


# --- parsers: (variable, text) -> value; the text is never empty (empty counts as unset) -----------------------


def _text(name: str, text: str) -> str:
    return text


def _path(name: str, text: str) -> Path:
    return Path(text)


def _resolved(name: str, text: str) -> Path:
    return Path(text).resolve()


def _whole(name: str, text: str, minimum: int = 0) -> int:
    digits = text.strip().replace("_", "")
    if not digits.isdigit() or int(digits) < minimum:
        kind = "a positive whole number" if minimum > 0 else "a whole number (0 or more)"
        raise SettingsError(f"{name} must be {kind}, not {text!r}")
    return int(digits)


def _positive(name: str, text: str) -> int:
    return _whole(name, text, minimum=1)


def _port(name: str, text: str) -> int:
    port = _positive(name, text)
    if port > 65535:
        raise SettingsError(f"{name} must be a TCP port (1 to 65535), not {text!r}")
    return port


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise SettingsError(f"{name} must be a number of seconds (0 or more), not {text!r}")
    return value


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(name: str, text: str) -> bool:
    word = text.strip().lower()
    if word not in _TRUE | _FALSE:
        raise SettingsError(f"{name} must be 1 or 0 (or true/false, yes/no, on/off), not {text!r}")
    return word in _TRUE


def _cron(name: str, text: str) -> str:
    if len(text.split()) != 5:
        raise SettingsError(
            f"{name} must be a cron expression of 5 fields (minute hour day month weekday), not {text!r}"
        )
    return text.strip()


def _setting(
    env: str, doc: str, default: Any = None, parse: Callable[[str, str], Any] = _text, secret: bool = False
) -> Any:
    """A field read from ``env``; ``default`` is a value, or a function of the fields before it."""
    return field(repr=not secret, metadata={"env": env, "doc": doc, "default": default, "parse": parse})


@cache  # where this file lives does not change while it runs
def _checkout() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        if (parent / "dbt_project" / "dbt_project.yml").exists():
            return parent
    return None


def _find_project_root(values: dict) -> Path:
    return _checkout() or Path.cwd()


@dataclass(frozen=True)
class Settings:
    """Every KAOHE_* variable Kaohe reads (fields in dependency order: a default may use the ones above it)."""

    # where things live
    project_root: Path = _setting(
        "KAOHE_PROJECT_ROOT", "the checkout (dags/, dbt_project/)", _find_project_root, _resolved
    )
    home: Path = _setting(
        "KAOHE_HOME",
        "the state folder: embedded warehouse, Airflow home, dbt target, outputs",
        lambda v: (v["project_root"] / ".kaohe").resolve(),
        _resolved,
    )
    dbt_project_dir: Path = _setting(
        "KAOHE_DBT_PROJECT_DIR", "the dbt project Kaohe builds", lambda v: v["project_root"] / "dbt_project", _path
    )
    contract: Path | None = _setting(
        "KAOHE_CONTRACT", "the data contract; unset: plugins/kaohe/contract.yml", parse=_path
    )
    landing: Path | None = _setting(
        "KAOHE_LANDING", "the landing root (a run's `landing` param overrides it)", parse=_path
    )
    reports: Path | None = _setting(
        "KAOHE_REPORTS",
        "the reports folder whatever the warehouse; unset: the warehouse's own (kaohe.outputs)",
        parse=_path,
    )
    # the districts (one-network.md)
    district: str | None = _setting(
        "KAOHE_DISTRICT",
        "the default district's code, stored in the warehouse on first use; unset: AKGX on a new warehouse",
    )
    district_name: str | None = _setting(
        "KAOHE_DISTRICT_NAME", "the default district's name; unset: 安康高新区 on a new warehouse"
    )
    # the warehouse
    warehouse_url: str | None = _setting(
        "KAOHE_WAREHOUSE_URL", "the warehouse's PostgreSQL URL; unset: the embedded warehouse", secret=True
    )
    pg_bindir: Path | None = _setting(
        "KAOHE_PG_BINDIR",
        "the PostgreSQL binaries of the embedded warehouse; unset: found (system, then pgserver's)",
        parse=_path,
    )
    bi_password: str | None = _setting(
        "KAOHE_BI_PASSWORD", "kaohe_bi's password (wins over the generated one)", secret=True
    )
    payroll_password: str | None = _setting(
        "KAOHE_PAYROLL_PASSWORD", "kaohe_payroll's password (wins over the generated one)", secret=True
    )
    writer_lock_timeout: float = _setting(
        "KAOHE_WRITER_LOCK_TIMEOUT",
        "seconds a writer waits while another one writes to the warehouse",
        3600.0,
        _seconds,
    )
    # the schedule and the tasks
    daily_cutoff: str = _setting("KAOHE_DAILY_CUTOFF", "cron of kaohe_daily in China time", "0 20 * * *", _cron)
    landing_wait_seconds: int = _setting(
        "KAOHE_LANDING_WAIT_SECONDS", "how long wait_for_landing waits after the cut-off", 2 * 3600, _whole
    )
    landing_ready_marker: bool = _setting(
        "KAOHE_LANDING_READY_MARKER", "wait for <landing>/<date>/_READY instead of the first file", False, _flag
    )
    task_retries: int = _setting("KAOHE_TASK_RETRIES", "retries of a failed task", 2, _whole)
    retry_delay_seconds: int = _setting(
        "KAOHE_RETRY_DELAY_SECONDS", "the first retry's delay (doubles, at most 5 min)", 10, _whole
    )
    heavy_queue: str | None = _setting("KAOHE_HEAVY_QUEUE", "Celery queue of validate and transform")
    # failure notices
    notify_webhook: str | None = _setting(
        "KAOHE_NOTIFY_WEBHOOK", "URL that gets a JSON POST per final failure", secret=True
    )
    notify_email: str | None = _setting("KAOHE_NOTIFY_EMAIL", "address that gets a mail per final failure")
    smtp_host: str = _setting("KAOHE_SMTP_HOST", "the mail server", "localhost")
    smtp_port: int = _setting("KAOHE_SMTP_PORT", "the mail server's port", 25, _port)
    smtp_from: str = _setting("KAOHE_SMTP_FROM", "the failure mail's sender", "kaohe@localhost")
    # what one landing file may cost (docs/data-contract.md, Limits)
    max_file_bytes: int = _setting(
        "KAOHE_MAX_FILE_BYTES", "largest landing file (an .xlsx: what it unpacks to)", 512 * 1024 * 1024, _positive
    )
    max_columns: int = _setting("KAOHE_MAX_COLUMNS", "most header columns (up to the last named one)", 200, _positive)
    max_field_chars: int = _setting(
        "KAOHE_MAX_FIELD_CHARS", "longest value, and longest line of a CSV file", 10 * 1000 * 1000, _positive
    )


SETTINGS_FIELDS = fields(Settings)
VARIABLES = {f.metadata["env"]: f.name for f in SETTINGS_FIELDS}  # KAOHE_* name -> field


def settings() -> Settings:
    """The settings as the environment has them now (unset or empty: the default)."""
    values: dict[str, Any] = {}
    for f in SETTINGS_FIELDS:
        meta = f.metadata
        if text := os.environ.get(meta["env"], ""):
            values[f.name] = meta["parse"](meta["env"], text)
        else:
            default = meta["default"]
            values[f.name] = default(values) if callable(default) else default
    return Settings(**values)


def unless_set(defaults: dict[str, str]) -> dict[str, str]:
    """These variables as the environment has them, else the given values: for a run whose defaults differ from
    a deployment's (``kaohe run`` retries nothing and does not wait for past dates' folders)."""
    unknown = set(defaults) - set(VARIABLES)
    if unknown:
        raise KeyError(f"not Kaohe settings: {', '.join(sorted(unknown))}")
    return {name: os.environ.get(name) or value for name, value in defaults.items()}


# --- views kept for their callers -----------------------------------------------------------------------------


def project_root() -> Path:
    return settings().project_root


def state_dir() -> Path:
    """The git-ignored folder for the embedded warehouse, Airflow home, reports (created on first use)."""
    path = settings().home
    path.mkdir(parents=True, exist_ok=True)
    return path


def dbt_project_dir() -> Path:
    return settings().dbt_project_dir


def dags_dir() -> Path:
    return settings().project_root / "dags"


@dataclass(frozen=True)
class InputLimits:
    """What one landing file may cost before it is rejected whole (docs/data-contract.md, Limits)."""

    max_file_bytes: int  # a file's size; an .xlsx also counts as what it unpacks to
    max_columns: int  # header cells up to the last named one
    max_field_chars: int  # one value, and one line of a CSV file


def input_limits() -> InputLimits:
    """Read on every load, so a deployment (or a test) changes them without a restart."""
    current = settings()
    return InputLimits(current.max_file_bytes, current.max_columns, current.max_field_chars)
