# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: audit bench fuzz faults scale soak run test lint typecheck contracts migrations-check deploy-check deploy-lint schema-check pytest install lock services clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Two markers: `make run` needs only what running needs (requirements.txt); `make test` and the
# other tool targets add the development tools (requirements-dev.txt) on top.
$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed

## run: start the service on http://$(HOST):$(PORT) with demo data (SQLite unless DATABASE_URL is set)
run: $(VENV)/.installed-run
	@$(BIN)/python -c 'import socket as s, sys; h = sys.argv[1]; \
	    s.create_server((h, int(sys.argv[2])), family=s.AF_INET6 if ":" in h else s.AF_INET).close()' \
	    "$(HOST)" "$(PORT)" 2>/dev/null \
	  || { echo "Port $(PORT) on $(HOST) is already in use by another process: stop it, or pick another port with 'make run PORT=8001'." >&2; exit 1; }
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_data --if-empty
	@echo ""
	@echo "  Site:  http://$(HOST):$(PORT)/              (demo user: demo / demo-user-pass)"
	@echo "  API:   http://$(HOST):$(PORT)/api/movies/"
	@echo "  Docs:  http://$(HOST):$(PORT)/api/docs/   (ReDoc: /api/redoc/)"
	@echo "  Admin: http://$(HOST):$(PORT)/admin/      (demo curator: curator / demo-curator-pass)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: every gate CI runs: lint, format, types, import contracts, migrations, deploy check and
## the deploy/ files, schema, tests
test: install lint typecheck contracts migrations-check deploy-check deploy-lint schema-check pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy .
	$(BIN)/mypy .ci/stack.py .ci/checks.py .ci/fuzz.py .ci/faults.py .ci/soak.py .ci/scale.py .ci/verdict.py .ci/audit.py

contracts: install
	$(BIN)/lint-imports

migrations-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run

deploy-check: install
	DJANGO_SETTINGS_MODULE=config.settings.production \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

## deploy-lint: Prometheus configuration, alert rules and their unit tests, compose files
deploy-lint:
	@if command -v promtool >/dev/null; then \
		promtool check config --syntax-only deploy/prometheus/prometheus.yml && \
		promtool check rules deploy/prometheus/alerts.yml && \
		promtool test rules deploy/prometheus/alerts_test.yml; \
	else echo "promtool not installed (Debian: prometheus): alert rules not checked"; fi
	@if command -v docker-compose >/dev/null; then \
		SECRET_KEY=compose-lint-only docker-compose config --quiet && \
		SECRET_KEY=compose-lint-only docker-compose --profile observability config --quiet && \
		SECRET_KEY=compose-lint-only docker-compose --profile scale config --quiet && echo "compose files: valid"; \
	else echo "docker-compose not installed: compose files not validated"; fi

schema-check: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --api-version 2 --file /dev/null

pytest: install
	$(BIN)/pytest

## lock: regenerate the pinned requirements from requirements*.in
lock: $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements.in -o requirements.txt
	$(BIN)/uv pip compile --quiet --python-version 3.11 requirements-dev.in -o requirements-dev.txt

## services: start PostgreSQL and Redis on loopback; prints the URLs to export
services:
	@.ci/services start

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache .coverage db.sqlite3

## bench: the benchmark (PostgreSQL, Redis, the shipped server, wrk); writes BENCHMARKS.md. Not part of `make test`.
bench: install
	$(BIN)/python bench/run.py

## fuzz: schemathesis, every check on every operation of both versions, against a live server
fuzz: install
	$(BIN)/python .ci/fuzz.py

## faults: Redis and PostgreSQL stopped, workers killed, under load; every promise checked
faults: install
	$(BIN)/python .ci/faults.py

## scale: primary + streaming replica, PgBouncer, Redis, 3 web replicas behind nginx; faults and freshness checked
scale: install
	$(BIN)/python .ci/scale.py

## soak: a minute of mixed reads and writes at capacity; every acknowledged write found afterwards
soak: install
	$(BIN)/python .ci/soak.py

## audit: known vulnerabilities in the pinned requirements; fails loudly when it cannot check them all
audit: install
	$(BIN)/python .ci/audit.py
