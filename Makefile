# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SOURCES := src tests tools bench

.PHONY: run serve test install dev lint typecheck unit bench data clean browser postgres

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "clearweights needs Python >= 3.11 (set PYTHON=...)" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,sign]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

## The main job: audit the bundled example releases and print the verdict table.
run: install
	$(BIN)/clearweights audit examples/releases/* --no-systemic-risk --not-monetised
	@echo "Browse these releases in the registry's web UI: make serve (then open http://127.0.0.1:8000)"

## The registry (clearweights serve) over the example releases, audited into .cache/registry.db.
serve: install
	$(BIN)/python -m pip install -q -e '.[server]'
	mkdir -p .cache
	$(BIN)/clearweights scan examples/releases/*/ --store .cache/registry.db -q
	$(BIN)/clearweights serve --store .cache/registry.db

lint: dev
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

typecheck: dev
	$(BIN)/mypy

## The HTML report is tested in Debian's chromium; install it when missing (root, as in CI).
browser:
	@if [ "$$CLEARWEIGHTS_SKIP_BROWSER" != 1 ] && ! command -v chromium >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser test" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

## The store tests run on a real PostgreSQL server: the tests start a throwaway cluster
## (tests/postgres.py) from Debian's package; install it when missing (root, as in CI).
postgres:
	@if [ "$$CLEARWEIGHTS_SKIP_POSTGRES" != 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		&& ! command -v initdb >/dev/null 2>&1; then \
		echo "installing Debian's postgresql for the store tests" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

unit: dev browser postgres
	$(BIN)/pytest -q

test: lint typecheck unit

## ScanCode lives in its own environment: a comparison point, never a dependency.
## A stamp marks a finished install, so an interrupted or failed one is retried.
.bench/scancode-venv/.installed:
	$(PYTHON) -m venv .bench/scancode-venv
	.bench/scancode-venv/bin/python -m pip install -q scancode-toolkit-mini==32.5.0 'pluggy<1.7'
	touch $@

## The pickle scanners compared (and the frameworks that write real checkpoints) likewise.
## modelscan 0.8.8 needs Python < 3.13: set BENCH_PYTHON where python3 is newer.
BENCH_PYTHON ?= $(PYTHON)
.bench/pickle-venv/.installed:
	$(BENCH_PYTHON) -c 'import sys; sys.exit(sys.version_info >= (3, 13))' || \
		{ echo "the pickle benchmark needs Python < 3.13 (set BENCH_PYTHON=...)" >&2; exit 2; }
	$(BENCH_PYTHON) -m venv .bench/pickle-venv
	.bench/pickle-venv/bin/python -m pip install -q picklescan==1.0.5 fickling==0.1.12 \
		modelscan==0.8.8 'typing_extensions>=4.10' 'scikit-learn>=1.5,<2' 'numpy<3' 'joblib<2'
	touch $@

bench: dev .bench/scancode-venv/.installed .bench/pickle-venv/.installed
	$(BIN)/python bench/licence_identify.py
	$(BIN)/python bench/audit_releases.py
	$(BIN)/python bench/hashing.py
	$(BIN)/python bench/pickle_scan.py
	$(BIN)/python bench/card_claims.py
	$(BIN)/python bench/large_release.py
	$(BIN)/python bench/scan_releases.py
	$(BIN)/python bench/taxonomy_validate.py

## Rebuild the shipped licence data from its sources (needs the package registry).
data: dev
	$(BIN)/python tools/build_licence_data.py

clean:
	rm -rf $(VENV) .bench build dist .mypy_cache .ruff_cache .pytest_cache
