# Kaohe — two commands on a fresh machine:
#   make demo   set everything up and run the sample district end to end
#   make test   the same set-up, then the whole test suite
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.kaohe-synced
UV     := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: setup demo lint fmt test test-fast bench clean-state

$(STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet "uv==0.13.9" || $(PYTHON) -m pip install --quiet --user "uv==0.13.9"
	$(UV) sync --frozen
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/kaohe demo

# Superset dashboards over the marts (after `make demo`): Superset in its own locked venv (bi/superset/uv.lock; it pins
# SQLAlchemy 1.4, the project needs 2.x), metadata and the generated admin password in .kaohe/superset/, the
# dashboards imported from bi/superset/bundle/ as the read-only role kaohe_bi. `make bi-stop` stops it.
.PHONY: bi bi-stop
BI_PORT        ?= 8088
SUPERSET_VENV  := .kaohe/superset-venv
SUPERSET_HOME  := .kaohe/superset
bi: setup
	@KAOHE_UV="$(UV)" $(PYTHON) bi/superset/provision.py install --venv $(SUPERSET_VENV) >/dev/null
	@$(VENV)/bin/kaohe warehouse start >/dev/null
	@$(SUPERSET_VENV)/bin/python bi/superset/provision.py start --home $(SUPERSET_HOME) --bind 127.0.0.1:$(BI_PORT) \
		--warehouse-url "$$($(VENV)/bin/kaohe warehouse url)"
	@echo "  stop it with: make bi-stop"

bi-stop:
	@if [ -x $(SUPERSET_VENV)/bin/python ]; then $(SUPERSET_VENV)/bin/python bi/superset/provision.py stop \
		--home $(SUPERSET_HOME); fi

# The gates (`make test` and so CI run them first; .pre-commit-config.yaml runs the same, checked by
# tests/unit/test_lint_gates.py). sqlfluff's dbt templater compiles every model, which needs a warehouse:
# scripts/with-dbt-warehouse.py gives it one (started and stopped again if it was not running).
SQL_MODELS := dbt_project/models
WITH_DBT   := $(VENV)/bin/python scripts/with-dbt-warehouse.py
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(WITH_DBT) $(VENV)/bin/sqlfluff lint --processes 2 $(SQL_MODELS)

# Rewrite what the gates can fix by themselves (then `make lint` says what is left)
fmt: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	-$(WITH_DBT) $(VENV)/bin/sqlfluff fix --processes 2 $(SQL_MODELS)

# Some tests need Debian packages: Chromium and a Chinese font (notice and dashboard screenshots), Redis (the
# Celery deployment test). scripts/ensure-system-packages.sh installs what is missing, or says how to.
test: setup lint
	@scripts/ensure-system-packages.sh
	$(VENV)/bin/pytest

test-fast: setup
	$(VENV)/bin/pytest tests/unit

# The benchmark of docs/performance.md (the suite runs a part of the district table, untimed); the full table is
#   make bench BENCH_SCALES=district,city,province
BENCH_SCALES ?= district
bench: setup
	$(VENV)/bin/python benchmarks/run.py --scales $(BENCH_SCALES)

clean-state:
	-$(VENV)/bin/kaohe warehouse stop
	rm -rf .kaohe
