# `make run` serves the shop; `make test` checks everything. Settings come from the environment.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run serve bench bench-stock test lint install install-dev migrate reconcile clean

run: migrate
	$(BIN)/python -m app

# Production (README "Production"): one worker per core, no access log. SERVER=granian also works.
# Behind a proxy (README "Behind a proxy"): it bounds headers, bodies and slow clients; these
# bound what reaches each worker: open connections (live pages hold one each), idle keep-alives,
# and the wait at shutdown (open streams end at SIGTERM itself; the pages reconnect by themselves).
# WEB_CONCURRENCY tells the store how many workers there are (SQLite polls with more than one).
SERVER ?= uvicorn
WORKERS ?= $(shell nproc)
# Where the workers add up their metrics (prometheus_client's multiprocess mode), emptied at start.
METRICS_DIR ?= $(or $(PROMETHEUS_MULTIPROC_DIR),$(CURDIR)/.metrics)
serve: export WEB_CONCURRENCY = $(WORKERS)
serve: export PROMETHEUS_MULTIPROC_DIR := $(METRICS_DIR)
serve: migrate
	mkdir -p $(METRICS_DIR) && rm -f $(METRICS_DIR)/*.db
ifeq ($(SERVER),granian)
	$(BIN)/granian --interface asgi --factory app.main:create_app --host $${HOST:-127.0.0.1} \
		--port $${PORT:-8000} --workers $(WORKERS) --log-level warning --no-access-log \
		--backpressure 4000 --http1-header-read-timeout 10000 --http1-keep-alive
else
	$(BIN)/uvicorn --factory app.main:create_app --host $${HOST:-127.0.0.1} --port $${PORT:-8000} \
		--workers $(WORKERS) --log-level warning --no-access-log \
		--limit-concurrency 4000 --backlog 2048 --timeout-keep-alive 5 --timeout-graceful-shutdown 10 \
		--no-proxy-headers
endif

# Never part of test or CI; about 10 minutes (the dev extra: the email scenario's SMTP sink).
# Quick look: BENCH_SECONDS=3 BENCH_ROUNDS=1 make bench
bench: install-dev
	$(BIN)/python -m bench

# Stock's cost alone (README "Stock"): holds per second on one hot row against three; GET /'s CPU.
bench-stock: install
	$(BIN)/python -m bench.stock

test: install-dev lint
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app stripe_sandbox

# The store's tables; without Stripe keys also the mounted sandbox's, in its own database.
migrate: install
	$(BIN)/piccolo migrations forwards all
	@if [ -z "$$STRIPE_SECRET_KEY" ]; then $(BIN)/python -m stripe_sandbox migrate; fi

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
