# Xinyong — two commands: `make demo` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_SUBJECTS ?= 2000
export XINYONG_DATABASE_URL ?= sqlite:///var/xinyong.db

.PHONY: help install system-deps demo serve init test lint fmt typecheck bench settings-docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

system-deps: ## Install missing Debian packages the tests need (apt-get, as root or via sudo)
	@scripts/system-deps.sh

init: install ## Create or upgrade the database and load catalog, rule sets, calendar
	$(BIN)/xinyong init

demo: install ## Set up SQLite with demo data and serve on http://127.0.0.1:8000
	$(BIN)/xinyong demo --subjects $(DEMO_SUBJECTS)
	$(BIN)/xinyong serve --host $(HOST) --port $(PORT)

serve: install ## Serve without touching the data
	$(BIN)/xinyong serve --host $(HOST) --port $(PORT)

lint: install ## ruff (lint + format check) and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: install ## Format and fix what ruff can
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

test: install system-deps lint ## Lint, then the whole suite on SQLite and PostgreSQL
	$(BIN)/pytest -q -n 2 --durations=10

bench: install ## Benchmarks (not part of `make test`); prints figures
	$(BIN)/python -m bench

settings-docs: install ## Regenerate docs/settings.md
	$(BIN)/xinyong settings docs

clean: ## Remove the virtual environment and local databases
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
