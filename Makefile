# Two entry points: `make bench` (run the benchmark) and `make test` (lint, then run the tests);
# `make docs` builds the documentation site into site/. All build .venv from pyproject.toml
# with the tested versions pinned in constraints.txt.
# The first Python >= 3.11 on PATH (3.11 first: the tested version); override with PYTHON=...
PYTHON ?= $(shell for p in python3.11 python3.12 python3.13 python3.14 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: bench test test-slow lint docs venv clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || test -n "$(PYTHON)" || { echo "error: no Python 3.11 or newer on PATH;\
	 install one or run make with PYTHON=/path/to/python3.11" >&2; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,docs]'
	touch $(STAMP)

venv: $(STAMP)

# The paper group only (~15 min of CPU, 7-8 min on 2 cores): the baseline pack would add
# ~40 min of CPU (docs/methods/pyod-pack.md); ARGS="--detectors all" runs both.
bench: $(STAMP)
	$(PY) run_benchmark.py --datasets all --preset quick --n-jobs -1 --detectors paper $(ARGS)

# CI runs this target (.ci/run): the lints first, so an unformatted file fails it.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q $(ARGS)

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# --strict: a broken link or anchor, or a page missing from the nav, fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV)
