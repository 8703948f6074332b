# bookshelf: `make run` starts the server, `make test` runs the suite, `make dist` builds the single executable.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 0.0.0.0
PORT ?= 8080
DATA ?= ./data
PYTEST_ARGS ?=
# Test files run in parallel, each whole in one worker (its module fixtures, a browser or a server, start once).
TEST_WORKERS ?= 2

.PHONY: run test lint bench dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP) $@

run: $(STAMP)
	$(BIN)/bookshelf serve --host $(HOST) --port $(PORT) --data-dir $(DATA)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check bookshelf tests scripts
	$(BIN)/ruff format --check bookshelf tests scripts
	$(BIN)/mypy

bench: $(TEST_STAMP)
	$(BIN)/python scripts/bench/run_all.py

# dist/bookshelf-<version>-linux-<arch>: needs a C compiler, zlib headers and libarchive13 (see README).
dist: $(TEST_STAMP)
	$(BIN)/python scripts/dist/make_dist.py

clean:
	rm -rf $(VENV) build dist *.egg-info
