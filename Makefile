# Entry points for readers and CI: `make book`, `make test` and `make lab` (live chapters).
# All create .venv (Python 3.11) from requirements.txt on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test book html browser-test lab lab-install lab-test clean

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
# tools/train_networks.py trains the networks several chapters share, side by side, first;
# tools/build_book.py is `jupyter-book build . -W --keep-going` with the chapters read (and
# executed) by one process per core.
html: $(STAMP)
	env -u MPLBACKEND $(BIN)/python tools/train_networks.py
	env -u MPLBACKEND $(BIN)/python tools/build_book.py
	$(BIN)/python tools/check_site.py _build/html

# A real browser (Debian's /usr/bin/chromium through Playwright) opens every page of the
# built site with all non-local requests blocked; first a self-test on a broken page.
browser-test: $(STAMP)
	$(BIN)/python tools/browser_test.py --self-test
	$(BIN)/python tools/browser_test.py _build/html

# Live chapters in JupyterLab: the pinned extras of requirements-live.txt, and the project's
# JupyterLab settings (lab/overrides.json: a chapter .md opens as a notebook) installed into
# .venv, never into the user's home. Jupyter refuses to run as root without --allow-root.
LIVE_STAMP := $(VENV)/.installed-live
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab-install: $(LIVE_STAMP) $(LAB_OVERRIDES)

$(LIVE_STAMP): $(STAMP) requirements-live.txt
	$(BIN)/pip install --quiet -r requirements-live.txt
	touch $@

$(LAB_OVERRIDES): lab/overrides.json $(LIVE_STAMP)
	mkdir -p $(dir $@)
	cp lab/overrides.json $@

# JupyterLab on the book, with the first chapter open.
lab: lab-install
	env -u MPLBACKEND $(BIN)/jupyter lab $(LAB_ARGS) notebooks/01_lemma1_brockett.md

# JupyterLab started on localhost and driven by Chromium (tools/lab_test.py): every chapter
# opened by double-click, run, checked, saved; first a self-test on a broken chapter.
lab-test: lab-install
	env -u MPLBACKEND $(BIN)/python tools/lab_test.py --self-test
	env -u MPLBACKEND $(BIN)/python tools/lab_test.py

clean:
	rm -rf _build .cache
