# One command to run, one to test. Both create the virtualenv and install the project first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh
	-scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --editable '.[test]'
	touch $(STAMP)

# Temporal dev server (SQLite under var/, Web UI on :8233) + the worker. Ctrl-C stops both.
run: setup
	$(PY) worker.py --dev-server

# Lint, then every test: unit, time-skipping workflow tests, and integration tests on a real dev server.
test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest

clean:
	rm -rf var .pytest_cache .ruff_cache
