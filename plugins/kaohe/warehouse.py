"""The warehouse: a PostgreSQL URL from KAOHE_WAREHOUSE_URL, or the embedded one.

The embedded warehouse is a private PostgreSQL cluster in the state folder
(``.kaohe/pg``), started on demand and reused across commands. PostgreSQL
refuses to run as root, so as root the server runs as the unprivileged
``postgres`` OS user (created if missing). The system's PostgreSQL binaries are
used when present; otherwise the ones bundled in the ``pgserver`` wheel.

No way in without a password: every role (the superuser ``kaohe`` too) logs in
with scram-sha-256, over TCP on 127.0.0.1 only; the server has no unix socket at
all (``unix_socket_directories = ''``), so there is no socket directory to guard.
The passwords are generated on first start into ``<home>/pgpass`` (mode 0600, a
libpq passfile), and the URL names it: ``postgresql://kaohe@127.0.0.1:PORT/kaohe
?passfile=/abs/.kaohe/pg/pgpass`` works as is with psql, pg_dump, psycopg and
SQLAlchemy. A cluster from an earlier version (``trust``) is upgraded on start.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from kaohe.settings import settings, state_dir

if TYPE_CHECKING:
    import psycopg
    from psycopg.abc import Params

DB_NAME = "kaohe"
SUPERUSER = "kaohe"
SERVER_OS_USER = "postgres"
# pg_hba.conf of every embedded cluster: a password for every role, every way in (also `local`,
# should a socket ever be configured). Compared verbatim on start: anything else is rewritten.
MANAGED_HBA = """\
# Written by Kaohe (plugins/kaohe/warehouse.py): rewritten on start whenever it differs from this.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  scram-sha-256
host    all          all   127.0.0.1/32   scram-sha-256
host    all          all   ::1/128        scram-sha-256
local   replication  all                  scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
host    replication  all   ::1/128        scram-sha-256
"""


class WarehouseError(RuntimeError):
    pass


def find_pg_bindir() -> Path:
    """The folder holding initdb/pg_ctl: system PostgreSQL first, pgserver's otherwise."""
    if configured := settings().pg_bindir:
        return configured
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


def _new_password() -> str:
    return secrets.token_urlsafe(24)


def _passfile_fields(line: str) -> list[str] | None:
    """host, port, database, user, password of a passfile line (libpq's format: `\\` escapes `:` and `\\`)."""
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    fields: list[str] = []
    field, escaped = "", False
    for char in line:
        if escaped:
            field, escaped = field + char, False
        elif char == "\\":
            escaped = True
        elif char == ":":
            if len(fields) == 4:
                break  # as libpq: an unescaped colon ends the password
            fields.append(field)
            field = ""
        else:
            field += char
    fields.append(field)
    return fields if len(fields) == 5 else None


def read_passfile(path: Path) -> dict[str, str]:
    """user -> password of the lines that match any host, port and database (the embedded warehouse's own)."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return {}
    entries: dict[str, str] = {}
    for fields in filter(None, map(_passfile_fields, text.splitlines())):
        if fields[:3] == ["*", "*", "*"]:
            entries.setdefault(fields[3], fields[4])
    return entries


def write_passfile(path: Path, passwords: dict[str, str]) -> None:
    """Replace the passfile atomically; mode 0600 from the start (libpq ignores a passfile others can read)."""

    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\").replace(":", "\\:")

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # a leftover would keep its mode
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("# The embedded warehouse's passwords (libpq passfile; generated by Kaohe, mode 0600).\n")
        out.writelines(f"*:*:*:{escaped(user)}:{escaped(password)}\n" for user, password in passwords.items())
    os.replace(tmp, path)


def _query(url: str) -> dict[str, str]:
    """A URL's query as libpq reads it: %-escapes decoded, a '+' stays a '+'."""
    pairs = (item.partition("=") for item in urlsplit(url).query.split("&") if item)
    return {unquote(key): unquote(value) for key, _, value in pairs}


