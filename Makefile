# The two commands are `make run` and `make test`; everything else is a step they take.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYBABEL := $(BIN)/pybabel
export PORTAL_ENV ?= development
PORT ?= 5000
# The suite runs in parallel (pytest-xdist), one worker per CPU core; each module stays on one worker, so a
# module's own servers start once. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist loadscope

.PHONY: run test install assets migrate seed lint format test-unit test-browser translations chromium bench bench-scale bench-insights bench-migration nginx screenshots clean a11y

run: install assets migrate seed
	PORT=$(PORT) $(BIN)/python bin/dev

test: install assets chromium lint
	$(BIN)/pytest $(PYTEST_PARALLEL)

install: $(BIN)/.installed node_modules/.installed

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: install
	$(FLASK) assets build

migrate: install
	$(FLASK) db upgrade

seed: install migrate
	$(FLASK) gazetteer import sandbox/data/gazetteer.csv
	$(FLASK) boundaries import sandbox/data/boundaries.geojson
	$(FLASK) boundaries import-roads sandbox/data/trunk_roads.geojson

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test-unit: install
	$(BIN)/pytest $(PYTEST_PARALLEL) tests/unit tests/integration

test-browser: install assets chromium
	$(BIN)/pytest $(PYTEST_PARALLEL) tests/browser

# The accessibility suite against any deployment (docs/accessibility-testing.md): make a11y BASE_URL=https://...
# Signed-in journeys need A11Y_USERNAME and A11Y_PASSWORD; A11Y_ARGS passes more options (--submit, ...).
# Writes a11y-report/index.html and a11y-report/junit.xml; fails on any finding a11y-baseline.toml does not accept.
A11Y_REPORT ?= a11y-report
a11y: install chromium
	@test -n "$(BASE_URL)" || { echo "make a11y needs BASE_URL=https://... (a council's site or the list of councils)"; exit 2; }
	mkdir -p $(A11Y_REPORT)
	$(BIN)/pytest tests/a11y/test_journeys.py -p no:cacheprovider --base-url "$(BASE_URL)" --a11y-report $(A11Y_REPORT) \
		--junitxml $(A11Y_REPORT)/junit.xml -o junit_family=xunit2 $(A11Y_ARGS)

# Dashboard benchmarks (bench/dashboard.py): prints each figure on a line of its own. Needs wrk (installed
# with apt-get when missing) and gunicorn; uses Redis on 127.0.0.1:6379 (database 14) when it answers.
# Then the burst (bench/burst.py): 50 guests reporting at once, against the development server on SQLite and
# gunicorn on PostgreSQL (127.0.0.1:5432, a database of its own, dropped afterwards).
# Then the weight of the report page with its map (bench/report_map.py), gzipped, tiles excluded.
bench: install assets
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/burst.py
	$(BIN)/python bench/report_map.py

# Scale-out and failover (bench/scale.py): two app servers under gunicorn.conf.py behind nginx, two workers,
# PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379, database 13), 200 signed-in residents and 50 guest
# reporters (locust) for 60 s, one app server and one worker killed halfway. Not part of `make test`.
bench-scale: install assets nginx
	$(BIN)/python bench/scale.py

# The county-wide insights page over one million reports on PostgreSQL (bench/insights.py): prints
# `insights page time (s)`, the median of five requests; goal under 0.5 s.
bench-insights: install assets
	$(BIN)/python bench/insights.py

# Account migration (bench/migration.py): a generated 12,000-account district export and a matching shared
# identity export planned, announced and migrated against the sandbox identity provider; prints
# `migration time (s)` and `accounts per second`. Goal: under 60 s. Not part of `make test`.
bench-migration: install
	$(BIN)/python bench/migration.py

nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }

screenshots: install assets chromium
	$(BIN)/python bin/screenshots

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

translations: install
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file --project="My Norfolk" \
		--copyright-holder="Norfolk's councils" -o translations/messages.pot .
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(PYBABEL) update -i translations/messages.pot -d translations && $(PYBABEL) compile -d translations; fi

clean:
	rm -rf $(VENV) node_modules static/dist build instance
