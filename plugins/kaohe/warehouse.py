"""The warehouse: a PostgreSQL URL from KAOHE_WAREHOUSE_URL, or the embedded one.

The embedded warehouse is a private PostgreSQL cluster in the state folder
(``.kaohe/pg``), started on demand and reused across commands. PostgreSQL
refuses to run as root, so as root the server runs as the unprivileged
``postgres`` OS user (created if missing). The system's PostgreSQL binaries are
used when present; otherwise the ones bundled in the ``pgserver`` wheel.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kaohe.settings import state_dir

DB_NAME = "kaohe"
SUPERUSER = "kaohe"
SERVER_OS_USER = "postgres"


class WarehouseError(RuntimeError):
    pass


def find_pg_bindir() -> Path:
    """The folder holding initdb/pg_ctl: system PostgreSQL first, pgserver's otherwise."""
    if env := os.environ.get("KAOHE_PG_BINDIR"):
        return Path(env)
    candidates = []
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    if pg_ctl := shutil.which("pg_ctl"):
        candidates.append(Path(pg_ctl).resolve().parent)
    try:
        import pgserver

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:  # pragma: no cover - pgserver is a locked dependency
        pass
    for cand in candidates:
        if (cand / "initdb").exists() and (cand / "pg_ctl").exists():
            return cand
    raise WarehouseError("no PostgreSQL server binaries found (neither system packages nor pgserver)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class EmbeddedWarehouse:
    """A PostgreSQL cluster owned by this project, living under ``home``."""

    home: Path

    @classmethod
    def default(cls) -> EmbeddedWarehouse:
        return cls(state_dir() / "pg")

    # --- layout -----------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        # As root, the server user must reach the data folder; a home under a
        # private folder (e.g. /root) cannot be reached, so the cluster then
        # lives in a per-project folder under /var/tmp, recorded in `location`.
        location = self.home / "location"
        if location.exists():
            return Path(location.read_text().strip())
        return self.home / "data"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    @property
    def port_file(self) -> Path:
        return self.home / "port"

    @property
    def port(self) -> int:
        if not self.port_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            self.port_file.write_text(str(_free_port()))
        return int(self.port_file.read_text())

    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DB_NAME}"

    # --- running commands as the right user ------------------------------
    def _as_server_user(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", SERVER_OS_USER, "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, **kw)

    def _ensure_server_user(self) -> None:
        if os.geteuid() != 0:
            return
        try:
            pwd.getpwnam(SERVER_OS_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVER_OS_USER],
                check=True,
            )

    def _server_user_can_reach(self, path: Path) -> bool:
        probe = self._as_server_user(["test", "-x", str(path)])
        return probe.returncode == 0

    # --- lifecycle ---------------------------------------------------------
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised():
            return False
        bindir = find_pg_bindir()
        return self._as_server_user([str(bindir / "pg_ctl"), "status", "-D", str(self.data_dir)]).returncode == 0

    def init(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self._ensure_server_user()
        data_dir = self.home / "data"
        if os.geteuid() == 0:
            if not self._server_user_can_reach(self.home):
                digest = hashlib.sha1(str(self.home).encode()).hexdigest()[:12]
                data_dir = Path("/var/tmp/kaohe-pg") / digest
                (self.home / "location").write_text(str(data_dir))
            data_dir.parent.mkdir(parents=True, exist_ok=True)
            data_dir.mkdir(mode=0o700, exist_ok=True)
            shutil.chown(data_dir, SERVER_OS_USER)
        bindir = find_pg_bindir()
        out = self._as_server_user(
            [str(bindir / "initdb"), "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
        )
        if out.returncode != 0:
            raise WarehouseError(f"initdb failed: {out.stderr.strip() or out.stdout.strip()}")
        # Modest settings for a 2-core laptop-sized machine; COPY-heavy loads.
        with open(data_dir / "postgresql.auto.conf", "a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "shared_buffers = '512MB'\n"
                "work_mem = '64MB'\n"
                "maintenance_work_mem = '256MB'\n"
                "max_wal_size = '4GB'\n"
                "synchronous_commit = off\n"
                "jit = off\n"  # compiling costs more than it saves on the marts' queries (docs/performance.md)
                "max_connections = 200\n"
            )

    def start(self) -> str:
        """Start (initialising first if needed); idempotent. Returns the URL."""
        if not self.initialised():
            self.init()
        if self.running():
            return self.url()
        if _port_in_use(self.port):
            self.port_file.write_text(str(_free_port()))
        bindir = find_pg_bindir()
        # The log must be writable by the server user.
        self.log_file.touch()
        if os.geteuid() == 0:
            shutil.chown(self.log_file, SERVER_OS_USER)
            log_file = self.data_dir / "server.log" if (self.home / "location").exists() else self.log_file
        else:
            log_file = self.log_file
        out = self._as_server_user(
            [str(bindir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data_dir),
             "-l", str(log_file), "-o", f"-p {self.port}"]
        )
        if out.returncode != 0:
            raise WarehouseError(f"PostgreSQL did not start: {out.stderr.strip() or out.stdout.strip()} (log: {log_file})")
        self._ensure_database()
        return self.url()

    def stop(self) -> bool:
        if not self.running():
            return False
        bindir = find_pg_bindir()
        self._as_server_user([str(bindir / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.data_dir)])
        return True

    def _ensure_database(self) -> None:
        import psycopg

        admin = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (DB_NAME,)).fetchone()
            if not exists:
                conn.execute(f'create database "{DB_NAME}"')


def warehouse_url(start: bool = True) -> str:
    """The warehouse to use: KAOHE_WAREHOUSE_URL, else the embedded one (started)."""
    if url := os.environ.get("KAOHE_WAREHOUSE_URL"):
        return url
    embedded = EmbeddedWarehouse.default()
    return embedded.start() if start else embedded.url()


def database_url(url: str, database: str) -> str:
    """The same server, user and options as ``url``, on another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(url: str) -> str:
    """The database a PostgreSQL URL names."""
    return (urlsplit(url).path or "/").lstrip("/")


def dbt_env(url: str) -> dict[str, str]:
    """The env vars the dbt profile reads, derived from a PostgreSQL URL."""
    parts = urlsplit(url)
    return {
        "KAOHE_PG_HOST": parts.hostname or "127.0.0.1",
        "KAOHE_PG_PORT": str(parts.port or 5432),
        "KAOHE_PG_USER": parts.username or "postgres",
        "KAOHE_PG_PASSWORD": parts.password or "",
        "KAOHE_PG_DATABASE": (parts.path or "/kaohe").lstrip("/") or "kaohe",
    }


def connect(url: str | None = None, **kw):
    """A psycopg 3 connection to the warehouse, autocommit by default.

    Autocommit makes every ``with conn.transaction():`` block a real, top-level
    transaction (without it, a block after a plain query is only a savepoint
    and other sessions — GX's, dbt's — would not see its work).
    """
    import psycopg

    kw.setdefault("autocommit", True)
    return psycopg.connect(url or warehouse_url(), **kw)
