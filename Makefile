# AlphaTree: the README's two commands are `make all` (the main job) and `make test`.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
# The CPU build of torch; an unpinned torch would pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0
STAMP := build/.installed

.PHONY: all install validate verify compare experiments graph site summary lint test test-fast bench schema clean

# validate, verify every model, run the quick experiments, draw the lineage, build the site, then say what
# was made. A failing model does not stop the lineage and the site (they show it); `make all` still exits
# non-zero for it.
all: validate
	@status=0; $(MAKE) --no-print-directory verify || status=$$?; \
	$(MAKE) --no-print-directory compare || status=$$?; \
	$(MAKE) --no-print-directory experiments || status=$$?; \
	$(MAKE) --no-print-directory graph site || exit $$?; \
	$(MAKE) --no-print-directory summary; exit $$status

$(STAMP): pyproject.toml
	@command -v dot >/dev/null || { echo "Graphviz 'dot' is missing: apt-get install graphviz (or run bash .ci/run once)"; exit 1; }
	$(PIP) install --quiet "$(TORCH)"
	$(PIP) install --quiet -e ".[test,lint,experiments]"
	@mkdir -p build && touch $(STAMP)

install: $(STAMP)

validate: install
	alphatree validate

# The report goes to its one default place (the user's cache, see `alphatree verify --help`), which
# `alphatree site build` and `site serve` read; `summary` copies it to build/verify-report.json.
verify: install
	alphatree verify --jobs 2

compare: install  ## our models against torchvision's and timm's (their recorded outputs where they do not import)
	alphatree compare

# The quick versions of every experiment (a few minutes on 2 cores) so a fresh site has their pictures;
# full runs are `alphatree experiment run ID`. Results go to build/experiments/.
experiments: install
	alphatree experiment run --all --quick

graph: install
	alphatree graph --format svg -o build/lineage.svg
	alphatree graph --format dot -o build/lineage.dot

site: install
	alphatree site build

summary:  ## what `make all` made: models passed and failed, pages, where the site and the report are
	@$(PYTHON) -m alphatree.verify.summary --copy build/verify-report.json --compare build/compare-report.json \
		--site build/site \
		--experiments build/experiments --graph build/lineage.svg build/lineage.dot

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
