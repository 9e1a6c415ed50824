"""Superset for the Kaohe dashboards: install, provision, serve, import the bundle, screenshot.

    provision.py install [--venv DIR]                   # the locked Superset venv (any Python 3.11; uv)
    provision.py start --home DIR --bind 127.0.0.1:8088 --warehouse-url URL   # set up, serve detached, import
    provision.py up --home DIR --bind 0.0.0.0:8088 --warehouse-url URL        # the same in the foreground (docker)
    provision.py stop --home DIR                        # stops what `start` started, by its PID
    provision.py bundle --warehouse-url URL --out FILE  # the bundle zip alone
    provision.py screenshot --base-url URL --home DIR --out-dir DIR [--dashboard SLUG]  # PNGs, JSON report

Everything but `install` runs with the Superset venv's python (bin/python of .kaohe/superset-venv): Superset pins
SQLAlchemy 1.4 and must never share the project's .venv. The module itself imports only the standard library, so
the test suite (main venv) imports its REST helpers and calls the rest as a subprocess.

The dashboards are `bundle/` (Superset's v1 export format, edited here or exported from the UI): one database
(the warehouse as the read-only role kaohe_bi), datasets over schema marts, charts and dashboards linked by fixed
UUIDs. The database's URI in the bundle is a placeholder; the real one (and the password, from KAOHE_BI_PASSWORD or
the embedded warehouse's passfile, never written into the bundle) is given at import time.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from http.cookiejar import CookieJar
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BUNDLE = HERE / "bundle"
CONFIG = HERE / "superset_config.py"
DEFAULT_VENV = REPO / ".kaohe" / "superset-venv"
BUNDLE_ROOT = "kaohe_dashboards"  # the zip's one top folder
DATABASE_FILE = "databases/kaohe_warehouse.yaml"
ADMIN_USER = "admin"
BI_ROLE = "kaohe_bi"
PASSWORD_MASK = "XXXXXXXXXX"  # superset.constants.PASSWORD_MASK
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  "--disable-dev-shm-usage", "--remote-debugging-port=0", "--remote-allow-origins=*"]


class ProvisionError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[superset] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- the venv


def lock_digest() -> str:
    return hashlib.sha256((HERE / "uv.lock").read_bytes() + (HERE / "pyproject.toml").read_bytes()).hexdigest()


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
        done = subprocess.run([*uv_command(), "sync", "--frozen", "--no-dev", "--project", str(HERE)], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ProvisionError(f"uv sync of the Superset venv failed:\n{done.stderr[-3000:]}")
        stamp.write_text(lock_digest())
        log(f"Superset venv ready in {time.monotonic() - started:.0f} s")
    return venv


# --------------------------------------------------------------------------------------------- the bundle


def bi_uri(warehouse_url: str, user: str = BI_ROLE) -> tuple[str, str | None]:
    """(SQLAlchemy URI without password, password) for the warehouse as the BI role.

    Accepts the warehouse's URL as `kaohe warehouse url` prints it (another user, postgresql://) or the BI
    role's own; the password is the URL's when it is the BI role's, else KAOHE_BI_PASSWORD, else the BI role's
    line of the passfile the URL names (the embedded warehouse's generated one). A password found in the
    passfile travels beside the URI, which then names no local file."""
    parts = urllib.parse.urlsplit(warehouse_url)
    if not parts.scheme.startswith("postgres"):
        raise ProvisionError(f"not a PostgreSQL URL: {parts.scheme}://…")
    password = urllib.parse.unquote(parts.password) if parts.password and parts.username == user else None
    password = password or os.environ.get("KAOHE_BI_PASSWORD") or None
    host = parts.hostname or "localhost"
    netloc = f"{user}@{'[' + host + ']' if ':' in host else host}" + (f":{parts.port}" if parts.port else "")
    query = parts.query
    if password is None and "passfile=" in query:
        password = passfile_password(urllib.parse.urlunsplit(parts._replace(netloc=netloc)))
        if password is not None:
            query = "&".join(item for item in query.split("&") if not item.startswith("passfile="))
    return urllib.parse.urlunsplit(("postgresql+psycopg2", netloc, parts.path, query, "")), password


def passfile_password(url: str) -> str | None:
    """The password libpq would take from the URL's passfile: Kaohe's own lookup (kaohe.warehouse imports the
    standard library only, so this venv can load it from the checkout; a docker image passes passwords instead)."""
    sys.path.insert(0, str(REPO / "plugins"))
    try:
        from kaohe.warehouse import url_password
    except ImportError as exc:
        raise ProvisionError(f"the URL names a passfile, but kaohe.warehouse is not importable from {REPO}:"
                             f" give KAOHE_BI_PASSWORD instead ({exc})") from exc
    finally:
        sys.path.remove(str(REPO / "plugins"))
    return url_password(url)


def bundle_zip(sqlalchemy_uri: str) -> bytes:
    """The bundle as Superset imports it: one top folder, the database's URI set to the warehouse's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in BUNDLE.rglob("*.yaml")):
            relative = path.relative_to(BUNDLE).as_posix()
            text = path.read_text(encoding="utf-8")
            if relative == DATABASE_FILE:
                text, replaced = re.subn(r"(?m)^sqlalchemy_uri: .*$", f"sqlalchemy_uri: {sqlalchemy_uri}", text)
                if replaced != 1:
                    raise ProvisionError(f"{DATABASE_FILE} has no sqlalchemy_uri line")
            archive.writestr(f"{BUNDLE_ROOT}/{relative}", text)
    return buffer.getvalue()


