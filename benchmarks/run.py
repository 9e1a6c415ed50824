"""Kaohe benchmark (issue 6): one landing day at district, city and province scale.

    make bench                                                   # district only (what CI runs)
    .venv/bin/python benchmarks/run.py --scales district,city,province

The command line only: the benchmark is the package kaohe_bench beside this file (importable because a script's
folder is on sys.path); kaohe_bench/cli.py says what it measures, kaohe_bench/__init__.py lists its modules.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # also under `python -P` / PYTHONSAFEPATH
    from kaohe_bench.cli import main

    sys.exit(main())
