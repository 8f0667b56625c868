# Every target bootstraps .venv when it is missing or pyproject.toml / constraints.txt changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.odwatch-installed
# Debian's chromium for the browser tests (tests/test_browser_site.py) and postgresql for the
# Prefect-on-PostgreSQL test (tests/test_postgres.py); installed when missing
CHROMIUM ?= /usr/bin/chromium
PG_STAMP := $(VENV)/.postgresql-present
APT_INSTALL = if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1); \
	else sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1); fi

.PHONY: run test test-quick demo demo-corpus bench lint format readme clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)  ## harvest every enabled portal in portals.yaml, assess, publish
	$(BIN)/odwatch run

$(CHROMIUM):
	@$(call APT_INSTALL,chromium)

$(PG_STAMP): $(STAMP)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(call APT_INSTALL,postgresql); }
	@touch $(PG_STAMP)

test: $(STAMP) $(CHROMIUM) $(PG_STAMP)  ## lint + the whole test suite (no network needed)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -n 4 --dist loadfile --durations=25

test-quick: $(STAMP)  ## the quick loop for development: no Prefect server, no schedules (CI runs all)
	$(BIN)/pytest -q -n 4 --dist loadfile -m "not prefect and not schedule"

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