def url_password(url: str) -> str | None:
    """The password a libpq client would send for ``url``: the URL's own, its ``password`` option, or the
    line of its ``passfile`` that matches host, port, database and user (first match, ``*`` a wildcard)."""
    parts = urlsplit(url)
    if parts.password is not None:
        return unquote(parts.password)
    options = _query(url)
    if "password" in options:
        return options["password"]
    if not options.get("passfile"):
        return None
    user = unquote(parts.username or "") or options.get("user", "")
    wanted = [parts.hostname or "localhost", str(parts.port or 5432), database_name(url) or user, user]
    try:
        lines = Path(options["passfile"]).read_text().splitlines()
    except OSError:
        return None
    for fields in filter(None, map(_passfile_fields, lines)):
        if all(field in ("*", value) for field, value in zip(fields[:4], wanted, strict=False)):
            return fields[4]
    return None


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
    def passfile(self) -> Path:
        """Every role's password, as a libpq passfile only its owner can read: the one way in."""
        return self.home.absolute() / "pgpass"

    @property
    def port(self) -> int:
        if not self.port_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            self.port_file.write_text(str(_free_port()))
        return int(self.port_file.read_text())

    def url(self, user: str = SUPERUSER) -> str:
        """The URL of the warehouse database as ``user``; libpq finds the password in the passfile it names."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{DB_NAME}?passfile={quote(str(self.passfile), safe='/')}"

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

    @contextlib.contextmanager
    def _locked(self):
        """One process at a time initialises, starts, secures or stops this cluster."""
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    @contextlib.contextmanager
    def _password_file_for_initdb(self, folder: Path, password: str):
        """initdb reads the superuser's password from a file the server user can read: a private one, briefly."""
        fd, name = tempfile.mkstemp(prefix=".initdb-pw-", dir=folder)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(password + "\n")
            if os.geteuid() == 0:
                shutil.chown(name, SERVER_OS_USER)
            yield name
        finally:
            os.unlink(name)

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
        # the superuser's password is on disk before the cluster exists: no moment without one
        passwords = read_passfile(self.passfile)
        passwords.setdefault(SUPERUSER, _new_password())
        write_passfile(self.passfile, passwords)
        bindir = find_pg_bindir()
        with self._password_file_for_initdb(data_dir.parent, passwords[SUPERUSER]) as pwfile:
            out = self._as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            )
        if out.returncode != 0:
            raise WarehouseError(f"initdb failed: {out.stderr.strip() or out.stdout.strip()}")
        (data_dir / "pg_hba.conf").write_text(MANAGED_HBA)
        # Modest settings for a 2-core laptop-sized machine; COPY-heavy loads.
        with open(data_dir / "postgresql.auto.conf", "a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"  # TCP only: no socket, no socket directory to protect
                "password_encryption = 'scram-sha-256'\n"
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
        with self._locked():
            if not self.initialised():
                self.init()
            if self.running():
                self._secure()
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
                [
                    str(bindir / "pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(log_file),
                    "-o",
                    f"-p {self.port}",
                ]
            )
            if out.returncode != 0:
                raise WarehouseError(
                    f"PostgreSQL did not start: {out.stderr.strip() or out.stdout.strip()} (log: {log_file})"
                )
            self._secure()
            self._ensure_database()
            return self.url()

    def stop(self) -> bool:
        with self._locked():
            if not self.running():
                return False
            bindir = find_pg_bindir()
            self._as_server_user([str(bindir / "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.data_dir)])
            return True

    def remove(self) -> None:
        """Stop the server and delete the cluster and its home (wherever the data folder lives)."""
        data_dir = self.data_dir
        self.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def _desired_passwords(self, current: dict[str, str]) -> dict[str, str]:
        """The superuser's password as generated once; a reader role's from its env var when set (as in a
        deployment), else as generated once."""
        from kaohe.access import given_passwords

        # the districts' reader roles (kaohe district add) keep theirs
        desired = {**current, SUPERUSER: current.get(SUPERUSER) or _new_password()}
        for role, given in given_passwords().items():
            desired[role] = given or current.get(role) or _new_password()
        return desired

    def _secure(self) -> None:
        """Every role has the password of the passfile and pg_hba.conf asks for it. Upgrades a cluster of an
        earlier version (trust, no passwords) in place, data untouched; a no-op (two file reads) otherwise."""
        hba = self.data_dir / "pg_hba.conf"
        current = read_passfile(self.passfile)
        desired = self._desired_passwords(current)
        managed = hba.read_text() == MANAGED_HBA
        if managed and desired == current:
            return
        if managed and SUPERUSER not in current:
            raise WarehouseError(
                f"the embedded warehouse's passwords file {self.passfile} is missing or has no"
                f" line for {SUPERUSER}: restore it (its data is in {self.data_dir})"
            )
        import psycopg
        from psycopg import sql

        from kaohe.access import create_login_role

        # a trust cluster lets this in without a password; a managed one with the superuser's (unchanged)
        admin_url = database_url(self.url(), "postgres")

        def admin() -> psycopg.Connection:
            return psycopg.connect(admin_url, password=desired[SUPERUSER], autocommit=True)

        with admin() as conn:
            for role, password in desired.items():
                create_login_role(conn, role)
                conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(password)))
            write_passfile(self.passfile, desired)
            if managed:
                return
            hba.write_text(MANAGED_HBA)
            loaded = scalar(conn, "select pg_conf_load_time()")
            conn.execute("select pg_reload_conf()")
        # the postmaster reloads asynchronously: return once new sessions get the new rules
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with admin() as conn:
                if scalar(conn, "select pg_conf_load_time()") > loaded:
                    return
            time.sleep(0.05)
        raise WarehouseError(f"PostgreSQL did not reload {hba} within 10 s (log: {self.log_file})")

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(database_url(self.url(), "postgres"), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (DB_NAME,)).fetchone()
            if not exists:
                conn.execute(f'create database "{DB_NAME}"')


def embedded_passfile_of(conn: psycopg.Connection) -> Path | None:
    """The embedded warehouse's passfile if ``conn`` is a session of it (it keeps every role's password), else
    None (a deployment's DBA keeps its passwords)."""
    passfile = conn.info.get_parameters().get("passfile")
    embedded = EmbeddedWarehouse.default().passfile
    return embedded if passfile and Path(passfile).absolute() == embedded else None


def remembered_password(passfile: Path, role: str) -> str:
    """``role``'s password in the passfile, generated and written there first if it has none."""
    passwords = read_passfile(passfile)
    if role not in passwords:
        passwords[role] = _new_password()
        write_passfile(passfile, passwords)
    return passwords[role]


def warehouse_url(start: bool = True) -> str:
    """The warehouse to use: KAOHE_WAREHOUSE_URL, else the embedded one (started)."""
    if url := settings().warehouse_url:
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
        "KAOHE_PG_PASSWORD": url_password(url) or "",
        "KAOHE_PG_DATABASE": (parts.path or "/kaohe").lstrip("/") or "kaohe",
    }


def connect(url: str | None = None, **kw: Any) -> psycopg.Connection:
    """A psycopg 3 connection to the warehouse, autocommit by default.

    Autocommit makes every ``with conn.transaction():`` block a real, top-level
    transaction (without it, a block after a plain query is only a savepoint
    and other sessions — GX's, dbt's — would not see its work).
    """
    import psycopg

    kw.setdefault("autocommit", True)
    return psycopg.connect(url or warehouse_url(), **kw)


def one_row(conn: psycopg.Connection, query: str, params: Params | None = None) -> tuple[Any, ...]:
    """The row of a query that always returns one (a function call, an aggregate, a catalogue lookup)."""
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise WarehouseError(f"the query returned no row: {query!r}")
    return tuple(row)


def scalar(conn: psycopg.Connection, query: str, params: Params | None = None) -> Any:
    """The one value of such a query."""
    return one_row(conn, query, params)[0]