def bundle_objects() -> dict[str, list[dict]]:
    """The bundle's YAML files by kind (needs PyYAML: both venvs have it)."""
    import yaml

    objects: dict[str, list[dict]] = {"databases": [], "datasets": [], "charts": [], "dashboards": []}
    for path in sorted(BUNDLE.rglob("*.yaml")):
        kind = path.relative_to(BUNDLE).parts[0]
        if kind in objects:
            objects[kind].append(yaml.safe_load(path.read_text(encoding="utf-8")))
    return objects


# --------------------------------------------------------------------------------------------- REST


class SupersetError(RuntimeError):
    def __init__(self, status: int, body: str, what: str):
        super().__init__(f"{what}: HTTP {status}: {body[:2000]}")
        self.status, self.body = status, body


class Client:
    """Superset's REST API with a bearer token, the session cookie and the CSRF token (standard library only)."""

    def __init__(self, base_url: str, timeout: float = 120):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.token: str | None = None
        self.csrf: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
                raw: bool = False):
        headers = {"Accept": "application/json", "Referer": self.base_url + "/"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.csrf:
            headers["X-CSRFToken"] = self.csrf
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                data = response.read()
        except urllib.error.HTTPError as err:
            raise SupersetError(err.code, err.read().decode("utf-8", "replace"), f"{method} {path}") from None
        return data if raw else json.loads(data or b"null")

    def get(self, path: str, **query):
        if query:
            path += "?" + urllib.parse.urlencode({k: v if isinstance(v, str) else rison(v) for k, v in query.items()})
        return self.request("GET", path)

    def post(self, path: str, payload) -> dict:
        return self.request("POST", path, json.dumps(payload).encode(), "application/json")

    def put(self, path: str, payload) -> dict:
        return self.request("PUT", path, json.dumps(payload).encode(), "application/json")

    def post_multipart(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> dict:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                         f"Content-Type: application/zip\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}")

    def login(self, username: str, password: str) -> "Client":
        answer = self.post("/api/v1/security/login",
                           {"username": username, "password": password, "provider": "db", "refresh": False})
        self.token = answer["access_token"]
        # the CSRF token belongs to the session cookie this request sets
        self.csrf = self.get("/api/v1/security/csrf_token/")["result"]
        return self

    def all(self, resource: str) -> list[dict]:
        """Every row of a list endpoint (dataset, chart, dashboard, database)."""
        rows, page = [], 0
        while True:
            answer = self.get(f"/api/v1/{resource}/", q={"page": page, "page_size": 100})
            rows += answer["result"]
            if len(rows) >= answer["count"] or not answer["result"]:
                return rows
            page += 1

    def chart_data(self, chart_id: int, filters: list[dict] | None = None) -> list[dict]:
        """The rows of a chart's saved query, optionally with filters added the way a dashboard filter adds them
        ({"col": ..., "op": "IN", "val": [...]}): what the chart shows."""
        if not filters:
            answer = self.get(f"/api/v1/chart/{chart_id}/data/")
        else:
            chart = self.get(f"/api/v1/chart/{chart_id}")["result"]
            query_context = json.loads(chart["query_context"])
            for query in query_context["queries"]:
                query["filters"] = [*query.get("filters", []), *filters]
            answer = self.post("/api/v1/chart/data", query_context)
        return [row for result in answer["result"] for row in result["data"]]

    def sql(self, database_id: int, sql: str, schema: str = "marts") -> dict:
        """Runs a statement in SQL Lab (synchronously) as the database's user; SupersetError when refused."""
        return self.post("/api/v1/sqllab/execute/", {"database_id": database_id, "sql": sql, "schema": schema,
                                                     "runAsync": False, "select_as_cta": False})


def rison(value) -> str:
    """The little of Rison that list queries need (dicts, lists, numbers, plain strings)."""
    if isinstance(value, dict):
        return "(" + ",".join(f"{k}:{rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, (list, tuple)):
        return "!(" + ",".join(rison(v) for v in value) + ")"
    if isinstance(value, bool):
        return "!t" if value else "!f"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + str(value).replace("!", "!!").replace("'", "!'") + "'"


def import_bundle(client: Client, warehouse_url: str) -> None:
    """Imports (overwrites) the bundle through /api/v1/assets/import/, then points every native filter at the
    charts' new ids (the importer maps a filter's excluded charts but not its chartsInScope)."""
    uri, password = bi_uri(warehouse_url)
    fields = {"overwrite": "true"}
    if password:
        # the URI carries Superset's password mask, the password travels beside it (as in Superset's own exports):
        # a URI without one would reset the stored password to none
        uri = uri.replace(f"//{BI_ROLE}@", f"//{BI_ROLE}:{PASSWORD_MASK}@", 1)
        fields["passwords"] = json.dumps({DATABASE_FILE: password})
    client.post_multipart("/api/v1/assets/import/", fields, {"bundle": ("kaohe_dashboards.zip", bundle_zip(uri))})
    for dashboard in bundle_objects()["dashboards"]:
        live = client.get(f"/api/v1/dashboard/{dashboard['slug']}")["result"]
        metadata = json.loads(live["json_metadata"])
        metadata.pop("positions", None)  # a PUT with "positions" would rewrite the layout and the chart list
        position = json.loads(live["position_json"])
        chart_ids = sorted(c["meta"]["chartId"] for c in position.values()
                           if isinstance(c, dict) and c.get("type") == "CHART")
        for native_filter in metadata.get("native_filter_configuration", []):
            excluded = set(native_filter.get("scope", {}).get("excluded", []))
            native_filter["chartsInScope"] = [c for c in chart_ids if c not in excluded]
        client.put(f"/api/v1/dashboard/{live['id']}", {"json_metadata": json.dumps(metadata, ensure_ascii=False)})


# --------------------------------------------------------------------------------------------- set-up and serving


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
    return {**os.environ, "SUPERSET_HOME": str(home), "SUPERSET_CONFIG_PATH": str(CONFIG),
            "SUPERSET_SECRET_KEY": home_secret(home, "secret_key", "SUPERSET_SECRET_KEY", 48),
            "FLASK_APP": "superset.app:create_app()", "PYTHONUNBUFFERED": "1"}


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
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "_setup", "--home", str(home)],
                          env=superset_env(home), capture_output=True, text=True, timeout=900)
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
            if not security_manager.add_user(ADMIN_USER, "Kaohe", "Admin", "admin@kaohe.invalid", admin_role,
                                             password):
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
            [str(gunicorn), "-w", "1", "--threads", "4", "-k", "gthread", "--timeout", "120", "--graceful-timeout", "5",
             "-b", bind, "--access-logfile", "-", "superset.app:create_app()"],
            env=superset_env(home), stdin=subprocess.DEVNULL, stdout=out if detach else None,
            stderr=subprocess.STDOUT if detach else None, start_new_session=True, cwd=home)
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


