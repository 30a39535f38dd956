# `make run` serves the shop; `make test` checks everything. Settings come from the environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint install install-dev migrate reconcile clean

run: migrate
	$(BIN)/python -m app

test: install-dev lint
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

migrate: install
	$(BIN)/piccolo migrations forwards all

# Safe from cron and concurrently; needs Stripe (or the running store's sandbox) reachable.
reconcile: install
	$(BIN)/litestar --app app.main:create_app reconcile

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
