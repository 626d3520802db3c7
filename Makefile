# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install system-deps bench lint clean lock rules

# Exact versions from the lock (pip-compile), then the project itself without touching them.
$(STAMP): pyproject.toml requirements/dev.lock
	@echo ">> Installing Python dependencies into $(VENV): this takes a few minutes on a fresh machine"
	@echo ">> (the CPU build of torch, sentence-transformers, OR-Tools...); pip shows its progress below."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -r requirements/dev.lock
	$(PY) -m pip install --no-deps -e '.[ml,plan,dev]'
	@echo ">> Dependencies installed."
	touch $(STAMP)

## Re-resolve the lock files after changing pyproject.toml: api (API and tick image), worker
## (+ the model), dev (everything `make test` needs). Commit them with the change.
LOCK := $(VENV)/bin/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: install
	$(LOCK) -o requirements/api.lock pyproject.toml
	$(LOCK) --extra ml -o requirements/worker.lock pyproject.toml
	$(LOCK) --extra ml --extra plan --extra dev -o requirements/dev.lock pyproject.toml

install: $(STAMP)

## Start everything on embedded defaults (Redis, SQLite), load demo traffic, serve the inbox.
## dovecot serves the demo's support mailbox (the e-mail path); without it only that path is skipped.
run: install
	@$(MAKE) --no-print-directory system-deps SYSTEM_PKGS=dovecot:dovecot-imapd
	$(VENV)/bin/triage up

## Lint first (ruff, a second or so; a finding fails the run), then the whole test suite
## (unit, integration on real Redis + SQLite/PostgreSQL, e2e, browser).
test: install lint system-deps rules
	$(PY) -m pytest

## The alert rules: promtool's syntax check and the rules' unit tests (deploy/prometheus/alerts.test.yml).
rules: system-deps
	@if command -v promtool >/dev/null 2>&1; then \
	  cd deploy/prometheus && promtool check rules alerts.yml && promtool test rules alerts.test.yml; \
	else echo "promtool missing (Debian package prometheus): alert rule checks skipped"; fi

## Debian packages the tests drive for real: Chromium (browser tests, via Playwright), dovecot (a
## real IMAP server) and prometheus (promtool for the alert rules, and a real Prometheus for the
## dashboard queries). Installed when missing and we are root; else those tests skip.
SYSTEM_PKGS := chromium:chromium dovecot:dovecot-imapd promtool:prometheus
system-deps:
	@missing=""; for pair in $(SYSTEM_PKGS); do \
	  bin=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$bin >/dev/null 2>&1 || [ -x /usr/sbin/$$bin ] || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "could not install$$missing: their tests will be skipped"; \
	  else echo "missing$$missing: their tests will be skipped"; fi; fi

bench: install
	$(PY) bench/run_all.py

lint: install
	$(VENV)/bin/ruff check triage workers tests bench

clean:
	rm -rf var .pytest_cache
