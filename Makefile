# incubench: two commands for a fresh machine with Python 3.11 and make.
#   make run   create .venv, install, start the embedded database, load the demo park, serve on 127.0.0.1:8000
#   make test  install what the tests need (including Debian's chromium for browser tests) and run them

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SECANTUSDB := secantusdb==0.7.0b3
STAMP := $(VENV)/.installed

.PHONY: run test install lint clean browser bench

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# The embedded database runs as a separate process (GPL); installed here, not a project dependency.
	$(BIN)/pip install --quiet '$(SECANTUSDB)'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/incubench run --seed-demo-if-empty

browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
		echo "Installing Debian's chromium and fonts-noto-cjk for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check backend evaluation cloud_incubator tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy evaluation backend/core

# Browser tests run in their own pytest process: Playwright's sync API and pytest-asyncio's session
# event loop do not share one process well.
# The last step runs every benchmark in quick mode (each script runs and reports; targets are judged by
# `make bench`), so the scripts cannot rot.
test: $(STAMP) browser lint
	$(BIN)/python -m pytest -q -m "not e2e"
	$(BIN)/python -m pytest -q -m e2e tests/e2e
	-$(BIN)/python -m bench.run_all --quick

bench: $(STAMP)
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) var test-artifacts