def missing_marts(client: Client) -> list[str]:
    """The marts the datasets read that the warehouse does not have (yet): all of them before `make demo`."""
    database = client.all("database")[0]["id"]
    tables = client.get(f"/api/v1/database/{database}/tables/", q={"schema_name": "marts", "force": True})
    present = {t["value"] for t in tables["result"]}
    wanted = set()
    for dataset in bundle_objects()["datasets"]:
        wanted |= set(re.findall(r"\bmarts\.(\w+)", dataset.get("sql") or "")) or {dataset["table_name"]}
    return sorted(wanted - present)


def print_welcome(home: Path, base_url: str, pid: int, detached: bool) -> None:
    client = Client(base_url).login(ADMIN_USER, admin_password(home))
    logs = home / "superset.log" if detached else "stdout"
    print(f"Superset (考核看板) is up: {base_url}/  (gunicorn PID {pid}, log {logs})")
    where = home / "admin_password" if not os.environ.get("SUPERSET_ADMIN_PASSWORD") else "SUPERSET_ADMIN_PASSWORD"
    secret = admin_password(home) if detached else "(see .env)"
    print(f"  login: {ADMIN_USER} / {secret}   (kept in {where})")
    for dashboard in sorted(client.all("dashboard"), key=lambda d: d["id"]):
        print(f"  {dashboard['dashboard_title']}: {base_url}/superset/dashboard/{dashboard['slug']}/")
    try:
        if missing := missing_marts(client):
            what = "marts" if len(missing) > 3 else "marts." + ", marts.".join(missing)
            print(f"  warning: the warehouse has no {what} yet: run `make demo` first (the charts stay empty)")
    except SupersetError as err:  # e.g. no role kaohe_bi yet: the project creates it on its first run
        print(f"  warning: cannot read the warehouse as {BI_ROLE} ({err.body[:300]}): run `make demo` first")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------- screenshots

