# One place for the commands the README quotes. Everything runs from a local virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## install, then serve on the embedded default (./mediaquery-data, 127.0.0.1:8000)
	$(BIN)/mediaquery serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

test: lint  ## install, lint, type-check and run the whole suite (slow and model tests included)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/images.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
