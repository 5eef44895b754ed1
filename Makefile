# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
STAMP := $(VENV)/.installed-stamp
PORT ?= 5000
# `make bench` also runs on this PostgreSQL server (in a scratch database beside the one named).
BENCH_DATABASE_URL ?= $(filter postgres%,$(or $(TEST_DATABASE_URL),$(DATABASE_URL)))
BENCH_ARGS ?= --cases 100000

.PHONY: setup db run demo screenshots test lint format bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

setup: $(STAMP)

db: setup
	$(FLASK) db upgrade
	$(FLASK) user first-admin

run: db
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The demo story (docs/user-guide.md) in the instance, which must have no cases yet; then
# `make run` serves it.
demo: db
	$(FLASK) demo load

# The README's pictures (docs/screenshots/), taken of a fresh demo in Chromium.
screenshots: setup
	$(PY) -m tests.browser.screenshots --out docs/screenshots

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# Every benchmark (bench/README.md), on SQLite and on PostgreSQL when a server is named; the
# first run generates the large instance, which takes minutes.
bench: setup
	$(PY) -m bench.run $(BENCH_ARGS) $(if $(BENCH_DATABASE_URL),--database-url '$(BENCH_DATABASE_URL)')

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
