"""Static checks of the production deployment: docker-compose.yml, Dockerfile,
.env.example and the PostgreSQL init script.

Nothing here talks to a Docker engine: the files are parsed and checked for the
mistakes that would only show up on the production host (a service missing the
common settings, a secret written in clear, a port opened to the world, a mount
pointing at nothing, an image that does not match the locked Airflow...).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
INIT_SQL = REPO / "deploy" / "postgres-init" / "01-databases.sql"

AIRFLOW_SERVICES = [
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
]
LONG_RUNNING = [s for s in AIRFLOW_SERVICES if s != "airflow-init"]
API_SERVER = "airflow-apiserver"
SUPERSET = "superset"  # the dashboards (bi/superset/): its own image, its own metadata database
SUPERSET_DIR = REPO / "bi" / "superset"
PROVISIONING_PACKAGE = "kaohe_superset"  # bi/superset/kaohe_superset: the code behind provision.py
PUBLISHERS = {API_SERVER, SUPERSET}  # the only services with a port on the host, on 127.0.0.1

# repo folder -> where it is mounted in every Airflow container
CODE_MOUNTS = {
    "dags": "/opt/kaohe/dags",
    "plugins": "/opt/kaohe/plugins",
    "dbt_project": "/opt/kaohe/dbt_project",
    "expectations": "/opt/kaohe/expectations",
}
LANDING = "/opt/kaohe/landing"

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}; "$${" is an escaped "$".
VAR_REF = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}")
REQUIRED_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]+\}")
SECRET_KEY = re.compile(r"(PASSWORD|SECRET|SECRET_KEY|FERNET_KEY|TOKEN)$")


# --------------------------------------------------------------------------- helpers


def substitute(value: str) -> str:
    """Interpolate like compose with an empty environment: defaults are used, and a
    variable without default becomes the marker __NAME__ (so URLs still parse)."""

    def repl(m: re.Match) -> str:
        if m.group("op") in ("-", ":-"):
            return m.group("arg")
        return f"__{m.group('name')}__"

    return VAR_REF.sub(repl, value).replace("$$", "$")


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def mounts_of(service: dict) -> list[tuple[str, str, str]]:
    """(source, target, mode) for short and long volume syntax."""
    out = []
    for vol in service.get("volumes") or []:
        if isinstance(vol, dict):
            out.append((str(vol.get("source", "")), vol["target"], "ro" if vol.get("read_only") else "rw"))
            continue
        # the source may hold "${VAR:-./x}" (with a colon): split from the right
        parts = vol.rsplit(":", 2)
        if len(parts) == 3 and parts[2] in {"ro", "rw", "z", "Z", "cached", "delegated", "consistent"}:
            source, target, mode = parts
        else:
            source, target = vol.rsplit(":", 1)
            mode = "rw"
        out.append((source, target, "ro" if "ro" in mode.split(",") else "rw"))
    return out


def mount_at(service: dict, target: str) -> tuple[str, str, str] | None:
    return next((m for m in mounts_of(service) if m[1].rstrip("/") == target), None)


def command_of(service: dict) -> list[str]:
    cmd = service.get("command") or []
    args = shlex.split(cmd) if isinstance(cmd, str) else [str(a) for a in cmd]
    return args[1:] if args[:1] == ["airflow"] else args  # the image's entrypoint adds "airflow"


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def under(path: str, folder: str) -> bool:
    return PurePosixPath(path) == PurePosixPath(folder) or PurePosixPath(folder) in PurePosixPath(path).parents


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    return yaml.safe_load(compose_text)


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


# --------------------------------------------------------------------------- services


def test_expected_services_exist(services):
    missing = {"postgres", "redis", *AIRFLOW_SERVICES, SUPERSET} - set(services)
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_airflow_service_uses_the_common_image_and_env(compose, services, name):
    common = compose["x-airflow-common"]
    svc = services[name]
    assert svc.get("image") == common["image"]
    assert svc.get("build") == common["build"]
    assert svc.get("user") == common.get("user")
    env = env_of(svc)
    differing = {k: v for k, v in env_of(common).items() if env.get(k) != v}
    assert not differing, f"{name} lacks or overrides common env: {sorted(differing)}"
    missing = set(map(tuple, mounts_of(common))) - set(map(tuple, mounts_of(svc)))
    assert not missing, f"{name} lacks common mounts: {sorted(missing)}"


def test_common_image_is_built_from_the_dockerfile(compose):
    build = compose["x-airflow-common"]["build"]
    context, dockerfile = (
        (build, "Dockerfile")
        if isinstance(build, str)
        else (build.get("context", "."), build.get("dockerfile", "Dockerfile"))
    )
    assert (REPO / context / dockerfile).resolve() == DOCKERFILE.resolve()


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_celery_executor_with_redis_broker_and_db_results(services, name):
    env = env_of(services[name])
    assert env.get("AIRFLOW__CORE__EXECUTOR") == "CeleryExecutor"
    broker = urlsplit(substitute(env.get("AIRFLOW__CELERY__BROKER_URL", "")))
    assert broker.scheme in {"redis", "rediss"} and broker.hostname == "redis"
    backend = urlsplit(substitute(env.get("AIRFLOW__CELERY__RESULT_BACKEND", "")))
    assert backend.scheme.startswith("db+postgresql") and backend.hostname == "postgres"
    metadata = urlsplit(substitute(env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")))
    assert metadata.scheme.startswith("postgresql") and metadata.hostname == "postgres"
    assert env.get("AIRFLOW__CORE__LOAD_EXAMPLES", "").lower() == "false"
    assert env.get("AIRFLOW__CORE__DEFAULT_TIMEZONE") == "Asia/Shanghai"


def test_execution_api_url_points_at_the_api_server(services):
    url = urlsplit(env_of(services["airflow-worker"])["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
    assert url.hostname == API_SERVER
    published = [substitute(str(p)).rsplit(":", 1)[-1] for p in services[API_SERVER].get("ports", [])]
    assert str(url.port) in published, "the execution API URL must use the api-server's container port"
    assert url.path.rstrip("/") == "/execution"


def test_api_server_runs_one_worker(services):
    args = command_of(services[API_SERVER])
    assert args[:1] == ["api-server"]
    if "--workers" in args:
        workers = args[args.index("--workers") + 1]
    else:
        workers = next((a.split("=", 1)[1] for a in args if a.startswith("--workers=")), None)
    assert workers == "1", f"api-server must run with --workers 1, got {args}"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("airflow-init", ["db", "migrate"]),
        ("airflow-scheduler", ["scheduler"]),
        ("airflow-dag-processor", ["dag-processor"]),
        ("airflow-triggerer", ["triggerer"]),
        ("airflow-worker", ["celery", "worker"]),
    ],
)
def test_each_airflow_service_runs_its_command(services, name, expected):
    assert command_of(services[name])[: len(expected)] == expected


def test_init_runs_once_and_the_others_wait_for_it(services):
    init = services["airflow-init"]
    assert str(init.get("restart", "no")) in {"no", "on-failure"}
    assert init["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in LONG_RUNNING:
        deps = services[name].get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: depends_on needs conditions"
        assert deps.get("airflow-init", {}).get("condition") == "service_completed_successfully", name
        assert deps.get("postgres", {}).get("condition") == "service_healthy", name
        assert deps.get("redis", {}).get("condition") == "service_healthy", name


# --------------------------------------------------------------------------- mounts


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_code_and_landing_are_mounted(services, name):
    svc = services[name]
    for folder, target in CODE_MOUNTS.items():
        mount = mount_at(svc, target)
        assert mount, f"{name}: nothing mounted at {target}"
        source, _, mode = mount
        assert not VAR_REF.search(source) and (REPO / source).resolve() == (REPO / folder).resolve(), (
            f"{name}: {target} should come from ./{folder}, not {source}"
        )
        assert (REPO / folder).is_dir(), f"./{folder} does not exist in the repo"
        assert mode == "ro", f"{name}: {target} should be read-only"
    landing = mount_at(svc, LANDING)
    assert landing, f"{name}: nothing mounted at {LANDING}"
    ref = VAR_REF.fullmatch(landing[0])
    assert ref and ref.group("name") == "KAOHE_LANDING_HOST", "the landing root comes from KAOHE_LANDING_HOST"
    assert env_of(svc).get("KAOHE_LANDING") == LANDING


@pytest.mark.parametrize("name", AIRFLOW_SERVICES)
def test_paths_in_env_agree_with_mounts(services, name):
    svc = services[name]
    env = env_of(svc)
    assert env.get("AIRFLOW__CORE__DAGS_FOLDER") == CODE_MOUNTS["dags"]
    assert CODE_MOUNTS["plugins"] in env.get("PYTHONPATH", "").split(":")
    assert env.get("DBT_PROJECT_DIR") == CODE_MOUNTS["dbt_project"]
    profiles = env.get("DBT_PROFILES_DIR", "")
    assert under(profiles, CODE_MOUNTS["dbt_project"])
    relative = PurePosixPath(profiles).relative_to(CODE_MOUNTS["dbt_project"])
    assert (REPO / "dbt_project" / relative / "profiles.yml").is_file()
    # what dbt, GX and kaohe write must land on a writable mount, not in a read-only one
    writable = [t for _, t, mode in mounts_of(svc) if mode == "rw"]
    read_only = [t for _, t, mode in mounts_of(svc) if mode == "ro"]
    for key in ("DBT_TARGET_PATH", "DBT_LOG_PATH", "KAOHE_HOME"):
        path = env.get(key)
        assert path, f"{name}: {key} is not set"
        assert not any(under(path, t) for t in read_only), f"{name}: {key}={path} is on a read-only mount"
        assert any(under(path, t) for t in writable), f"{name}: {key}={path} is not on a volume (lost on restart)"


# --------------------------------------------------------------------------- variables and secrets


def code_lines(text: str) -> str:
    """The text without its full-line comments (compose does not interpolate those)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_every_compose_variable_is_in_env_example(compose_text):
    used = {m.group("name") for m in VAR_REF.finditer(code_lines(compose_text))}
    documented = set(env_example())
    assert not used - documented, f"missing from .env.example: {sorted(used - documented)}"
    assert not documented - used, f".env.example lists variables compose never reads: {sorted(documented - used)}"


