# Every target bootstraps .venv when it is missing or pyproject.toml / constraints.txt changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.odwatch-installed
# Debian's chromium for the browser tests (tests/test_browser_site.py); installed when missing
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test demo demo-corpus bench lint format readme clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)  ## harvest every enabled portal in portals.yaml, assess, publish
	$(BIN)/odwatch run

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

test: $(STAMP) $(CHROMIUM)  ## lint + the whole test suite (no network needed)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

demo: $(STAMP)  ## the whole pipeline on local sample portals
	$(BIN)/odwatch demo

demo-corpus: $(STAMP)  ## the whole pipeline on the recorded CKAN data in ../shared/corpus
	$(BIN)/odwatch demo --corpus ../shared/corpus

bench: $(STAMP)  ## benchmarks (several minutes each); results go to bench/README.md by hand
	$(BIN)/python bench/bench_harvest.py
	$(BIN)/python bench/bench_assess.py
	$(BIN)/python bench/bench_links.py
	$(BIN)/python bench/bench_dcat.py --repeat 5 --pages 5 20 50
	$(BIN)/python bench/bench_incremental.py
	$(BIN)/python bench/bench_publish.py

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

readme: $(STAMP)  ## regenerate the README's method block from checks/scoring.py
	$(BIN)/python -m checks.method_doc --write README.md

clean:
	rm -rf $(VENV) dashboards/site .pytest_cache
