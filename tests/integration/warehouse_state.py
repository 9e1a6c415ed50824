"""What the concurrency and crash drills watch: what a process is doing right now according to
pg_stat_activity (what they compare: warehouse_tables)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psycopg
from kaohe.warehouse import database_name, database_url


def admin_url(url: str) -> str:
    return database_url(url, "postgres")


def sessions(url: str, where: str, params: tuple = ()) -> list[dict]:
    """The sessions on the URL's database (other than ours) matching a condition on pg_stat_activity."""
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        cur = conn.execute(
            "select pid, application_name, state, wait_event_type, wait_event, query from pg_stat_activity"
            f" where datname = %s and pid <> pg_backend_pid() and ({where})",
            (database_name(url), *params),
        )
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=False)) for row in cur.fetchall()]


def wait_until(
    url: str,
    where: str,
    params: tuple = (),
    process: subprocess.Popen | None = None,
    timeout: float = 240,
    poll: float = 0.05,
) -> list[dict]:
    """Poll pg_stat_activity until a session matches; fails if the process ended first or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sessions(url, where, params)
        if found:
            return found
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(
                f"the process ended (rc {process.returncode}) before any session matched {where!r}:"
                f" {out[-1500:]} {err[-2500:]}"
            )
        time.sleep(poll)
    raise AssertionError(f"no session matched {where!r} within {timeout} s")


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process and every process of its group (it was started in a session of its own)."""
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def wait_for_no_sessions(url: str, timeout: float = 60) -> None:
    """Until the killed process's server sessions are gone (a session waiting on a lock notices its client
    died only when the lock is granted and it reads from the socket)."""
    deadline = time.monotonic() + timeout
    while sessions(url, "true"):
        assert time.monotonic() < deadline, sessions(url, "true")
        time.sleep(0.1)