def test_env_example_comments_and_placeholders(compose_text):
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    required = {m.group("name") for m in VAR_REF.finditer(code_lines(compose_text)) if m.group("op") in (":?", "?")}
    assert required, "no variable is marked required (${VAR:?...}) in docker-compose.yml"
    values = env_example()
    for i, line in enumerate(lines):
        key = line.partition("=")[0].strip()
        if key in values:
            assert i > 0 and lines[i - 1].startswith("#"), f".env.example: {key} has no comment line above it"
            if key in required:
                assert "change-me" in values[key], f".env.example: {key} needs a change-me placeholder"
            if key == "AIRFLOW_JWT_SECRET":
                assert "openssl rand -hex 64" in lines[i - 1]


def test_dot_env_is_git_ignored():
    patterns = {line.strip() for line in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()}
    assert ".env" in patterns or "/.env" in patterns
    assert not patterns & {".env*", ".env.*", "*.example"}, ".env.example must stay tracked"


def _all_envs(compose, services):
    yield "x-airflow-common", env_of(compose["x-airflow-common"])
    for name, svc in services.items():
        yield name, env_of(svc)


def test_secrets_come_from_required_variables(compose, services, compose_text):
    checked = 0
    for where, env in _all_envs(compose, services):
        for key, value in env.items():
            if SECRET_KEY.search(key):
                checked += 1
                assert REQUIRED_REF.fullmatch(value), f"{where}: {key} must be ${{VAR:?...}} from .env, not {value!r}"
            if "://" in value and "@" in value:
                raw_password = value.split("://", 1)[1].rsplit("@", 1)[0].partition(":")[2]
                checked += 1
                assert REQUIRED_REF.fullmatch(raw_password), f"{where}: {key} has a literal password in its URL"
    assert checked >= 5, "expected the database URLs, passwords and Airflow secrets to be checked"
    jwt = env_of(compose["x-airflow-common"]).get("AIRFLOW__API_AUTH__JWT_SECRET", "")
    assert VAR_REF.fullmatch(jwt) and VAR_REF.fullmatch(jwt).group("name") == "AIRFLOW_JWT_SECRET"