# Runs in the dashboard page: what each chart holder shows (still loading, an error, or something drawn).
PROBE = r"""(() => {
  const holders = [...document.querySelectorAll('.dashboard-component-chart-holder')];
  const charts = holders.map(h => {
    const title = h.querySelector('[data-test="editable-title"], .header-title, .editable-title');
    const text = h.innerText || '';
    return {
      title: title ? title.innerText.trim() : '',
      loading: !!h.querySelector('[data-test="loading-indicator"], .loading, [aria-label="loading"]'),
      error: !!h.querySelector('.alert-danger, .ant-alert-error, [data-test="error-alert"]')
             || /Unexpected error|查询出错|错误|Error/.test(text) && !h.querySelector('canvas, table'),
      empty: /No results|没有结果|无结果|No data/.test(text),
      canvas: h.querySelectorAll('canvas').length,
      rows: h.querySelectorAll('table tbody tr').length,
      big_number: (h.querySelector('.header-line, [data-test="big-number"]') || {}).innerText || '',
      text: text.slice(0, 300),
    };
  });
  const filters = [...document.querySelectorAll('[data-test="filter-control-name"], .filter-control-name')]
    .map(f => f.innerText.trim());
  // the values the filter bar has selected (e.g. the quarter a dashboard opens on)
  const selected = [...document.querySelectorAll('.ant-select-selection-item')]
    .map(s => (s.getAttribute('title') || s.innerText || '').trim()).filter(s => s);
  // the picture ends below the last chart (the page itself is as tall as the window)
  const bottom = Math.max(0, ...holders.map(h => h.getBoundingClientRect().bottom + window.scrollY));
  return JSON.stringify({title: document.title, url: location.href, charts, filters, selected, height: Math.ceil(bottom + 24)});
})()"""


