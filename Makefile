# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: demo test test-programs gost-engine bench lint format clean

# The packages are installed with uv, itself installed by pip into the venv at a pinned
# version: measured on this 2-core machine, uv resolves and installs the project with
# ~3 s of CPU where pip took ~20 s, and pip's one look-up per package in the index cost
# minutes of waiting on a busy machine (CI runs `make test` on a clean clone). uv reads
# none of pip's configuration; the project needs none of it. --compile-bytecode, as pip
# does: else the suite's first processes, started side by side, would each compile them.
# gostcrypto's wheel (dev extra) also installs a top-level `tests` package of its own, which
# shadows our suite's namespace package outside pytest (`python -m tests.…` in a subprocess):
# it is removed, as nothing needs it.
UV_VERSION := 0.13.8
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	rm -rf "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/tests"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## Run the whole lifecycle on the embedded stack (SQLite + a Redis the app starts), data in ./var.
demo: $(STAMP) gost-engine
	$(BIN)/hub demo

## The whole suite, against real SQLite, PostgreSQL and Redis, on two processes: most
## of it waits on servers and subprocesses, so two share the cores well, the tests that
## start the hub as processes too: one at a time they would outlast the suite's 15-minute
## budget on their own (1,077 of the 1,701 test-seconds of a 904 s run here). No test is
## grouped, but loadgroup's scheduler keeps both processes busier to the end than load's:
## 904-906 s against 1,123 s in clean-clone runs here. The 25 slowest tests are listed at
## the end.
test: $(STAMP) test-programs gost-engine
	$(BIN)/pytest -n 2 --dist loadgroup --durations=25

## The programs the tests drive but never install: Debian's xmlsec1 (the independent check
## of an evidence zip) and chromium (the pages' UI tests). Installed here where missing,
## only as root on Debian; elsewhere named, and their tests skip (in CI they fail).
TEST_PROGRAMS := xmlsec1 chromium
test-programs:
	@missing=$$(for p in $(TEST_PROGRAMS); do command -v $$p >/dev/null || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	missing=$$(echo $$missing); \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "make test: installing Debian's $$missing with apt-get: the tests run them"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $$missing \
			|| echo "make test: could not install $$missing; their tests skip (in CI they fail)"; \
	else \
		echo "make test: missing $$missing (not root on Debian, so not installed);" \
			"their tests skip (in CI they fail)"; \
	fi

## OpenSSL's GOST engine (Debian's libengine-gost-openssl) and the openssl command: GOST
## signatures go through the engine, and a GOST dev PKI (`hub pki init --crypto gost`) is
## made by the command with it. Found by the engine's file in the system OpenSSL's engines
## folder; installed where missing, only as root on Debian. Without it the RSA hub works,
## and GOST refuses with the apt command (its tests skip; in CI they fail).
GOST_PACKAGES := openssl libengine-gost-openssl
gost-engine:
	@engines=$$(openssl version -e 2>/dev/null | sed -n 's/^ENGINESDIR: "\(.*\)"$$/\1/p'); \
	if [ -n "$$engines" ] && [ -f "$$engines/gost.so" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "make: installing Debian's $(GOST_PACKAGES) with apt-get: GOST signatures need them"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq $(GOST_PACKAGES) \
			|| echo "make: could not install $(GOST_PACKAGES); GOST is unavailable"; \
	else \
		echo "make: OpenSSL's GOST engine is missing (not root on Debian, so not installed):" \
			"apt-get install $(GOST_PACKAGES); GOST is unavailable"; \
	fi

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
