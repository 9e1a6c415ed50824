# Kaohe — two commands on a fresh machine:
#   make demo   set everything up and run the sample district end to end
#   make test   the same set-up, then the whole test suite
PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.kaohe-synced
UV     := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")

.PHONY: setup demo test test-fast bench clean-state

$(STAMP): pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet "uv==0.13.9" || $(PYTHON) -m pip install --quiet --user "uv==0.13.9"
	$(UV) sync --frozen
	@touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/kaohe demo

# Some tests need Debian packages: Chromium and a Chinese font (notice and dashboard screenshots), Redis (the
# Celery deployment test). scripts/ensure-system-packages.sh installs what is missing, or says how to.
test: setup
	@scripts/ensure-system-packages.sh
	$(VENV)/bin/pytest

test-fast: setup
	$(VENV)/bin/pytest tests/unit

bench: setup
	$(VENV)/bin/python benchmarks/run.py --scales district

clean-state:
	-$(VENV)/bin/kaohe warehouse stop
	rm -rf .kaohe
