"""The Kaohe benchmark (docs/performance.md), by job; `benchmarks/run.py` is its command line (`make bench`).

    harness      the measuring: one date's stages timed, memory sampled, the database side of a stage clocked
    baselines    the same CSV files through psql \\copy (the limit) and pandas read_csv + to_sql
    landings     the generated landing trees the measurements read, kept under the home
    children     the child-process protocol: each scale, the history and the memory check run in a fresh process
    range_run    the Airflow path: `kaohe run` over several district dates in one process
    report       the targets of issue 6, checked, and the printed table
    cli          run.py's options and the order of the measurements

Modules import kaohe (the project's venv) and the heavy packages (psycopg, pandas, dbt, GX) inside the functions
that need them: a child pays only for what it measures.
"""

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]  # benchmarks/ (on sys.path: run.py's folder)
REPO = BENCH_DIR.parent
