# The README's two commands: `make run` (set up, build the default plan, serve) and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
STAMP := $(VENV)/.installed
# Compiled modules (and pytest's rewritten test modules) are written to __pycache__ (gitignored) even where the
# environment sets PYTHONDONTWRITEBYTECODE: otherwise every test process, and every `python -m kb` a test starts,
# compiles them all again (about 5 CPU-s per pytest process for the test modules alone).
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test check fast-tests lint setup build serve clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "需要 Python 3.11 ($(PY) not found; set PY=...)"; exit 1; }
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

build: setup
	$(BIN)/python -m kb build

serve: setup
	$(BIN)/python -m kb serve --host $(HOST) --port $(PORT)

run: build serve

test: setup lint
	bash scripts/test.sh

# The fast subset while you work: no slow or browser tests, in two processes, slowest tests listed. Lint runs beside
# the tests (mostly one core for mypy, while the two test workers start and collect), each target's output shown
# whole when it ends; either failing fails the check.
check: setup
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint fast-tests

fast-tests: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser" -n 2 --dist worksteal --durations=10

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data test-artifacts .cache
	find nlp kb webapp tests bench -name __pycache__ -type d -prune -exec rm -rf {} +
