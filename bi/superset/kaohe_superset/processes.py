"""A Superset home (metadata, secrets, log, PID file): set-up, gunicorn serving it, stopping it by its PID, and
`start` = set up + serve + import the bundle."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import CONFIG, SCRIPT, ProvisionError, log
from .bundle import import_bundle
from .install import lock_digest
from .rest import Client

ADMIN_USER = "admin"


def home_secret(home: Path, name: str, env: str, nbytes: int) -> str:
    """A secret from the environment (a deployment's .env), else generated once and kept in home (mode 600)."""
    if os.environ.get(env):
        return os.environ[env]
    path = home / name
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def superset_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "SUPERSET_HOME": str(home),
        "SUPERSET_CONFIG_PATH": str(CONFIG),
        "SUPERSET_SECRET_KEY": home_secret(home, "secret_key", "SUPERSET_SECRET_KEY", 48),
        "FLASK_APP": "superset.app:create_app()",
        "PYTHONUNBUFFERED": "1",
    }


def setup(home: Path) -> None:
    """Metadata schema, roles and permissions, the admin user: Superset's documented first steps (`superset db
    upgrade`, `superset init`, `superset fab create-admin`), in one process (≈ 25 s; three CLI runs pay the app's
    start three times). Skipped when this home was set up by the same lock, so a second `make bi` is quick."""
    stamp = home / ".setup-done"
    metadata_there = os.environ.get("SUPERSET_METADATA_URI") or (home / "superset.db").exists()
    if metadata_there and stamp.exists() and stamp.read_text() == lock_digest():
        return
    started = time.monotonic()
    admin_password(home)  # generated before the child reads it
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "_setup", "--home", str(home)],
        env=superset_env(home),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise ProvisionError(f"Superset set-up failed:\n{done.stdout[-2000:]}\n{done.stderr[-5000:]}")
    stamp.write_text(lock_digest())
    log(f"metadata, roles and admin set up in {time.monotonic() - started:.1f} s")


def setup_in_process(home: Path) -> None:
    """The body of setup(), run in a child with superset_env() (the config is read when superset is imported)."""
    import superset
    from flask_migrate import upgrade
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        upgrade(directory=str(Path(superset.__file__).parent / "migrations"))  # superset db upgrade
        from superset import appbuilder, security_manager

        appbuilder.add_permissions(update_perms=True)  # superset init
        security_manager.sync_role_definitions()
        password = admin_password(home)
        user = security_manager.find_user(username=ADMIN_USER)
        if user is None:  # superset fab create-admin
            admin_role = security_manager.find_role(security_manager.auth_role_admin)
            if not security_manager.add_user(ADMIN_USER, "Kaohe", "Admin", "admin@kaohe.invalid", admin_role, password):
                raise ProvisionError("could not create the admin user")
        else:  # a re-run with another SUPERSET_ADMIN_PASSWORD takes effect
            security_manager.reset_password(user.id, password)


def admin_password(home: Path) -> str:
    return home_secret(home, "admin_password", "SUPERSET_ADMIN_PASSWORD", 12)


def pid_file(home: Path) -> Path:
    return home / "gunicorn.pid"


def running_pid(home: Path) -> int | None:
    try:
        pid = int(pid_file(home).read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def serve(home: Path, bind: str, detach: bool) -> subprocess.Popen:
    """gunicorn with one worker and four threads (≈ 330 MB); its own session, so stop() ends the whole group."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log_path = home / "superset.log"
    with open(log_path, "ab") as out:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "-w",
                "1",
                "--threads",
                "4",
                "-k",
                "gthread",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
                "-b",
                bind,
                "--access-logfile",
                "-",
                "superset.app:create_app()",
            ],
            env=superset_env(home),
            stdin=subprocess.DEVNULL,
            stdout=out if detach else None,
            stderr=subprocess.STDOUT if detach else None,
            start_new_session=True,
            cwd=home,
        )
    pid_file(home).write_text(str(process.pid))
    return process


def wait_healthy(base_url: str, process: subprocess.Popen, home: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log_file = home / "superset.log"
            tail = log_file.read_text(errors="replace")[-3000:] if log_file.exists() else ""
            raise ProvisionError(f"gunicorn exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(base_url + "/health", timeout=5) as response:
                if response.read().strip() == b"OK":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise ProvisionError(f"Superset did not answer {base_url}/health within {timeout:.0f} s")


def stop(home: Path, timeout: float = 20) -> bool:
    """Stops the gunicorn this home started (its process group, by the recorded PID)."""
    pid = running_pid(home)
    if pid is None:
        pid_file(home).unlink(missing_ok=True)
        return False
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and running_pid(home) == pid:
            try:  # reap it when it is our child (the foreground `up`)
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.2)
        if running_pid(home) != pid:
            break
    pid_file(home).unlink(missing_ok=True)
    return True


def port_answers(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def base_url_of(bind: str) -> str:
    host, port = bind.rsplit(":", 1)
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"


def start(home: Path, bind: str, warehouse_url: str, detach: bool = True) -> subprocess.Popen:
    """Set up, serve, import the bundle. Returns the gunicorn process (running)."""
    timings = {}
    started = time.monotonic()
    if running_pid(home):
        log("stopping the Superset this home was running")
        stop(home)
    host, port = base_url_of(bind).rsplit("//", 1)[1].rsplit(":", 1)
    if port_answers(host, int(port)):
        # else the health check below would pass on whatever already listens there
        raise ProvisionError(f"{host}:{port} is already in use: choose another port (BI_PORT=… for make bi)")
    setup(home)
    timings["setup"] = time.monotonic() - started
    process = serve(home, bind, detach)
    try:
        base_url = base_url_of(bind)
        wait_healthy(base_url, process, home)
        timings["serve"] = time.monotonic() - started - timings["setup"]
        client = Client(base_url).login(ADMIN_USER, admin_password(home))
        import_bundle(client, warehouse_url)
        timings["import"] = time.monotonic() - started - timings["setup"] - timings["serve"]
    except BaseException:
        stop(home)
        raise
    log("ready in " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return process