def test_no_literal_secret_anywhere_in_the_files(compose_text):
    # after removing the ${VAR} references, nothing may be left where a secret goes
    literal = re.compile(r"(?i)(password|passwd|secret|token)[\"']?\s*[:=]\s*[\"']?[^\s\"'#,}]+")
    url_password = re.compile(r"://[^/\s:@]+:[^@\s]+@")
    superset_dockerfile = SUPERSET_DIR / "Dockerfile"
    for path, text in [
        (COMPOSE, compose_text),
        (DOCKERFILE, DOCKERFILE.read_text(encoding="utf-8")),
        (superset_dockerfile, superset_dockerfile.read_text(encoding="utf-8")),
    ]:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.lstrip().startswith("#"):
                bare = VAR_REF.sub("", line)
                assert not literal.search(bare), f"{path.name}:{n}: literal secret? {line.strip()}"
                assert not url_password.search(bare), f"{path.name}:{n}: literal password in a URL: {line.strip()}"
    sql = INIT_SQL.read_text(encoding="utf-8")
    assert not re.search(r"(?i)password\s+'", sql), "the init script must not hold a literal password"


# --------------------------------------------------------------------------- network exposure


def test_only_the_api_server_and_superset_publish_ports_on_localhost(services):
    for name, svc in services.items():
        assert svc.get("network_mode") != "host", f"{name} uses the host network"
        if name not in PUBLISHERS:
            assert not svc.get("ports"), f"{name} publishes ports {svc.get('ports')}"
    for name in sorted(PUBLISHERS):
        ports = services[name].get("ports") or []
        assert ports, f"{name} publishes no port"
        for port in ports:
            if isinstance(port, dict):
                host_ip = substitute(str(port.get("host_ip", "")))
            else:
                parts = substitute(str(port)).split(":")
                host_ip = parts[0] if len(parts) == 3 else ""
            assert host_ip == "127.0.0.1", f"{name} port {port} is not bound to 127.0.0.1 by default"


