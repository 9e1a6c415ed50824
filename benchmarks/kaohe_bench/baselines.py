"""The baselines, on the same CSV files as Kaohe's loader: psql ``\\copy`` (the limit: plain text tables, no index,
no key) and pandas ``read_csv`` + ``to_sql`` (what users usually write)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


def psql_binary() -> str:
    for candidate in (os.environ.get("KAOHE_PSQL"), "/usr/lib/postgresql/15/bin/psql", shutil.which("psql")):
        if candidate and Path(candidate).exists():
            return candidate
    from kaohe.warehouse import find_pg_bindir

    return str(find_pg_bindir() / "psql")


def csv_files(folder: Path) -> list[dict]:
    """The day's CSV files with what the baselines need: encoding (detected, not timed) and field count."""
    import csv

    from kaohe.readers import detect_encoding

    files = []
    for path in sorted(folder.glob("*.csv")):
        encoding = detect_encoding(path)
        with open(path, encoding=encoding, newline="") as fh:
            width = len(next(csv.reader(fh)))
        kind = path.stem.partition("__")[0]
        files.append(
            {"path": str(path), "encoding": encoding, "kind": kind, "width": width, "table": f"{kind}_{width}"}
        )
    return files


def psql_copy(files: list[dict], url: str) -> dict:
    """The limit: one psql session running ``\\copy`` per file into plain text tables (no index, no key)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table, width in sorted({(f["table"], f["width"]) for f in files}):
            conn.execute(f"drop table if exists psql_{table}")
            conn.execute(f"create table psql_{table} (" + ", ".join(f"c{i} text" for i in range(width)) + ")")
    script = Path(files[0]["path"]).parents[2] / f".psql_copy_{os.getpid()}.sql"
    pg_encoding = {"utf-8-sig": "UTF8", "gb18030": "GB18030"}
    with open(script, "w") as fh:
        for f in files:
            path = f["path"].replace("'", "''")
            fh.write(
                f"\\copy psql_{f['table']} from '{path}' with (format csv, header true, "
                f"encoding '{pg_encoding[f['encoding']]}')\n"
            )
    started = time.perf_counter()
    subprocess.run([psql_binary(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)], check=True)
    seconds = time.perf_counter() - started
    script.unlink()
    with psycopg.connect(url, autocommit=True) as conn:
        rows = sum(conn.execute(f"select count(*) from psql_{t}").fetchone()[0] for t in {f["table"] for f in files})
    return {"seconds": seconds, "rows": rows}


def pandas_to_sql(files: list[dict], url: str) -> dict:
    """What users usually write: read_csv, then to_sql (append), file by file."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    rows = 0
    started = time.perf_counter()
    for f in files:
        frame = pd.read_csv(f["path"], dtype=str, encoding=f["encoding"])
        frame.columns = [f"c{i}" for i in range(f["width"])]
        frame.to_sql(f"pandas_{f['table']}", engine, if_exists="append", index=False)
        rows += len(frame)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": rows}
