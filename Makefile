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

# `make demo PORT=8080 DEMO_DIR=/tmp/demo`; an existing demo is kept (its people, tokens and cases
# with it) unless FRESH=1 asks for a new one.
PORT ?= 8000
FRESH ?= 0

demo: install  ## Serve a demo deployment (DEMO_DIR=.demo, PORT=8000; FRESH=1 rebuilds it).
	@case "$(PORT)" in ''|*[!0-9]*) echo "error: PORT must be a TCP port number, not '$(PORT)'" >&2; exit 2;; esac
	@if [ "$(FRESH)" = 1 ]; then rm -rf -- "$(DEMO_DIR)"; fi
	@if [ -f "$(DEMO_DIR)/comity.toml" ]; then \
	  echo "keeping the demo in $(DEMO_DIR): its sign-ins and tokens are those printed when it was made (make demo FRESH=1 builds a new one)"; \
	else $(BIN)/comity init --demo --dir "$(DEMO_DIR)"; fi
	$(BIN)/comity serve --port "$(PORT)" --dir "$(DEMO_DIR)"

# What the tests drive for real, from Debian: PostgreSQL (regional and control-plane stores), mutt
# (opens a production's mbox as a mail client would), age (decrypts an encrypted package) and
# poppler-utils (reads the certificate PDF back).
SYSTEM_TOOLS := pg_ctl:postgresql mutt:mutt age:age pdftotext:poppler-utils
# chromium: the browser the console's Playwright tests drive (never `playwright install`).
SYSTEM_TOOLS += chromium:chromium
# Go and golang.org/x/mod (sumdb/tlog, sumdb/note): an independent verifier of the audit log's
# tiles and checkpoints, compiled by a test from Debian's sources, offline. A tool given as an
# absolute path is checked with `test -e`.
SYSTEM_TOOLS += go:golang-go /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog:golang-golang-x-mod-dev
# dovecot-imapd: the IMAP server (with a master user) the source tests read mail from.
SYSTEM_TOOLS += dovecot:dovecot-imapd
# iproute2: `ip netns` and veth pairs, each region of the multi-host test in its own network.
SYSTEM_TOOLS += ip:iproute2
# softhsm2: a PKCS#11 token (SoftHSM) the HSM keyring tests initialise in a temporary directory.
SYSTEM_TOOLS += softhsm2-util:softhsm2

system-deps:  ## Install the Debian packages the tests need, if missing (needs root or sudo).
	@missing=""; for pair in $(SYSTEM_TOOLS); do tool=$${pair%%:*}; pkg=$${pair##*:}; \
	  if [ "$$tool" = pg_ctl ]; then ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && continue; \
	  elif [ "$${tool#/}" != "$$tool" ]; then [ -e "$$tool" ] && continue; \
	  else command -v $$tool >/dev/null && continue; fi; missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then echo "installing from Debian:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

# pytest-xdist: one worker per core; a module's tests stay on one worker (they share its fixtures).
PYTEST_ARGS ?= -n auto --dist loadfile
# Python 3.11 is the floor; the unit tests also run on each newer interpreter this machine has.
OTHER_PYTHONS ?= 3.12 3.13

test: install system-deps  ## Run lint and the whole test suite, with a real PostgreSQL.
	$(MAKE) --no-print-directory lint
	@bash scripts/with-postgres.sh $(PG_PORT) $(BIN)/pytest -q $(PYTEST_ARGS)
	$(MAKE) --no-print-directory test-interpreters

test-interpreters: $(UV)  ## The unit tests on every other supported Python found here (3.12, 3.13).
	@bash scripts/test-interpreters.sh $(UV) $(VENV) $(OTHER_PYTHONS)

lint: install  ## ruff, strict mypy and the import-linter layer contracts.
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install  ## Apply ruff's formatting and safe fixes.
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# Modules the benchmarks start as servers (bench/load.py --profile, --breakdown): not run alone.
BENCH_HELPERS := bench/profile_server.py bench/timing_asgi.py

bench: install  ## Run the benchmarks under bench/ (figures go to docs/benchmarks.md).
	@for b in $(filter-out $(BENCH_HELPERS),$(wildcard bench/*.py)); do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:  ## Remove the environment, demo and test databases.
	rm -rf $(VENV) $(VENV)-3.* .tools $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install demo system-deps test test-interpreters lint format bench clean
