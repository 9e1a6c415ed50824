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

# tests/integration/test_notice_render.py renders the daily notice in Chromium with a Chinese font: install both
# when missing (Debian/Ubuntu), or say how to. The test fails, never skips, without them.
test: setup
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
		else SUDO="none"; fi; \
		if [ "$$SUDO" = none ] || ! command -v apt-get >/dev/null 2>&1; then \
			echo "make test: chromium and fonts-noto-cjk are needed and cannot be installed here (not root, no sudo" \
				"or no apt-get): install them, e.g. apt-get install -y chromium fonts-noto-cjk" >&2; \
		else \
			echo "installing chromium and fonts-noto-cjk for the notice rendering test"; \
			{ $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } \
				|| echo "make test: installing chromium failed; the notice rendering test will fail" >&2; \
		fi; \
	fi
	$(VENV)/bin/pytest

test-fast: setup
	$(VENV)/bin/pytest tests/unit

bench: setup
	$(VENV)/bin/python benchmarks/run.py --scales district

clean-state:
	-$(VENV)/bin/kaohe warehouse stop
	rm -rf .kaohe
