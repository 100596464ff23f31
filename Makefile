# Two commands set everything up on a fresh machine:
#   make demo   - create .venv, install akless, run the demo against the embedded emulator
#   make test   - create .venv, install what the tests need, lint, type-check and run every test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test check lint typecheck pytest bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamp files: reinstall only when the dependency list changes.
$(VENV)/.installed-demo: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[all]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-demo

demo: $(VENV)/.installed-demo
	$(PY) -m akless.demo

test: $(VENV)/.installed-dev check pytest

check: lint typecheck

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

# Tests get loopback and nothing else: scripts/loopback-only runs them in a network
# namespace whose only interface is lo (when the machine allows one).
pytest: $(VENV)/.installed-dev
	scripts/loopback-only $(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	scripts/loopback-only $(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .hypothesis
