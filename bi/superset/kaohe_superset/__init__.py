"""Superset for the Kaohe dashboards, by job; `bi/superset/provision.py` is its command line (`--help`).

    install      the locked Superset venv (.kaohe/superset-venv from bi/superset/uv.lock)
    bundle       the dashboards bundle (bi/superset/bundle/) as Superset imports it, the BI role's URI and password
    rest         Superset's REST API (Client, SupersetError)
    processes    a Superset home: set-up, gunicorn (serve, stop), start = set up + serve + import the bundle
    screenshots  the dashboards in headless Chromium (PNGs and what each chart shows)
    cli          the subcommands of provision.py

Every module imports only the standard library at module level: Superset's own packages (in its venv, which pins
SQLAlchemy 1.4) are imported inside the functions that run there, PyYAML and websocket-client likewise, and
kaohe.warehouse only when a URL names a passfile. So the test suite (the project's venv) imports `rest`, `bundle`
and `processes` directly and runs the rest through provision.py with the Superset venv's python.

Importable because provision.py's folder (bi/superset) is on sys.path when it runs as a script.
"""

from __future__ import annotations

import sys
from pathlib import Path

SUPERSET_DIR = Path(__file__).resolve().parents[1]  # bi/superset (in the image: its app folder)
REPO = SUPERSET_DIR.parents[1]
SCRIPT = SUPERSET_DIR / "provision.py"  # the command line, also run as set-up's child
CONFIG = SUPERSET_DIR / "superset_config.py"


class ProvisionError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[superset] {message}", file=sys.stderr, flush=True)
