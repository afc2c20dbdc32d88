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

test: $(TEST_STAMP) services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check gateway importers runtime tests bench
	$(BIN)/mypy

bench: $(TEST_STAMP)
	@bash scripts/ensure-bench-tools.sh
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
