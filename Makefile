# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## Run the whole lifecycle on the embedded stack (SQLite + a Redis the app starts), data in ./var.
demo: $(STAMP)
	$(BIN)/hub demo

## The whole suite, against real SQLite, PostgreSQL and Redis, on two processes: most
## of it waits on servers and subprocesses, so two share the cores well. Tests that start
## the hub as processes run one at a time on one of them (tests/conftest.py).
test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup

## Measure the hub on this machine (docs/performance.md); `make bench BENCH_ARGS=--quick` for a smoke run.
bench: $(STAMP)
	$(BIN)/hub bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy hub signing queues schemas adapters tooling tests
	$(BIN)/python -m tooling.layering

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var
