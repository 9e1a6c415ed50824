"""What the concurrency and crash drills compare and watch: a warehouse's outputs as plain rows,
and what a process is doing right now according to pg_stat_activity."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import psycopg
from kaohe.warehouse import database_name, database_url
from psycopg import sql

# Ids and times differ between two runs of the same files: left out (a load's rows are told by their file).
IGNORED_COLUMNS = {"load_id", "superseded_by", "publication_id", "failure_id"}
IGNORED_TYPES = {"timestamp with time zone", "timestamp without time zone"}
SCHEMAS = ("marts", "payroll", "quarantine", "ops")


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every table of the output schemas (marts, payroll, quarantine with the file ledger, ops) as sorted
    rows of text, without ids and timestamps; and the rows each delivery keeps in raw."""
    state: dict[str, list[tuple]] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1, 2",
            (list(SCHEMAS),),
        ).fetchall()
        for schema, table in tables:
            columns = [
                c
                for c, t in conn.execute(
                    "select column_name, data_type from information_schema.columns"
                    " where table_schema = %s and table_name = %s order by ordinal_position",
                    (schema, table),
                )
                if c not in IGNORED_COLUMNS and t not in IGNORED_TYPES
            ]
            rows = conn.execute(
                sql.SQL("select {} from {}.{}").format(
                    sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
                    sql.Identifier(schema),
                    sql.Identifier(table),
                )
            ).fetchall()
            state[f"{schema}.{table}"] = sorted(rows, key=repr)
        for (kind,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' and table_type = 'BASE TABLE'"
        ).fetchall():
            state[f"raw.{kind} per delivery"] = sorted(
                conn.execute(
                    sql.SQL(
                        "select f.file, f.checksum, count(*) from raw.{} r join quarantine.file_loads f"
                        " on f.load_id = r._load_id group by 1, 2"
                    ).format(sql.Identifier(kind))
                ).fetchall()
            )
    return state


def differences(actual: dict, expected: dict, limit: int = 3) -> list[str]:
    """The tables that differ, each with a few rows only one side has (empty: equal)."""
    out = []
    for table in sorted(set(actual) | set(expected)):
        a, e = actual.get(table), expected.get(table)
        if a == e:
            continue
        if a is None or e is None:
            out.append(f"{table}: only in {'expected' if a is None else 'actual'}")
            continue
        extra = [r for r in a if r not in e][:limit]
        missing = [r for r in e if r not in a][:limit]
        out.append(f"{table}: {len(a)} rows vs {len(e)} expected; extra {extra}; missing {missing}")
    return out


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
