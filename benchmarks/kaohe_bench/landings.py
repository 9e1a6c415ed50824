"""The landing trees the measurements read: generated once under the benchmark's home and reused by later runs."""

from __future__ import annotations

import shutil
import time
from datetime import date
from pathlib import Path


def generated(home: Path, name: str, scale: str, start: date, end: date) -> tuple[Path, float | None]:
    """A generated landing tree under the home, written once (returns its generation time when written now)."""
    landing = home / "landing" / name
    marker = landing / f".generated-{scale}-{start}-{end}"
    if marker.exists():
        return landing, None
    shutil.rmtree(landing, ignore_errors=True)
    started = time.perf_counter()
    from kaohe.generator import generate

    generate(landing, start, end, seed=7, bad_rows=False, scale=scale)
    seconds = time.perf_counter() - started
    marker.touch()
    return landing, seconds


def memory_file(home: Path, rows: int, day: date) -> Path:
    """A landing tree with one indicator_progress file of `rows` rows (written in chunks, never in memory)."""
    landing = home / "landing" / f"memory-{rows}"
    path = landing / day.isoformat() / "indicator_progress__D01.csv"
    if path.exists():
        return landing
    path.parent.mkdir(parents=True, exist_ok=True)
    line = "D01,K1-{:02d},{},{}.5,某项工作按计划推进 note text to widen the row\n"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("dept_code,indicator_code,as_of_date,cumulative_value,note\n")
        chunk = []
        for i in range(rows):
            chunk.append(line.format(i % 97, day.isoformat(), i))
            if len(chunk) == 50_000:
                fh.writelines(chunk)
                chunk.clear()
        fh.writelines(chunk)
    return landing