class DevTools:
    """A minimal Chrome DevTools Protocol session over websocket-client (in the Superset venv's lock)."""

    def __init__(self, ws_url: str):
        import websocket  # websocket-client

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise ProvisionError(f"DevTools {method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def close(self) -> None:
        self.ws.close()


def session_cookie(base_url: str, username: str, password: str) -> str:
    """Logs in through the login form (as a person would) and returns the session cookie's value."""
    client = Client(base_url)
    page = client.request("GET", "/login/", raw=True).decode("utf-8", "replace")
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    form = {"username": username, "password": password}
    if found:
        form["csrf_token"] = found.group(1)
    try:
        client.request("POST", "/login/", urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded",
                       raw=True)
    except SupersetError as err:  # a redirect to a page that needs more than we send is fine: the cookie is set
        if err.status >= 500:
            raise
    cookie = next((c.value for c in client.cookies if c.name == "session"), None)
    if not cookie:
        raise ProvisionError("the login form set no session cookie")
    return cookie


def screenshots(base_url: str, username: str, password: str, slugs: list[str], out_dir: Path, width: int = 1600,
                timeout: float = 90) -> dict[str, dict]:
    """Opens each dashboard in one headless Chromium as a logged-in user, waits until every chart has finished
    loading and saves a PNG of the whole dashboard as <out_dir>/<slug>.png. Returns the probe's report per
    dashboard (charts drawn, errors, filters).

    Chromium stays in this process's group (a caller that kills the group kills it too) and is killed here."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not chromium:
        raise ProvisionError("chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    cookie = session_cookie(base_url, username, password)
    profile = Path(tempfile.mkdtemp(prefix="kaohe-chromium-"))
    viewport = 2600  # taller than every dashboard: no resize (and redraw) before the picture
    browser = subprocess.Popen([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                f"--window-size={width},{viewport}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline or browser.poll() is not None:
                raise ProvisionError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            page = next(t for t in json.loads(response.read()) if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        reports = {}
        try:
            tools.call("Network.enable")
            tools.call("Network.setCookie", name="session", value=cookie, url=base_url + "/", httpOnly=True)
            tools.call("Page.enable")
            for slug in slugs:
                tools.call("Emulation.setDeviceMetricsOverride", width=width, height=viewport, deviceScaleFactor=1,
                           mobile=False)
                tools.call("Page.navigate", url=f"{base_url}/superset/dashboard/{slug}/?standalone=1")
                time.sleep(0.5)  # let the previous page go before probing the new one
                report = wait_for_charts(tools, timeout)
                height = min(max(report.get("height", 0), 600), 8000)
                if height > viewport:  # a taller dashboard: grow the page to it and let the charts redraw
                    tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                               deviceScaleFactor=1, mobile=False)
                    time.sleep(1.5)
                    report = wait_for_charts(tools, timeout)
                shot = tools.call("Page.captureScreenshot", format="png",
                                  clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
                out = out_dir / f"{slug}.png"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(base64.b64decode(shot["data"]))
                reports[slug] = {**report, "png": str(out), "size": [width, height]}
            return reports
        finally:
            tools.close()
    finally:
        browser.kill()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


def wait_for_charts(tools: DevTools, timeout: float) -> dict:
    """Polls the probe until the charts are there and none is loading (then a moment more for animations)."""
    deadline = time.monotonic() + timeout
    report: dict = {}
    while time.monotonic() < deadline:
        raw = tools.evaluate(PROBE)
        report = json.loads(raw) if raw else {}
        charts = report.get("charts", [])
        if charts and not any(c["loading"] for c in charts) and all(
                c["canvas"] or c["rows"] or c["big_number"] or c["error"] or c["empty"] for c in charts):
            time.sleep(1.0)  # ECharts animates its first frame in
            return json.loads(tools.evaluate(PROBE))
        time.sleep(0.5)
    report["timed_out"] = True
    return report


# --------------------------------------------------------------------------------------------- command line


def start_command(home: Path, bind: str, warehouse_url: str, foreground: bool) -> int:
    """`start` (detached: returns once Superset is up) and `up` (foreground: returns when gunicorn has ended)."""
    serving: list[subprocess.Popen] = []
    stop_requested: list[int] = []

    def on_stop(signum, _frame):
        # the container's main process: a stop during set-up ends it (start() cleans up), a stop while
        # serving is passed on to gunicorn (its own process group), whose exit ends us
        stop_requested.append(signum)
        if not serving:
            raise SystemExit(128 + signum)
        try:
            os.killpg(serving[0].pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    if foreground:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, on_stop)
    process = start(home, bind, warehouse_url, detach=not foreground)
    serving.append(process)
    try:
        print_welcome(home, base_url_of(bind), process.pid, detached=not foreground)
        if foreground:
            code = process.wait()
            return 0 if stop_requested else code or 1
    except (OSError, SupersetError):
        if stop_requested:  # stopped while still printing the welcome: gunicorn is gone, nothing to report
            return 0
        raise
    finally:
        if foreground:  # whatever ends us ends gunicorn too
            stop(home)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="provision.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{install,start,up,stop,bundle,screenshot}")
    p = sub.add_parser("install", help="create/update the Superset venv from uv.lock")
    p.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    for name in ("start", "up"):
        p = sub.add_parser(name, help="set up, serve and import the bundle" + (" (foreground)" if name == "up" else ""))
        p.add_argument("--home", type=Path, default=Path(os.environ.get("SUPERSET_HOME", REPO / ".kaohe" / "superset")))
        p.add_argument("--bind", default=os.environ.get("SUPERSET_BIND", "127.0.0.1:8088"))
        p.add_argument("--warehouse-url", default=os.environ.get("KAOHE_BI_WAREHOUSE_URL"))
    p = sub.add_parser("_setup")  # setup()'s child, in the Superset app's process
    p.add_argument("--home", type=Path, required=True)
    p = sub.add_parser("stop", help="stop what start started")
    p.add_argument("--home", type=Path, default=REPO / ".kaohe" / "superset")
    p = sub.add_parser("bundle", help="write the bundle zip")
    p.add_argument("--warehouse-url", required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("screenshot", help="PNGs of dashboards (<out-dir>/<slug>.png); prints the render reports")
    p.add_argument("--base-url", required=True)
    p.add_argument("--home", type=Path, required=True, help="where the admin password is kept")
    p.add_argument("--dashboard", action="append", help="a dashboard's slug (repeatable; default: all of the bundle)")
    p.add_argument("--out-dir", type=Path, required=True)
    p.add_argument("--width", type=int, default=1600)
    args = parser.parse_args(argv)
    if getattr(args, "home", None):
        args.home = args.home.absolute()  # gunicorn runs in it, and SQLite paths must not depend on the cwd

    try:
        if args.command == "install":
            print(install(args.venv))
        elif args.command in ("start", "up"):
            if not args.warehouse_url:
                raise ProvisionError("--warehouse-url (or KAOHE_BI_WAREHOUSE_URL) is required")
            return start_command(args.home, args.bind, args.warehouse_url, foreground=args.command == "up")
        elif args.command == "_setup":
            setup_in_process(args.home)
        elif args.command == "stop":
            print("stopped" if stop(args.home) else "not running")
        elif args.command == "bundle":
            args.out.write_bytes(bundle_zip(bi_uri(args.warehouse_url)[0]))
            print(args.out)
        elif args.command == "screenshot":
            slugs = args.dashboard or [d["slug"] for d in bundle_objects()["dashboards"]]
            reports = screenshots(args.base_url, ADMIN_USER, admin_password(args.home), slugs, args.out_dir,
                                  args.width)
            print(json.dumps(reports, ensure_ascii=False))
    except (ProvisionError, SupersetError) as err:
        print(f"provision.py {args.command}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
