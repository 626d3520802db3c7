# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install system-deps bench lint clean

$(STAMP): pyproject.toml
	@echo ">> Installing Python dependencies into $(VENV): this takes a few minutes on a fresh machine"
	@echo ">> (the CPU build of torch, sentence-transformers, OR-Tools...); pip shows its progress below."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -e '.[ml,plan,dev]'
	@echo ">> Dependencies installed."
	touch $(STAMP)

install: $(STAMP)

## Start everything on embedded defaults (Redis, SQLite), load demo traffic, serve the inbox.
## dovecot serves the demo's support mailbox (the e-mail path); without it only that path is skipped.
run: install
	@$(MAKE) --no-print-directory system-deps SYSTEM_PKGS=dovecot:dovecot-imapd
	$(VENV)/bin/triage up

## Lint first (ruff, a second or so; a finding fails the run), then the whole test suite
## (unit, integration on real Redis + SQLite/PostgreSQL, e2e, browser).
test: install lint system-deps
	$(PY) -m pytest

## Debian packages the tests drive for real: Chromium (browser tests, via Playwright) and
## dovecot (a real IMAP server). Installed when missing and we are root; else those tests skip.
SYSTEM_PKGS := chromium:chromium dovecot:dovecot-imapd
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
