"""A real, multi-process Airflow deployment for tests: Redis (Celery broker), a PostgreSQL metadata database,
`airflow api-server`, `scheduler`, `dag-processor`, `triggerer` and `airflow celery worker`, all on 127.0.0.1.

Each process is started in its own session (process group) with its output in `<root>/logs/<name>.log`, and
stopped by PID: the group first, then any descendant that left it. The settings are the ones verified on a
2-core machine (see the shared notes): short scheduler sleeps, 1 s heartbeats, no log servers.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil

REPO = Path(__file__).resolve().parents[2]
AIRFLOW = Path(sys.executable).with_name("airflow")  # the project's Airflow: it imports `kaohe` from .venv
USER, PASSWORD = "admin", "admin"
# what the Celery worker logs for every task it runs (providers-celery 3.26)
CELERY_EXECUTING = re.compile(
    r"Executing workload in Celery: .*?task_id='(?P<task>[^']+)', "
    r"dag_id='(?P<dag>[^']+)', run_id='(?P<run>[^']+)'"
)
FINISHED = {"success", "failed"}


class DeploymentError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_redis_server() -> str:
    """redis-server from Debian, installed when missing (as `make test` does); the path of the binary."""
    if found := shutil.which("redis-server"):
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "redis-server"]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
            subprocess.run(install, env=env, capture_output=True, check=False)
    if found := shutil.which("redis-server"):
        return found
    raise DeploymentError("redis-server is needed (apt-get install -y redis-server; `make test` installs it)")


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path


@dataclass
class AirflowDeployment:
    """`root` is a private folder (AIRFLOW_HOME and logs); `metadata_url` an empty PostgreSQL database
    (postgresql:// URL); `extra_env` what the DAGs need (connections, KAOHE_* settings)."""

    root: Path
    metadata_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    worker_concurrency: int = 2
    services: list[Service] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        self.home = self.root / "airflow"
        self.logs = self.root / "logs"
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.redis_port, self.api_port = free_port(), free_port()
        self.base_url = f"http://127.0.0.1:{self.api_port}"
        self._token: str | None = None
        self.env = self._environment()

    # --- configuration -------------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        passwords = self.home / "simple_auth_manager_passwords.json"
        passwords.write_text(json.dumps({USER: PASSWORD}))
        sqlalchemy_url = self.metadata_url.replace("postgresql://", "postgresql+psycopg://", 1)
        # the test session's own Airflow / Kaohe settings must not leak into the deployment
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KAOHE_"))}
        return (
            base
            | {
                "PATH": f"{AIRFLOW.parent}:{os.environ.get('PATH', '')}",
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url,
                "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + sqlalchemy_url,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(64),  # < 64 bytes: a warning on every request
                # test tempo: react within a second instead of the production defaults
                "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.2",
                "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "2",
                "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
            }
            | self.extra_env
        )

    # --- processes -----------------------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str]) -> Service:
        log = self.logs / f"{name}.log"
        with open(log, "ab") as out:
            # own session: the whole process tree can be signalled as one group
            process = subprocess.Popen(
                argv,
                env=self.env,
                cwd=self.root,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        """An `airflow` CLI command against this deployment."""
        return subprocess.run(
            [str(AIRFLOW), *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self) -> None:
        started = time.perf_counter()
        redis = self._spawn(
            "redis",
            [
                ensure_redis_server(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.redis_port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
        )
        self.wait_for(lambda: self._port_open(self.redis_port), 20, "redis to accept connections", redis)
        self.timings["redis"] = time.perf_counter() - started

        mark = time.perf_counter()
        migrated = self.airflow("db", "migrate")
        if migrated.returncode != 0:
            raise DeploymentError(f"airflow db migrate failed:\n{migrated.stderr[-3000:]}")
        self.timings["db migrate"] = time.perf_counter() - mark

        mark = time.perf_counter()
        port = str(self.api_port)
        self._spawn("api-server", [str(AIRFLOW), "api-server", "--host", "127.0.0.1", "--port", port, "--workers", "1"])
        self._spawn("scheduler", [str(AIRFLOW), "scheduler", "--skip-serve-logs"])
        self._spawn("dag-processor", [str(AIRFLOW), "dag-processor"])
        self._spawn("triggerer", [str(AIRFLOW), "triggerer", "--skip-serve-logs"])
        self._spawn(
            "celery-worker",
            [str(AIRFLOW), "celery", "worker", "--concurrency", str(self.worker_concurrency), "--skip-serve-logs"],
        )
        self.wait_for(self._healthy, 120, "the api-server, scheduler, triggerer and dag-processor to be healthy")
        self.wait_for(
            lambda: re.search(r"celery@\S+ ready", self.log_text("celery-worker")), 120, "the Celery worker to be ready"
        )
        self.timings["services healthy"] = time.perf_counter() - mark

    def _port_open(self, port: int) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    def _healthy(self) -> bool:
        try:
            health = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            return False
        parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
        return all((health.get(part) or {}).get("status") == "healthy" for part in parts)

    def wait_for(self, condition, timeout: float, what: str, *watched: Service, interval: float = 0.5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result := condition():
                return result
            for service in watched or self.services:
                if service.process.poll() is not None:
                    raise DeploymentError(
                        f"{service.name} exited ({service.process.returncode}) while waiting for"
                        f" {what}\n{self.diagnostics()}"
                    )
            time.sleep(interval)
        raise DeploymentError(f"timed out after {timeout:.0f}s waiting for {what}\n{self.diagnostics()}")

    def stop(self, grace: float = 15) -> None:
        """Stop every service by PID, all at once (the triggerer alone takes ≈ 10 s to shut down)."""
        mark = time.perf_counter()
        threads = [threading.Thread(target=_stop_tree, args=(s.process, grace)) for s in reversed(self.services)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.timings["stop"] = time.perf_counter() - mark

    # --- diagnostics ---------------------------------------------------------------------------------------
    def log_text(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def celery_executions(self) -> list[tuple[str, str, str]]:
        """(dag_id, run_id, task_id) of every workload the Celery worker logged as executing."""
        return [(m["dag"], m["run"], m["task"]) for m in CELERY_EXECUTING.finditer(self.log_text("celery-worker"))]

    def task_logs(self, dag_id: str, run_id: str) -> str:
        folder = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        return "\n".join(
            f"--- {p.relative_to(folder)}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(folder.rglob("*.log"))
        )

    def diagnostics(self, tail: int = 2500) -> str:
        hint = ""
        if "from 'celery.backends.database'" in self.log_text("celery-worker"):
            import celery

            # providers-celery 3.26.0 imports celery.backends.database.retry, which celery 5.7.0 removed
            hint = (
                f"HINT: celery {celery.__version__} does not work with this apache-airflow-providers-celery:"
                " pin celery<5.7 (5.6.3 is verified).\n"
            )
        return hint + "\n".join(
            f"===== {s.name} (exit {s.process.poll()}) =====\n{self.log_text(s.name)[-tail:]}" for s in self.services
        )

    # --- REST ----------------------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        if self._token is None:
            answer = httpx.post(
                f"{self.base_url}/auth/token", json={"username": USER, "password": PASSWORD}, timeout=30
            )
            answer.raise_for_status()
            self._token = answer.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        return httpx.request(method, f"{self.base_url}/api/v2{path}", headers=self._headers(), timeout=30, **kwargs)

    def api_json(self, method: str, path: str, **kwargs):
        answer = self.api(method, path, **kwargs)
        if answer.status_code >= 400:
            raise DeploymentError(f"{method} {path}: {answer.status_code} {answer.text[:1000]}")
        return answer.json()

    def wait_for_dags(self, *dag_ids: str, timeout: float = 90) -> None:
        self.wait_for(
            lambda: all(self.api("GET", f"/dags/{d}").status_code == 200 for d in dag_ids),
            timeout,
            f"the dag-processor to parse {', '.join(dag_ids)}",
        )

    def unpause(self, dag_id: str) -> None:
        self.api_json("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def dag_runs(self, dag_id: str) -> list[dict]:
        return self.api_json("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"]

    def trigger(self, dag_id: str, conf: dict) -> dict:
        return self.api_json("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})

    def set_run_state(self, dag_id: str, run_id: str, state: str) -> dict:
        return self.api_json("PATCH", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}", json={"state": state})

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.api_json("GET", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances")["task_instances"]

    def upstream_asset_events(self, dag_id: str, run_id: str) -> list[dict]:
        return self.api_json("GET", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/upstreamAssetEvents")[
            "asset_events"
        ]

    def wait_for_runs(self, dag_id: str, select, count: int, timeout: float) -> list[dict]:
        """Wait until `count` runs chosen by `select(run)` have finished; fail fast when one fails."""

        def finished():
            runs = [r for r in self.dag_runs(dag_id) if select(r)]
            failed = [r for r in runs if r["state"] == "failed"]
            if failed:
                logs = "\n".join(self.task_logs(dag_id, r["dag_run_id"]) for r in failed)
                raise DeploymentError(
                    f"{dag_id} runs failed: {[r['dag_run_id'] for r in failed]}\n{logs[-8000:]}\n{self.diagnostics()}"
                )
            done = [r for r in runs if r["state"] in FINISHED]
            return done if len(done) >= count else None

        return self.wait_for(finished, timeout, f"{count} {dag_id} run(s) to finish", interval=1)


def _stop_tree(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM the process group, SIGKILL whatever is left after `grace` seconds (by PID, never by name)."""
    if process.poll() is not None:
        return
    try:  # psutil.Process objects: a kill below cannot hit a recycled PID
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process.pid, signal.SIGKILL)
    for child in family:  # descendants that started a session of their own
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
