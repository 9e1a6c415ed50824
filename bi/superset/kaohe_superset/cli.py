"""Superset for the Kaohe dashboards: install, provision, serve, import the bundle, screenshot.

    provision.py install [--venv DIR]                   # the locked Superset venv (any Python 3.11; uv)
    provision.py start --home DIR --bind 127.0.0.1:8088 --warehouse-url URL   # set up, serve detached, import
    provision.py up --home DIR --bind 0.0.0.0:8088 --warehouse-url URL        # the same in the foreground (docker)
    provision.py stop --home DIR                        # stops what `start` started, by its PID
    provision.py bundle --warehouse-url URL --out FILE  # the bundle zip alone
    provision.py screenshot --base-url URL --home DIR --out-dir DIR [--dashboard SLUG]  # PNGs, JSON report

Everything but `install` runs with the Superset venv's python (bin/python of .kaohe/superset-venv): Superset pins
SQLAlchemy 1.4 and must never share the project's .venv. The package (kaohe_superset, beside provision.py) imports
only the standard library at module level, so the test suite (main venv) imports its REST helpers and calls the rest
as a subprocess.

The dashboards are `bundle/` (Superset's v1 export format, edited here or exported from the UI): one database
(the warehouse as the read-only role kaohe_bi), datasets over schema marts, charts and dashboards linked by fixed
UUIDs. The database's URI in the bundle is a placeholder; the real one (and the password, from KAOHE_BI_PASSWORD or
the embedded warehouse's passfile, never written into the bundle) is given at import time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from . import REPO, ProvisionError
from .bundle import BI_ROLE, bi_uri, bundle_objects, bundle_zip, missing_marts
from .install import DEFAULT_VENV, install
from .processes import ADMIN_USER, admin_password, base_url_of, setup_in_process, start, stop
from .rest import Client, SupersetError
from .screenshots import screenshots


def print_welcome(home: Path, base_url: str, pid: int, detached: bool) -> None:
    client = Client(base_url).login(ADMIN_USER, admin_password(home))
    logs = home / "superset.log" if detached else "stdout"
    print(f"Superset (考核看板) is up: {base_url}/  (gunicorn PID {pid}, log {logs})")
    where = home / "admin_password" if not os.environ.get("SUPERSET_ADMIN_PASSWORD") else "SUPERSET_ADMIN_PASSWORD"
    secret = admin_password(home) if detached else "(see .env)"
    print(f"  login: {ADMIN_USER} / {secret}   (kept in {where})")
    for dashboard in sorted(client.all("dashboard"), key=lambda d: d["id"]):
        print(f"  {dashboard['dashboard_title']}: {base_url}/superset/dashboard/{dashboard['slug']}/")
    try:
        if missing := missing_marts(client):
            what = "marts" if len(missing) > 3 else "marts." + ", marts.".join(missing)
            print(f"  warning: the warehouse has no {what} yet: run `make demo` first (the charts stay empty)")
    except SupersetError as err:  # e.g. no role kaohe_bi yet: the project creates it on its first run
        print(f"  warning: cannot read the warehouse as {BI_ROLE} ({err.body[:300]}): run `make demo` first")
    sys.stdout.flush()


def start_command(home: Path, bind: str, warehouse_url: str, foreground: bool) -> int:
    """`start` (detached: returns once Superset is up) and `up` (foreground: returns when gunicorn has ended)."""
    serving: list[subprocess.Popen] = []
    stop_requested: list[int] = []

    def on_stop(signum, _frame):
        # the container's main process: a stop during set-up ends it (start() cleans up), a stop while
        # serving is passed on to gunicorn (its own process group), whose exit ends us
        stop_requested.append(signum)
        if not serving:
            raise SystemExit(128 + signum)
        try:
            os.killpg(serving[0].pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    if foreground:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_stop)
    process = start(home, bind, warehouse_url, detach=not foreground)
    serving.append(process)
    try:
        print_welcome(home, base_url_of(bind), process.pid, detached=not foreground)
        if foreground:
            code = process.wait()
            return 0 if stop_requested else code or 1
    except (OSError, SupersetError):
        if stop_requested:  # stopped while still printing the welcome: gunicorn is gone, nothing to report
            return 0
        raise
    finally:
        if foreground:  # whatever ends us ends gunicorn too
            stop(home)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="provision.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{install,start,up,stop,bundle,screenshot}")
    p = sub.add_parser("install", help="create/update the Superset venv from uv.lock")
    p.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    for name in ("start", "up"):
        p = sub.add_parser(name, help="set up, serve and import the bundle" + (" (foreground)" if name == "up" else ""))
        p.add_argument("--home", type=Path, default=Path(os.environ.get("SUPERSET_HOME", REPO / ".kaohe" / "superset")))
        p.add_argument("--bind", default=os.environ.get("SUPERSET_BIND", "127.0.0.1:8088"))
        p.add_argument("--warehouse-url", default=os.environ.get("KAOHE_BI_WAREHOUSE_URL"))
    p = sub.add_parser("_setup")  # setup()'s child, in the Superset app's process
    p.add_argument("--home", type=Path, required=True)
    p = sub.add_parser("stop", help="stop what start started")
    p.add_argument("--home", type=Path, default=REPO / ".kaohe" / "superset")
    p = sub.add_parser("bundle", help="write the bundle zip")
    p.add_argument("--warehouse-url", required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("screenshot", help="PNGs of dashboards (<out-dir>/<slug>.png); prints the render reports")
    p.add_argument("--base-url", required=True)
    p.add_argument("--home", type=Path, required=True, help="where the admin password is kept")
    p.add_argument("--dashboard", action="append", help="a dashboard's slug (repeatable; default: all of the bundle)")
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--width", type=int, default=1600)
    args = parser.parse_args(argv)
    if getattr(args, "home", None):
        args.home = args.home.absolute()  # gunicorn runs in it, and SQLite paths must not depend on the cwd

    try:
        if args.command == "install":
            print(install(args.venv))
        elif args.command in ("start", "up"):
            if not args.warehouse_url:
                raise ProvisionError("--warehouse-url (or KAOHE_BI_WAREHOUSE_URL) is required")
            return start_command(args.home, args.bind, args.warehouse_url, foreground=args.command == "up")
        elif args.command == "_setup":
            setup_in_process(args.home)
        elif args.command == "stop":
            print("stopped" if stop(args.home) else "not running")
        elif args.command == "bundle":
            args.out.write_bytes(bundle_zip(bi_uri(args.warehouse_url)[0]))
            print(args.out)
        elif args.command == "screenshot":
            slugs = args.dashboard or [d["slug"] for d in bundle_objects()["dashboards"]]
            reports = screenshots(args.base_url, ADMIN_USER, admin_password(args.home), slugs, args.out_dir, args.width)
            print(json.dumps(reports, ensure_ascii=False))
    except (ProvisionError, SupersetError) as err:
        print(f"provision.py {args.command}: {err}", file=sys.stderr)
        return 1
    return 0
