# Fengqiao — two commands: `make demo` and `make test`.
# Everything is installed from the lock file (uv.lock) into .venv; nothing global is needed but python3.11.

SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.9
BOOT := var/bootstrap
UV := $(BOOT)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
FQ := $(BIN)/fengqiao
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2 -p no:cacheprovider
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help venv demo demo-data serve test lint typecheck checks pytest bench messages clean resilience

help:
	@echo "make demo   — set up and serve the demo county on http://$(HOST):$(PORT)"
	@echo "make test   — lint, type checks, Django checks and the whole test suite"
	@echo "make bench  — run the benchmarks in bench/ and print a table"
	@echo "make resilience — the slow resilience suite (RESILIENCE_ARGS=--quick for ~10 min)"

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(BOOT)
	$(BOOT)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

venv: $(VENV)/.synced

messages: venv
	cd fengqiao && ../$(FQ) compilemessages --ignore=.venv -v0

demo-data: venv messages
	$(FQ) migrate --noinput -v0
	$(FQ) collectstatic --noinput -v0
	$(FQ) demo-setup

demo: demo-data
	$(FQ) demo-serve --host $(HOST) --port $(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy fengqiao

checks: venv messages
	FENGQIAO_PRODUCTION=1 SECRET_KEY="ci-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')" \
	  FENGQIAO_DATA_KEY="ci-$$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n')" ALLOWED_HOSTS=fengqiao.example.org \
	  $(FQ) check --deploy --fail-level WARNING
	$(FQ) makemigrations --check --dry-run

# Browser tests run in their own process, one at a time: Playwright's sync API refuses to start in a
# worker where an earlier test left an asyncio loop running (async views run through asgiref).
pytest: venv messages
	$(BIN)/pytest $(PYTEST_ARGS) -m "not browser"
	$(BIN)/pytest -p no:cacheprovider -m browser

test: lint typecheck checks pytest

bench: venv
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(BOOT) var/fengqiao.sqlite3* var/static

# The slow resilience suite (own PostgreSQL, Redis, gunicorn, Celery on other ports): not part of `make test`.
# RESILIENCE_ARGS="--quick" (about 10 minutes) or "--only steady,doors". See docs/resilience-suite.md.
resilience: venv messages
	nice $(BIN)/python -m resilience.run $(RESILIENCE_ARGS)
