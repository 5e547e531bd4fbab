# One place for the commands the README quotes. Everything runs from a local virtualenv.
PYTHON ?= python3
VENV ?= .venv
SHELL := /bin/bash
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install browser services clean

# Real services for the tests (scripts/ci_services.sh brings them up on a fresh machine). A test
# whose service URL is unset skips and says so; `make test` sets them all. What still skips, by
# design (pytest lists each with its reason at the end of a pass):
#   SQLite pass: the PostgreSQL query-plan checks (8), its index-definition check and its index-scale check;
#   PostgreSQL pass: the SQLite query-plan checks (7).
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672//

# The first run installs a few hundred MB (ONNX Runtime, OpenCV, models shipped in wheels): pip
# shows each package as it goes, so a first `make run` is never a silent minute.
$(STAMP): pyproject.toml
	@echo "== installing mediaquery and its dependencies into $(VENV) (first run: a few minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	set -o pipefail; $(BIN)/pip install -e '.[test]' \
		| { grep -E --line-buffered '^(Collecting|Installing|Successfully)' || true; }
	touch $(STAMP)

# MediaPipe's pose detector (the people analyzer's extra person evidence) ships inside the
# mediapipe wheel on PyPI, which cannot be installed beside our OpenCV and NumPy: the wheel is
# downloaded once (35 MB, no dependencies) and the model taken out of it, sha256-checked.
POSE_WHEEL := $(VENV)/wheels/mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl
$(POSE_WHEEL): $(STAMP)
	$(BIN)/pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
		--platform manylinux_2_28_x86_64 mediapipe==0.10.21 -d $(VENV)/wheels \
		|| echo "could not download the mediapipe wheel: the people analyzer runs without its pose detector"

install: $(STAMP) $(POSE_WHEEL)

run: install  ## install, then serve on the embedded default (./mediaquery-data, 127.0.0.1:8000)
	$(BIN)/mediaquery models import mediapipe-pose-detection $(POSE_WHEEL) >/dev/null \
		|| echo "pose detector not installed: the people analyzer works without it"
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

services:
	bash scripts/ci_services.sh

# The whole suite twice: the index on SQLite, then on PostgreSQL (a schema per test). Both
# passes always run (a failure in the first never hides the second) and share one model cache,
# built once per run; the target fails at the end if either pass failed.
test: lint browser services $(POSE_WHEEL)  ## install, lint, type-check and run the whole suite on both databases
	@models=$$(mktemp -d) && trap 'rm -rf "$$models"' EXIT \
	&& export MEDIAQUERY_TEST_MODEL_CACHE="$$models" MEDIAQUERY_TEST_REDIS_URL='$(TEST_REDIS_URL)' \
		MEDIAQUERY_TEST_AMQP_URL='$(TEST_AMQP_URL)' MEDIAQUERY_TEST_MEDIAPIPE_WHEEL='$(POSE_WHEEL)' \
	&& echo "== pytest, index on SQLite" && { $(BIN)/python -m pytest; sqlite=$$?; } \
	; echo "== pytest, index on PostgreSQL ($(TEST_DATABASE_URL))" \
	&& { MEDIAQUERY_TEST_DATABASE_URL='$(TEST_DATABASE_URL)' $(BIN)/python -m pytest; pg=$$?; } \
	; echo "== SQLite pass: exit $$sqlite, PostgreSQL pass: exit $$pg" \
	&& [ "$$sqlite" -eq 0 ] && [ "$$pg" -eq 0 ]

bench: $(STAMP)
	$(BIN)/python benchmarks/images.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
