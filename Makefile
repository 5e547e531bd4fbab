# One place for the commands the README quotes. Everything runs from a local virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install browser clean

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

# The web page's tests drive Debian's Chromium (a Playwright browser download cannot work
# offline); without root or apt they skip and say so.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
		|| echo "chromium not installed: browser tests will be skipped"

test: lint browser  ## install, lint, type-check and run the whole suite (slow and model tests included)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/images.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
