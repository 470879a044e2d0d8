# Quick start: `make run` (the product with demo data on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 5000
# the links in mail lead to the port served (PORT=8080 make run mailed links to :5000)
APP_BASE_URL ?= http://127.0.0.1:$(PORT)
export APP_BASE_URL
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app

.PHONY: run test lint bench install system chromium clean-db serve-prod load translations

$(BIN)/activate: requirements.txt
	@echo "== Creating the virtual environment in $(VENV) and installing the dependencies (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar off -r requirements.txt
	touch $(BIN)/activate

install: $(BIN)/activate

# A second run keeps the database: each step below does only what is not done yet. PORT=8080 make run
run: install system
	@echo "== Database schema and process models"
	$(FLASK) init-db
	@echo "== Demo province (skipped when already there)"
	$(FLASK) seed-demo
	@echo "== Periodic reports due so far, timers due so far"
	$(FLASK) generate-reports
	$(FLASK) run-timers
	@echo "== Serving http://127.0.0.1:$(PORT) with the background worker beside it (timers, mail, OCR of scans;"
	@echo "   its log in instance/worker.log). Ctrl+C stops both."
	$(FLASK) worker > instance/worker.log 2>&1 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	  WARM_UP=1 SHOW_DEMO_ACCOUNTS=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Debian packages: the product's (LibreOffice lays out the .docx reports as PDF; the DejaVu fonts carry the
# Vietnamese glyphs of PDFs and signature boxes; Tesseract and its Vietnamese model read scanned documents), and
# the tests' (chromium for the browser tests, driven through Playwright, never `playwright install`; SoftHSM2, a
# PKCS#11 token in software, for the signing key kept on a token).
RUN_PACKAGES = libreoffice-writer-nogui fonts-dejavu-core tesseract-ocr tesseract-ocr-vie
define apt_missing
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	test -z "$$missing" || { \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "== Installing Debian packages (a few minutes the first time): $$missing"; \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $(2) $$missing; }
endef
system:
	$(call apt_missing,$(RUN_PACKAGES),--no-install-recommends)
TEST_PACKAGES = chromium softhsm2
chromium: system
	$(call apt_missing,$(TEST_PACKAGES),)

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/cycle_bench.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/dashboard_bench.py
	$(BIN)/python bench/ocr_bench.py

# Production-like: gunicorn on DATABASE_URL (PostgreSQL); run `flask --app app worker` beside it (README "Deployment").
serve-prod: install
	$(FLASK) init-db
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Load and fault test on a fresh PostgreSQL database `load` (not part of `make test`): LOAD_ARGS="--duration 60"
load: install
	$(BIN)/python bench/load/run.py $(LOAD_ARGS)

# After adding UI text: new msgids into translations/en/…/messages.po (translate them there), then the .mo.
translations: install
	$(BIN)/python translations/catalog.py update
	$(BIN)/python translations/catalog.py compile

clean-db:
	rm -f instance/app.db instance/app.db-wal instance/app.db-shm
