# One entry point for people and CI. Every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: help demo up test lint docs format bench soak clean browser sam
# A bare `make` lists the targets (it used to build the virtual environment and say it was up to date).
.DEFAULT_GOAL := help

FUNCTION_REQUIREMENTS = $(wildcard functions/*/requirements.txt)

# The first install says each step before it runs (pip itself stays quiet: one line per step).
$(STAMP): pyproject.toml $(FUNCTION_REQUIREMENTS) tests/template/asl-validator/package-lock.json
	@echo "==> [1/4] virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> [2/4] pip"
	$(BIN)/pip install --quiet --upgrade pip
	@# The tool, and the functions' own packages at the versions they are deployed with (the tests
	@# import the handlers in-process); the local runtime builds each function's package on its own.
	@echo "==> [3/4] orderflow, its pinned dependencies and the functions' packages (about a minute the first time)"
	$(BIN)/pip install --quiet -e '.[dev]' $(addprefix -r ,$(FUNCTION_REQUIREMENTS))
	@# The ASL is also checked against the spec's JSON schema (npm asl-validator, pinned by its lock
	@# file); without node/npm that one test skips and says why.
	@echo "==> [4/4] the ASL schema checker (npm asl-validator; skipped without npm)"
	if command -v npm >/dev/null; then npm ci --prefix tests/template/asl-validator --no-audit --no-fund --silent; fi
	touch $(STAMP)
	@echo "==> $(VENV) is ready"

# SAM CLI in a venv of its own (requirements-sam.txt says why).
SAM_VENV  ?= .venv-sam
SAM_STAMP  = $(SAM_VENV)/.installed
$(SAM_STAMP): requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet -r requirements-sam.txt
	touch $(SAM_STAMP)

help:                   ## list these targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## (.*)/  make \1\t\2/' | expand -t 16

demo: $(STAMP)          ## run the whole template locally and push sample orders through it
	$(BIN)/orderflow demo

up: $(STAMP)            ## run the template locally until Ctrl-C
	$(BIN)/orderflow up

test: $(STAMP) browser  ## the full test suite (unit, template, end-to-end)
	$(BIN)/pytest

browser:                ## headless chromium + chromedriver for the console's browser tests (apt-get as root)
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
	      || echo "chromium could not be installed: the console's browser tests will skip"; \
	  else echo "chromium/chromedriver missing (not root or no apt-get): the console's browser tests will skip"; fi; \
	fi

lint: $(STAMP)          ## ruff and mypy over src/ and every function
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

docs: $(STAMP)          ## the docs site (docs/, mkdocs.yml) into site/; --strict: a broken link or anchor fails it
	$(BIN)/mkdocs build --strict --quiet

format: $(STAMP)        ## ruff format and autofix
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)         ## the benchmark (not a test): every figure beside its target (SUITE=1: suite time too)
	$(BIN)/python bench/report.py $(if $(SUITE),--suite)

soak: $(STAMP)          ## the reliability suite in full: 1,000 orders from 16 clients under injected faults
	$(BIN)/python -m orderflow.reliability --orders 1000 --clients 16 --json bench/results/soak.json

sam: export SAM_CLI_TELEMETRY = 0
sam: $(STAMP)           ## sam validate --lint, sam build, then check what it would deploy (needs the template's python)
	@# sam build's python workflow needs the interpreter the template names (python3.12...): from PATH or pyenv.
	@runtime=$$(sed -n 's/^ *Runtime: *\(python3\.[0-9]*\).*/\1/p' template.yaml | head -1); \
	dir=""; \
	if command -v $$runtime >/dev/null 2>&1 && $$runtime -c '' >/dev/null 2>&1; then dir=$$(dirname "$$(command -v $$runtime)"); \
	else for d in "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/$${runtime#python}*/bin; do [ -x "$$d/$$runtime" ] && dir=$$d; done; fi; \
	if [ -z "$$dir" ]; then echo "sam: skipped, no $$runtime on PATH or in pyenv (the template's Runtime)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(SAM_STAMP) && \
	PATH="$$dir:$$PATH" $(SAM_VENV)/bin/sam validate --lint && \
	PATH="$$dir:$$PATH" $(SAM_VENV)/bin/sam build && \
	$(BIN)/python -m orderflow.sam_artifacts .aws-sam/build

clean:                  ## remove the virtual environment, caches and the runtime's state (.orderflow/)
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .mypy_cache .ruff_cache .aws-sam .orderflow site
