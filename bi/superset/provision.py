"""Superset for the Kaohe dashboards: the command line (`provision.py --help`; install, start, up, stop, bundle,
screenshot). The code is the package kaohe_superset beside this file, importable because a script's folder is on
sys.path; see kaohe_superset/cli.py for the subcommands and kaohe_superset/__init__.py for its modules."""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under `python -P` / PYTHONSAFEPATH
    from kaohe_superset.cli import main

    sys.exit(main())
