"""Running a test's helper programs so that nothing they start outlives them (browsers, Superset's tools)."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest


def run_in_own_group(args: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    """Runs a command in its own process group and kills the whole group afterwards (a Chromium it left behind
    too), whether it finished, failed or timed out."""
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **kwargs
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"{' '.join(args[:3])} timed out after {timeout:.0f} s: {stderr[-3000:]}")
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
