"""The Superset venv: created or updated exactly as bi/superset/uv.lock says, with uv (standard library only)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import REPO, SUPERSET_DIR, ProvisionError, log

DEFAULT_VENV = REPO / ".kaohe" / "superset-venv"


def lock_digest() -> str:
    locked = (SUPERSET_DIR / "uv.lock").read_bytes() + (SUPERSET_DIR / "pyproject.toml").read_bytes()
    return hashlib.sha256(locked).hexdigest()


def uv_command() -> list[str]:
    """uv as the Makefile finds it: KAOHE_UV, `uv` on PATH, or `python3 -m uv`."""
    if os.environ.get("KAOHE_UV"):
        return os.environ["KAOHE_UV"].split()
    if shutil.which("uv"):
        return [shutil.which("uv")]
    for python in ("python3", sys.executable):
        if python and subprocess.run([python, "-m", "uv", "--version"], capture_output=True).returncode == 0:
            return [python, "-m", "uv"]
    raise ProvisionError("uv is not installed: `make setup` installs it (pip install uv==0.13.9)")


def install(venv: Path = DEFAULT_VENV) -> Path:
    """Create or update the Superset venv exactly as locked; a no-op (≈ 0 s) when the lock has not changed.

    Serialised by a file lock: concurrent test sessions on one machine share the venv."""
    venv = venv.absolute()  # uv resolves a relative UV_PROJECT_ENVIRONMENT against bi/superset, not the cwd
    venv.parent.mkdir(parents=True, exist_ok=True)
    stamp = venv / ".kaohe-lock-digest"
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == lock_digest() and (venv / "bin" / "superset").exists():
            return venv
        started = time.monotonic()
        log(f"installing Superset from bi/superset/uv.lock into {venv} (once: ≈ 20 s, ≈ 40 s when uv must download it)")
        env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "VIRTUAL_ENV": str(venv)}
        done = subprocess.run(
            [*uv_command(), "sync", "--frozen", "--no-dev", "--project", str(SUPERSET_DIR)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise ProvisionError(f"uv sync of the Superset venv failed:\n{done.stderr[-3000:]}")
        stamp.write_text(lock_digest())
        log(f"Superset venv ready in {time.monotonic() - started:.0f} s")
    return venv
