# Staffroom: `make run` starts the tool with the practice LMS; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PORT   ?= 5000
# Test processes: the PostgreSQL + Redis variant runs whole on one, the browser tests whole
# on one, the rest spread over all (tests/conftest.py, run_together).
TEST_WORKERS ?= 2
export FLASK_APP := lti_tool

.PHONY: help install run migrate test test-fast lint bench bench-pages bench-roster clean

help:
	@echo "make run    set up (venv, install, migrate) and start Staffroom with the practice LMS"
	@echo "make test   set up and run the whole test suite (PostgreSQL + Redis too when CI=true)"
	@echo "make lint   ruff"
	@echo "make bench  launch throughput benchmark (gunicorn, 2 workers, Redis)"
	@echo "make bench-pages  every main page at a school's size: p50/p95, SQL statements, HTML (SQLite, PostgreSQL)"
	@echo "make bench-roster  a 10,000-member roster sync (NRPS): tool CPU, wall time, SQL statements per page"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/flask db upgrade

run: migrate
	@echo "The admin page (/admin/) needs an administrator account first. Create one, in another"
	@echo "terminal in this folder:  $(BIN)/flask --app lti_tool admin create --username you"
	$(BIN)/flask demo run --port $(PORT)

test: install
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m bench.launches

bench-pages: install
	$(BIN)/python -m bench.pages

bench-roster: install
	$(BIN)/python -m bench.roster

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
