# Quickstart: `make demo` and `make test`. Both create .venv and install when needed.
# `make test-fast` is the quick loop: the unit tests only, no services, no model training, no Airflow runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo ui test test-fast lint typecheck docs bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	PYTHONPATH=include $(BIN)/python scripts/demo.py

ui: install
	PYTHONPATH=include $(BIN)/python scripts/ui.py

FAST := not (slow or airflow or postgres or http or s3 or integration)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir .site

# Two workers, a test file each at a time (a module's fixtures, such as the demo's run, stay in one worker), in the
# order collected (tests/conftest.py puts the longest files first): most of the suite waits on Airflow's processes,
# so two workers on 2 cores take under half the time of one.
TEST_WORKERS ?= 2

test: lint typecheck docs
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-fast: install
	$(BIN)/pytest -m "$(FAST)"

bench: install
	PYTHONPATH=include $(BIN)/python bench/clean.py
	PYTHONPATH=include $(BIN)/python bench/load_warehouse.py
	PYTHONPATH=include $(BIN)/python bench/experiments.py

clean:
	rm -rf .airflow data .site
