# syntax=docker/dockerfile:1
# Kaohe's Airflow image: the official Airflow image (it already carries the
# Celery provider and Redis client that the CeleryExecutor needs) plus the
# dependencies exactly as locked in uv.lock, plus the project itself.
# The tag must match the apache-airflow pin in pyproject.toml (a unit test checks it).
FROM apache/airflow:3.3.2-python3.11

# The uv that wrote uv.lock (the base image's own uv may be older than the lock format).
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv

# uv installs into the image's Airflow virtualenv ($VIRTUAL_ENV=/home/airflow/.local)
# and compiles bytecode for the whole site-packages (the base image ships none).
ENV UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1 \
    KAOHE_PROJECT_ROOT=/opt/kaohe \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/kaohe/dags

USER root
RUN install -d -o airflow -g 0 -m 2775 /opt/kaohe /opt/kaohe/state /opt/kaohe/landing
USER airflow
WORKDIR /opt/kaohe

# 1. Third-party dependencies, exactly as locked, without dev tools (this layer only
#    changes with the lock). Installed beside the base image's Celery provider.
COPY --chown=airflow:0 pyproject.toml uv.lock ./
RUN uv export --frozen --no-dev --no-emit-project --no-header -o /tmp/requirements.txt \
 && uv pip install --requirements /tmp/requirements.txt \
 && rm /tmp/requirements.txt \
 && python -c "from importlib.metadata import version as v; \
      [v(d) for d in ('apache-airflow-providers-celery', 'celery', 'redis', 'dbt-postgres')]" \
 && python -c "import airflow.providers.celery.executors.celery_executor"

# 2. The project: the kaohe package (and the `kaohe` command), its dbt project,
#    expectations and DAGs. --no-deps: the dependencies are the locked ones above.
COPY --chown=airflow:0 README.md ./
COPY --chown=airflow:0 plugins/ plugins/
RUN uv pip install --no-deps .
COPY --chown=airflow:0 dbt_project/ dbt_project/
COPY --chown=airflow:0 expectations/ expectations/
COPY --chown=airflow:0 dags/ dags/
RUN python -m compileall -q plugins dags
