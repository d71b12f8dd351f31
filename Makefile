# Pilotage France Numérique Ensemble — everyday commands. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install run serve db test test-sqlite test-postgres lint bench translations browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# Reinstall only when the dependency pins change.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	@if [ -f translations/fr/LC_MESSAGES/messages.po ]; then $(BIN)/pybabel -q compile -d translations; fi

db: install
	$(FLASK) db upgrade heads
	$(FLASK) roles sync
	$(FLASK) territoires import
	@if $(FLASK) formulaires --help >/dev/null 2>&1; then $(FLASK) formulaires load; fi

run: db
	$(FLASK) demo seed
	@echo ""
	@echo "Application : http://$(HOST):$(PORT)/   (Ctrl+C pour arrêter)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-like server on the same database (see README for PostgreSQL, Celery).
serve: install
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) 'app:create_app()'

# Debian's Chromium drives the browser tests (no browser download here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installation de Chromium (paquet Debian)…"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; }

test: install browser
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	 else echo "TEST_DATABASE_URL absent : suite PostgreSQL non lancée (make test-postgres)."; fi

test-sqlite:
	@echo "=== Suite sur SQLite ==="
	env -u TEST_DATABASE_URL $(BIN)/pytest

test-postgres:
	@echo "=== Suite sur PostgreSQL ==="
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_TEST_URL)} $(BIN)/pytest

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance/*.db
