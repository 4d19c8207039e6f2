# AlphaTree: the README's two commands are `make all` (the main job) and `make test`.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
# The CPU build of torch; an unpinned torch would pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0
STAMP := build/.installed

.PHONY: all install validate verify graph site lint test test-fast bench schema clean

all: validate verify graph site  ## validate, verify every model, draw the lineage, build the site

$(STAMP): pyproject.toml
	@command -v dot >/dev/null || { echo "Graphviz 'dot' is missing: apt-get install graphviz (or run bash .ci/run once)"; exit 1; }
	$(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet -e ".[test,lint]"
	@mkdir -p build && touch $(STAMP)

install: $(STAMP)

validate: install
	alphatree validate

verify: install
	alphatree verify --jobs 2 --report build/verify-report.json

graph: install
	alphatree graph --format svg -o build/lineage.svg
	alphatree graph --format dot -o build/lineage.dot

site: install
	ALPHATREE_VERIFY_REPORT=build/verify-report.json alphatree site build

lint: install  ## ruff (lint and format check) on everything, mypy on alphatree/ (versions pinned in pyproject.toml)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy alphatree/

test: install  ## the whole suite, as CI runs it
	$(PYTHON) -m pytest -q -n 2

test-fast: install  ## the inner loop: no slow or browser tests
	$(PYTHON) -m pytest -q -n 2 -m "not slow and not browser"

bench: install
	$(PYTHON) benchmarks/run.py

schema: install
	alphatree schema --write schema/

clean:
	rm -rf build site-build .verify .pytest_cache
