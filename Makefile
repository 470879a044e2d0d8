# Quick start: `make run` (the product with demo data on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run test lint bench install clean-db serve-prod load

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

install: $(BIN)/activate

run: install
	$(FLASK) init-db
	$(FLASK) seed-demo
	$(FLASK) generate-reports
	$(FLASK) run-timers
	SHOW_DEMO_ACCOUNTS=1 $(FLASK) run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/cycle_bench.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/dashboard_bench.py

# Production-like: gunicorn on DATABASE_URL (PostgreSQL); run `flask --app app worker` beside it (README "Deployment").
serve-prod: install
	$(FLASK) init-db
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Load and fault test on a fresh PostgreSQL database `load` (not part of `make test`): LOAD_ARGS="--duration 60"
load: install
	$(BIN)/python bench/load/run.py $(LOAD_ARGS)

clean-db:
	rm -f instance/app.db instance/app.db-wal instance/app.db-shm
