# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install browser bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[ml,plan,dev]'
	touch $(STAMP)

install: $(STAMP)

## Start everything on embedded defaults (Redis, SQLite), load demo traffic, serve the inbox.
run: install
	$(VENV)/bin/triage up

## Run the whole test suite (unit, integration on real Redis + SQLite/PostgreSQL, e2e, browser).
test: install browser
	$(PY) -m pytest

## Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: browser tests will be skipped"; \
	  else echo "chromium not found: browser tests will be skipped"; fi; }

bench: install
	$(PY) bench/run_all.py

lint: install
	$(VENV)/bin/ruff check triage workers tests bench

clean:
	rm -rf var .pytest_cache
