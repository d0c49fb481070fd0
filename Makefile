# One entry point for people and CI. Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo up test lint format bench clean

$(STAMP): pyproject.toml functions/common/requirements.txt tests/template/asl-validator/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# The ASL is also checked against the spec's JSON schema (npm asl-validator, pinned by its lock
	@# file); without node/npm that one test skips and says why.
	if command -v npm >/dev/null; then npm ci --prefix tests/template/asl-validator --no-audit --no-fund --silent; fi
	touch $(STAMP)

demo: $(STAMP)          ## run the whole template locally and push sample orders through it
	$(BIN)/orderflow demo

up: $(STAMP)            ## run the template locally until Ctrl-C
	$(BIN)/orderflow up

test: $(STAMP)          ## the full test suite (unit, template, end-to-end)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .aws-sam
