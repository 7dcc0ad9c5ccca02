# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
CHROMIUM ?= /usr/bin/chromium
HOST ?= 127.0.0.1:8000

.PHONY: run test install install-test chromium env migrate seed lint format bench clean lock

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The pinned versions (requirements*.lock, from `make lock`), then the project itself.
$(VENV)/.installed: $(BIN)/activate pyproject.toml requirements.lock
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(PY) -m pip install --quiet -r requirements-test.lock
	touch $@

# Pin every package from pyproject.toml's ranges: the runtime, then the tests on top of it
# (same versions in both). Run after changing a range; commit the lock files.
PIP_COMPILE = $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url \
	--no-emit-find-links --no-emit-trusted-host --resolver=backtracking
lock: $(BIN)/activate
	$(PY) -m pip install --quiet pip-tools
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra test --constraint requirements.lock \
		--output-file requirements-test.lock pyproject.toml

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test chromium

# Debian's Chromium: Playwright cannot download its own browser here.
chromium:
	@test -x $(CHROMIUM) || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

.env:
	cp .env.example .env

env: .env

migrate: install .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py migrate --database=sandbox --noinput

seed: migrate
	$(PY) manage.py seed_sandbox --if-empty
	$(PY) manage.py create_demo_users --if-sandbox

# One command, two processes: the job worker runs in the background beside the server and
# stops with it (Ctrl-C reaches both; the trap covers any other way out).
run: seed
	$(PY) manage.py resume_jobs
	$(PY) manage.py db_worker --no-reload --interval 0.5 & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST)

test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest --cov --cov-report=term:skip-covered --cov-report=xml:var/coverage.xml
	$(BIN)/coverage report --include='customers/voucherify/*' --fail-under=95

lint: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Figures for the notes: API calls and server time per page, the list call on 100,000 customers, the
# import preview, one list_customers(limit=100) call beside the official SDK's parsing, then
# an erasure step by step.
bench: install-test
	$(PY) bench/pages.py
	$(PY) bench/pages_100k.py
	$(PY) bench/list_customers.py
	$(PY) bench/import_preview.py
	$(PY) bench/resources.py
	$(PY) bench/privacy.py

clean:
	rm -rf $(VENV) var .hypothesis *.sqlite3 *.sqlite3-*