def test_postgres_and_redis_have_healthchecks(services):
    for name, probe in [("postgres", "pg_isready"), ("redis", "redis-cli")]:
        check = services[name].get("healthcheck") or {}
        assert not check.get("disable"), f"{name}: healthcheck disabled"
        test = check.get("test")
        text = " ".join(test) if isinstance(test, list) else str(test or "")
        assert probe in text, f"{name}: healthcheck should run {probe}"


# --------------------------------------------------------------------------- PostgreSQL init


def test_postgres_init_script_creates_both_databases(services):
    pg = services["postgres"]
    init = mount_at(pg, "/docker-entrypoint-initdb.d")
    assert init and (REPO / init[0]).resolve() == INIT_SQL.parent.resolve()
    sql = INIT_SQL.read_text(encoding="utf-8")
    airflow_env = env_of(services["airflow-scheduler"])
    for key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "KAOHE_WAREHOUSE_URL"):
        url = urlsplit(substitute(airflow_env[key]))
        database, user = url.path.lstrip("/"), url.username
        assert re.search(rf"(?i)create\s+database\s+{database}\s+owner\s+{user}\b", sql), (
            f"{INIT_SQL.name} does not create database {database} owned by {user} ({key})"
        )
        assert re.search(rf"(?i)create\s+role\s+{user}\s+login\b", sql)
    # every password the script reads must be in the postgres container's environment
    pg_env = env_of(pg)
    for env_name in re.findall(r"\\getenv\s+\w+\s+(\w+)", sql):
        assert REQUIRED_REF.fullmatch(pg_env.get(env_name, "")), f"postgres needs {env_name} for the init script"


