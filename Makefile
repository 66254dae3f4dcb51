# Quickstart: `make demo` and `make test`. Both create .venv and install when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo ui test lint bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==26.3
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	PYTHONPATH=include $(BIN)/python scripts/demo.py

ui: install
	PYTHONPATH=include $(BIN)/python scripts/ui.py

lint: install
	$(BIN)/ruff check .

test: lint
	$(BIN)/pytest

bench: install
	PYTHONPATH=include $(BIN)/python bench/clean.py
	PYTHONPATH=include $(BIN)/python bench/load_warehouse.py
	PYTHONPATH=include $(BIN)/python bench/experiments.py

clean:
	rm -rf .airflow data
