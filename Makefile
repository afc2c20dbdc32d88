# Portway: `make run` serves the gateway; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench services clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Portway needs $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/portway serve

# The servers the tests start themselves (PostgreSQL, Redis) must be installed.
services:
	@bash scripts/ensure-services.sh

# The suite runs in one process by default (PYTEST_WORKERS=0). PYTEST_WORKERS=auto runs it
# on every core with pytest-xdist: the suite is CPU-bound, so two workers gained 5% here
# (699 against 732 s) and the timing tests failed more under the load; see
# docs/architecture.md. worksteal, not a scope-based mode: those run one operation of a
# schemathesis test only.
# The sources are compiled once first: each `portway` the tests start in a subprocess
# reads the bytecode instead of compiling every module again (there is no cache to read
# when PYTHONDONTWRITEBYTECODE is set, or on the first run of a fresh clone).
PYTEST_WORKERS ?= 0
test: $(TEST_STAMP) services
	$(BIN)/python -m compileall -q gateway importers runtime tests
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check gateway importers runtime tests bench
	$(BIN)/mypy

bench: $(TEST_STAMP)
	@bash scripts/ensure-bench-tools.sh
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