def test_warehouse_settings_agree(services):
    env = env_of(services["airflow-worker"])
    assert env["AIRFLOW_CONN_WAREHOUSE"] == env["KAOHE_WAREHOUSE_URL"]
    url = urlsplit(substitute(env["KAOHE_WAREHOUSE_URL"]))
    assert url.scheme == "postgresql"
    assert env["KAOHE_PG_HOST"] == url.hostname
    assert env["KAOHE_PG_PORT"] == str(url.port)
    assert env["KAOHE_PG_USER"] == url.username
    assert substitute(env["KAOHE_PG_PASSWORD"]) == url.password
    assert env["KAOHE_PG_DATABASE"] == url.path.lstrip("/")
    assert "KAOHE_DAILY_CUTOFF" in env and "KAOHE_NOTIFY_WEBHOOK" in env
    assert len(substitute(env["KAOHE_DAILY_CUTOFF"]).split()) == 5, "the cut-off default must be a 5-field cron"


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_base_image_matches_the_pinned_airflow():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [re.fullmatch(r"apache-airflow(?:\[[^\]]*\])?==(\S+)", d.replace(" ", "")) for d in project["dependencies"]]
    pinned = next(m.group(1) for m in pins if m)
    python = re.search(r">=\s*(\d+\.\d+)", project["requires-python"]).group(1)
    froms = [rest.split()[0] for word, rest in dockerfile_instructions() if word == "FROM"]
    assert froms, "no FROM in the Dockerfile"
    assert froms[-1] == f"apache/airflow:{pinned}-python{python}", (
        f"Dockerfile runs {froms[-1]}, pyproject pins apache-airflow=={pinned} on Python {python}"
    )
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"]: p["version"] for p in lock["package"]}
    assert locked.get("apache-airflow") == pinned


def test_dockerfile_installs_the_lock_then_the_project():
    steps = dockerfile_instructions()
    text = "\n".join(f"{w} {r}" for w, r in steps)
    copied = [r for w, r in steps if w == "COPY" and "--from=" not in r]
    install = next((i for i, (w, r) in enumerate(steps) if w == "RUN" and re.search(r"\buv (sync|export)\b", r)), None)
    assert install is not None, "no `uv sync`/`uv export` step"
    assert "--frozen" in steps[install][1] and "--no-dev" in steps[install][1]
    lock_copy = next(
        (i for i, (w, r) in enumerate(steps) if w == "COPY" and "uv.lock" in r and "pyproject.toml" in r), None
    )
    assert lock_copy is not None and lock_copy < install, "pyproject.toml and uv.lock must be copied before installing"
    for folder in CODE_MOUNTS:
        assert any(re.search(rf"(^|\s){folder}/?(\s|$)", r) for r in copied), f"the Dockerfile does not copy {folder}/"
    assert re.search(r"uv pip install[^\n]*\s\.(\s|$)|uv sync[^\n]*--frozen", text), (
        "the project itself is not installed"
    )
    assert re.search(r"UV_COMPILE_BYTECODE=1|--compile-bytecode|compileall", text), "bytecode is not compiled"


# --------------------------------------------------------------------------- Superset (the dashboards)


