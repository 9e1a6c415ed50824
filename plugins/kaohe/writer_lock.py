"""One writer at a time per warehouse, whoever starts it: a PostgreSQL advisory lock.

Every step that writes the warehouse (load, validate, transform, payroll drafts, the
notice, publish) runs inside ``writer_lock``; so does each business date of
``kaohe run`` as a whole. The lock lives in the warehouse database itself, so a
Celery task, a scheduler or backfill run, ``kaohe publish`` and a ``kaohe run`` from
another Airflow home or machine all queue for the same thing.

- Session-level lock on a connection of its own, opened for the scope: it dies with
  the connection, so a killed holder releases it (PostgreSQL sees the socket close).
- The holder's connection carries ``application_name = "kaohe <step> <subject> (<host>
  pid N)"``; a waiter reads it from ``pg_locks`` ⨝ ``pg_stat_activity`` and says whom it
  waits for, then waits up to ``KAOHE_WRITER_LOCK_TIMEOUT`` seconds (default 3600) and
  fails with a clear error after that.
- Re-entrant per process: a scope inside a scope of the same process (``kaohe run``
  runs the DAG's tasks in its own process through ``dag.test()``) does not ask again —
  asking on a second connection would wait for itself forever — it only relabels the
  holder's connection with the inner step. Scopes of different processes (Celery
  tasks) each take the lock on their own. (So two threads of one process do not
  exclude each other: Kaohe's writers are processes.)
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kaohe.settings import settings
from kaohe.warehouse import scalar, warehouse_url

if TYPE_CHECKING:
    import psycopg

# pg_advisory_lock(int4, int4): 'kaoh', 1. The two-key form has its own lock space (objsubid 2),
# so it never collides with the single-key transaction locks of payroll and of the loader's file keys.
LOCK_KEY = (0x6B616F68, 1)
_CHUNK_SECONDS = 15  # a waiter looks again who holds the lock this often (and says so if it changed)


class WriterLockTimeout(RuntimeError):
    pass


@dataclass
class _Held:
    conn: psycopg.Connection  # holds the lock
    label: str


_held: dict[tuple[str, str, str], _Held] = {}  # the warehouses this process holds, by (host, port, database)


def timeout_seconds() -> float:
    return settings().writer_lock_timeout


def label(step: str, subject) -> str:
    """What a holder is doing, as pg_stat_activity shows it (application_name: at most 63 bytes)."""
    host = socket.gethostname().split(".")[0][:20]
    text = f"kaohe {step} {subject} ({host} pid {os.getpid()})"
    return text.encode()[:63].decode(errors="ignore")


def _identity(url: str) -> tuple[str, str, str]:
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(url)
    return str(info.get("host") or ""), str(info.get("port") or "5432"), str(info.get("dbname") or "")


def _say(message: str) -> None:
    # stderr: the operator's terminal for `kaohe run` / `kaohe publish`, the task log on a worker
    print(message, file=sys.stderr, flush=True)


def holders(conn: psycopg.Connection) -> list[dict]:
    """Who holds (granted) or waits for the writer lock of the connection's database."""
    rows = conn.execute(
        """select l.granted, a.pid, a.application_name, a.usename, a.client_addr::text,
                  case when l.granted then a.state_change else l.waitstart end
           from pg_locks l join pg_stat_activity a on a.pid = l.pid
           where l.locktype = 'advisory' and l.classid = %s and l.objid = %s and l.objsubid = 2
             and l.database = (select oid from pg_database where datname = current_database())
           order by not l.granted, 6""",
        LOCK_KEY,
    ).fetchall()
    return [
        {"granted": g, "pid": pid, "application_name": app, "user": user, "client": client, "since": since}
        for g, pid, app, user, client, since in rows
    ]


def _describe(holder: dict | None) -> str:
    if holder is None:
        return "another writer (gone by now)"
    who = holder["application_name"] or f"a session of {holder['user']} from {holder['client'] or 'the socket'}"
    since = holder["since"].astimezone().strftime("%H:%M:%S %Z") if holder["since"] else "?"
    return f"'{who}' (server pid {holder['pid']}, since {since})"


def _holder(conn: psycopg.Connection) -> dict | None:
    return next((h for h in holders(conn) if h["granted"]), None)


