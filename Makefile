# Two entry points for readers and CI: `make book` and `make test`.
# Both create .venv (Python 3.11) from requirements.txt on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test book html browser-test clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

# Clean build from scratch: every chapter is executed again.
book: $(STAMP)
	rm -rf _build
	$(MAKE) html

# Incremental rebuild: only chapters whose source changed are executed again.
# MPLBACKEND is unset on purpose: a non-interactive backend set in the environment
# silently drops every figure from the pages.
html: $(STAMP)
	env -u MPLBACKEND $(BIN)/jupyter-book build . -W --keep-going
	$(BIN)/python tools/check_site.py _build/html

# A real browser (Debian's /usr/bin/chromium through Playwright) opens every page of the
# built site with all non-local requests blocked; first a self-test on a broken page.
browser-test: $(STAMP)
	$(BIN)/python tools/browser_test.py --self-test
	$(BIN)/python tools/browser_test.py _build/html

clean:
	rm -rf _build .cache
