# One entry point for people and CI. `make test` works on a fresh Debian 12 machine: it installs what
# the tests need (Debian packages, the pinned npm tools, a Python virtualenv) and then runs every check.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
STAMPS    := .stamps
NODE_BIN  := node_modules/.bin
DENO      := DENO_DIR=$(CURDIR)/.local/deno DENO_NO_UPDATE_CHECK=1 $(NODE_BIN)/deno
APT_PACKAGES := postgresql-15 postgresql-15-cron postgresql-15-pgtap postgresql-15-plpgsql-check \
                libtap-parser-sourcehandler-pgtap-perl libfaketime
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTHON    ?= python3

.PHONY: help deps test lint typecheck pytest deno-check deno-lint db db-stop demo bench clean

help:
	@echo "make demo      run a whole campaign end to end on a local database, a modem simulator and the listener"
	@echo "make test      install what is needed, then ruff, mypy, deno check/lint and pytest (incl. pgTAP, deno test)"
	@echo "make db        start (or reuse) the local development database and print its URL; make db-stop stops it"
	@echo "make bench     run the benchmarks under bench/ and print their figures"

# --- installation ---------------------------------------------------------------------------------

$(STAMPS)/apt: Makefile
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@touch $@

$(STAMPS)/npm: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/venv: pyproject.toml constraints.txt
	@mkdir -p $(STAMPS)
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	@touch $@

deps: $(STAMPS)/apt $(STAMPS)/npm $(STAMPS)/venv

# --- checks ---------------------------------------------------------------------------------------

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: deps
	$(VENV)/bin/mypy

# --config: without it Deno sees the root package.json, switches to node_modules-only resolution and
# refuses the functions' npm: imports.
DENO_CONFIG := --config supabase/functions/deno.json

deno-check: deps
	$(DENO) check $(DENO_CONFIG) supabase/functions/*/index.ts supabase/functions/*/*_test.ts

deno-lint: deps
	$(DENO) lint $(DENO_CONFIG) supabase/functions
	$(DENO) fmt --check $(DENO_CONFIG) supabase/functions

# pytest also runs every pgTAP file with pg_prove (tests/integration/test_pgtap.py) and `deno test` on
# the edge functions (tests/integration/test_edge_function.py), both against the harness's real database.
pytest: deps
	$(VENV)/bin/pytest

test: lint typecheck deno-check deno-lint pytest

# --- local development ----------------------------------------------------------------------------

db: deps
	@$(PY) -m sms_common.localdb start

db-stop:
	@$(PY) -m sms_common.localdb stop

demo: deps
	$(PY) -m demo

bench: deps
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean: db-stop
	rm -rf .local $(STAMPS) $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