def test_superset_image_is_built_from_its_own_lock(services):
    svc = services[SUPERSET]
    build = svc["build"]
    context = SUPERSET_DIR if isinstance(build, str) else REPO / build.get("context", ".")
    dockerfile = context / ("Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile"))
    assert context.resolve() == SUPERSET_DIR.resolve(), "superset is built from bi/superset/"
    assert dockerfile.is_file()
    assert svc.get("image") != "${KAOHE_IMAGE:-kaohe-airflow:latest}", "Superset must not share the Airflow image"
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    assert re.search(r"COPY[^\n]*pyproject\.toml[^\n]*uv\.lock", text), "the lock is copied before installing"
    assert re.search(r"uv sync[^\n]*--frozen", text), "Superset is installed exactly as locked"
    copied = " ".join(re.findall(r"(?m)^COPY (?!--from)([^\n]*)", text))
    # provision.py is the entry point; the package beside it holds the code (no file of it may be left out)
    for needed in ("provision.py", "superset_config.py", "bundle/", f"{PROVISIONING_PACKAGE}/"):
        assert re.search(rf"(^|\s){re.escape(needed)}(\s|$)", copied), f"the image lacks {needed}"
    assert re.search(r'CMD \[[^\]]*"provision\.py", "up"', text), "the container must provision and serve (up)"
    # the pins that make Superset 6.1 start (docs: verified-facts), in its own lock, with SQLAlchemy 1.4
    lock = {p["name"]: p["version"] for p in tomllib.loads((SUPERSET_DIR / "uv.lock").read_text())["package"]}
    assert lock.get("apache-superset", "").startswith("6.1.")
    assert lock.get("flask-caching") == "2.3.1"
    assert lock.get("sqlalchemy", "").startswith("1.4.")
    assert {"psycopg2-binary", "cachetools", "rich"} <= set(lock)


def test_superset_metadata_database_is_created_by_the_init_script(services):
    env = env_of(services[SUPERSET])
    url = urlsplit(substitute(env["SUPERSET_METADATA_URI"]))
    assert url.scheme.startswith("postgresql") and url.hostname == "postgres"
    sql = INIT_SQL.read_text(encoding="utf-8")
    database, user = url.path.lstrip("/"), url.username
    assert re.search(rf"(?i)create\s+database\s+{database}\s+owner\s+{user}\b", sql)
    assert re.search(rf"(?i)create\s+role\s+{user}\s+login\b", sql)
    assert re.search(rf"(?i)revoke\s+connect[^;]*on\s+database\s+{database}\s+from\s+public", sql)
    assert services[SUPERSET]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_superset_reads_the_warehouse_as_the_bi_role(services):
    env = env_of(services[SUPERSET])
    bi = urlsplit(substitute(env["KAOHE_BI_WAREHOUSE_URL"]))
    warehouse = urlsplit(substitute(env_of(services["airflow-worker"])["KAOHE_WAREHOUSE_URL"]))
    assert bi.username == "kaohe_bi", "the dashboards read the marts as the read-only role, never as the owner"
    assert (bi.hostname, bi.port, bi.path) == (warehouse.hostname, warehouse.port, warehouse.path)
    # the same password the init script gives kaohe_bi
    assert (
        VAR_REF.fullmatch(env["KAOHE_BI_WAREHOUSE_URL"].split("://", 1)[1].rsplit("@", 1)[0].partition(":")[2]).group(
            "name"
        )
        == "KAOHE_BI_PASSWORD"
    )
    assert "KAOHE_BI_PASSWORD" in env_of(services["postgres"])


def test_superset_has_a_healthcheck(services):
    check = services[SUPERSET].get("healthcheck") or {}
    test = check.get("test")
    text = " ".join(test) if isinstance(test, list) else str(test or "")
    assert not check.get("disable") and "/health" in text


def test_the_dashboards_bundle_holds_no_password():
    bundle = SUPERSET_DIR / "bundle"
    databases = list((bundle / "databases").glob("*.yaml"))
    assert databases, "the bundle has no database"
    for path in databases:
        database = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert urlsplit(database["sqlalchemy_uri"]).password is None, f"{path.name}: a password in the URI"
        assert urlsplit(database["sqlalchemy_uri"]).username == "kaohe_bi"
        assert not database.get("password")