def _set_name(conn: psycopg.Connection, name: str) -> None:
    conn.execute("select set_config('application_name', %s, false)", (name,))


def _acquire(url: str, name: str, timeout: float) -> psycopg.Connection:
    """A new connection holding the lock, waiting for it (and saying for whom) up to `timeout` seconds."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True, application_name=name)
    try:
        # a server-wide statement or idle-session timeout must not end the wait early, or the idle holder
        conn.execute(
            "select set_config('statement_timeout', '0', false), set_config('idle_session_timeout', '0', false)"
        )
        if scalar(conn, "select pg_try_advisory_lock(%s, %s)", LOCK_KEY):
            return conn
        started = time.monotonic()
        holder = _holder(conn)
        ours = _ours(holder)
        if ours is not None:  # held by this process under another spelling of the URL: re-enter that scope
            raise _AlreadyOurs(ours)
        database = conn.info.dbname
        _say(
            f"{name.split(' (')[0]}: waiting for the warehouse (database {database}): {_describe(holder)} is writing to it;"
            f" waiting up to {timeout:.0f} s (KAOHE_WRITER_LOCK_TIMEOUT)"
        )
        _set_name(conn, f"{name} waiting"[:63])
        while True:
            remaining = timeout - (time.monotonic() - started)
            if remaining <= 0:
                raise WriterLockTimeout(
                    f"gave up after {timeout:.0f} s waiting for the warehouse (database {database}): {_describe(_holder(conn))}"
                    " still writes to it (raise KAOHE_WRITER_LOCK_TIMEOUT to wait longer, or see what it does"
                    " in pg_stat_activity)"
                )
            conn.execute(
                "select set_config('lock_timeout', %s, false)", (f"{int(min(remaining, _CHUNK_SECONDS) * 1000)}ms",)
            )
            try:
                conn.execute("select pg_advisory_lock(%s, %s)", LOCK_KEY)
                break
            except psycopg.errors.LockNotAvailable:
                now = _holder(conn)
                if now and holder and now["pid"] != holder["pid"]:
                    _say(f"{name.split(' (')[0]}: still waiting: now {_describe(now)} is writing")
                holder = now
        conn.execute("select set_config('lock_timeout', '0', false)")
        _set_name(conn, name)
        _say(f"{name.split(' (')[0]}: the warehouse is ours after {time.monotonic() - started:.1f} s")
        return conn
    except BaseException:
        conn.close()
        raise


class _AlreadyOurs(Exception):
    def __init__(self, held: _Held):
        self.held = held


def _ours(holder: dict | None) -> _Held | None:
    for held in _held.values():
        with contextlib.suppress(Exception):
            if holder and held.conn.info.backend_pid == holder["pid"]:
                return held
    return None


def _alive(conn: psycopg.Connection) -> bool:
    try:
        return conn.execute("select pg_backend_pid()").fetchone() is not None
    except Exception:  # noqa: BLE001 - a broken connection (the server restarted): the lock is gone with it
        return False


@contextlib.contextmanager
def writer_lock(step: str, subject, url: str | None = None, timeout: float | None = None):
    """Hold the warehouse's writer lock for the block (see the module's docstring)."""
    url = url or warehouse_url()
    key = _identity(url)
    name = label(step, subject)
    timeout = timeout_seconds() if timeout is None else timeout
    held = _held.get(key)
    if held is None:
        try:
            conn = _acquire(url, name, timeout)
        except _AlreadyOurs as ours:
            held = ours.held  # the same warehouse under another spelling of its URL
        else:
            held = _held[key] = _Held(conn, name)
            try:
                yield
            finally:
                _held.pop(key, None)
                with contextlib.suppress(Exception):
                    held.conn.close()  # closing the session releases the lock
            return
    elif not _alive(held.conn):  # lost with its connection (the database restarted): take it again
        with contextlib.suppress(Exception):
            held.conn.close()
        held.conn = _acquire(url, held.label, timeout)
    # re-entered in this process: relabel the holder for the inner step, never ask again
    outer = held.label
    with contextlib.suppress(Exception):
        _set_name(held.conn, name)
    held.label = name
    try:
        yield
    finally:
        held.label = outer
        with contextlib.suppress(Exception):
            _set_name(held.conn, outer)
