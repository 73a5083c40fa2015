# One command to run, one to test. Both create the virtualenv and install the project first, exactly as uv.lock
# pins it: uv (the version pyproject.toml requires) syncs .venv to the lock, with the test extra and the project
# itself editable, and stops if the lock no longer matches pyproject.toml (--locked). A new lock reinstalls.
# Bytecode is compiled at install (pip's default, not uv's): where PYTHONDONTWRITEBYTECODE is set, every process
# would otherwise compile its imports from source at each start (7 s for the worker's).
PYTHON ?= python3
VENV ?= .venv
UV_VERSION := 0.13.9
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: setup run test drills bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml uv.lock scripts/system-deps.sh
	-scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --quiet --locked --compile-bytecode --extra test --python $(PY)
	touch $(STAMP)

# Temporal dev server (SQLite under var/, Web UI on :8233) + the worker. Ctrl-C stops both.
run: setup
	$(PY) worker.py --dev-server

# Lint, type-check (mypy, configured in pyproject.toml), then every test: unit, time-skipping workflow tests,
# integration tests on a real dev server, and the fault drills but the two that kill processes (they wait out
# activity timeouts: `make drills`).
test: setup
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -m "not crash"

# The crash drills: the worker killed (SIGKILL), one of two workers on PostgreSQL killed, and the dev server restarted,
# each mid-way through 100 ladders.
drills: setup
	$(PY) -m pytest -m crash -s

# Every benchmark with its defaults (about half an hour on 2 cores, most of it the ladder); figures and ratios are printed last.
bench: setup
	$(PY) -m bench.planner
	$(PY) -m bench.ingest
	$(PY) -m bench.ladder
	$(PY) -m bench.open_book
	$(PY) -m bench.simulator

clean:
	rm -rf var .pytest_cache .ruff_cache
