# The two set-up commands on a fresh machine:
#   make map   - creates .venv, installs landplan, writes the default map into maps/
#   make test  - installs the test extras, runs ruff, mypy and the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
# two workers (pytest-xdist), one test file each at a time so a file's shared fixtures are built once;
# `make test PYTEST_ARGS=` runs everything in one process
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: map test lint layers check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

map: $(STAMP)
	$(BIN)/landplan map

test: $(TSTAMP) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TSTAMP)
	$(BIN)/ruff check geo tests bench tools
	$(BIN)/ruff format --check geo tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

layers: $(STAMP)
	$(BIN)/landplan layers build

check: $(STAMP)
	$(BIN)/landplan layers check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
