# Comity: `make demo` and `make test` work on a fresh machine with only Python 3.11.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= .demo
PG_PORT ?= 55432
export UV_PROJECT_ENVIRONMENT := $(VENV)

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; Comity needs Python 3.11" >&2; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/pip install -q --disable-pip-version-check 'uv==0.13.9'

$(BIN)/comity: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON) -q
	@touch $@

install: $(BIN)/comity  ## Create the virtual environment from the lock file.

demo: install  ## Build a demo deployment in .demo and serve the console and API.
	rm -rf $(DEMO_DIR)
	$(BIN)/comity --dir $(DEMO_DIR) init --demo
	$(BIN)/comity --dir $(DEMO_DIR) serve

postgres-install:  ## Install PostgreSQL from Debian if it is missing (needs root or sudo).
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  echo "installing PostgreSQL"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

test: install postgres-install  ## Run lint and the whole test suite, with a real PostgreSQL.
	$(MAKE) --no-print-directory lint
	@bash scripts/with-postgres.sh $(PG_PORT) $(BIN)/pytest -q $(PYTEST_ARGS)

lint: install  ## ruff, strict mypy and the import-linter layer contracts.
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install  ## Apply ruff's formatting and safe fixes.
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install  ## Run the benchmarks under bench/ (figures go to docs/benchmarks.md).
	@for b in bench/*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:  ## Remove the environment, demo and test databases.
	rm -rf $(VENV) .tools $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install demo postgres-install test lint format bench clean
