# driftwarden: every target installs what it needs itself (virtualenvs are built on demand).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
TEMPLATES_VENV := .venv-templates
TEMPLATES := template.yaml member-role.yaml
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# sam build targets the python3.13 runtime; pyenv on our machines carries 3.13.
SAM_PYTHON_ENV := PYENV_VERSION=3.13.0
REGION ?= us-east-1

.PHONY: help setup demo bench openapi test unit browser lint format typecheck validate build clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# The stamp depends on the requirement files, so a change to them reinstalls.
$(VENV)/.stamp: requirements-dev.txt requirements-cli.txt layers/common/requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --quiet --python $(PY) -r requirements-dev.txt
	# the `driftwarden` command (editable: it runs this checkout's code)
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

$(SAM_VENV)/.stamp: requirements-sam.txt $(VENV)/.stamp
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(UV) pip install --quiet --python $(SAM_VENV)/bin/python -r requirements-sam.txt
	touch $@

# checkov and cfn-lint pin shared packages differently from sam: a virtualenv of their own.
$(TEMPLATES_VENV)/.stamp: requirements-templates.txt $(VENV)/.stamp
	test -x $(TEMPLATES_VENV)/bin/python || $(PYTHON) -m venv $(TEMPLATES_VENV)
	$(UV) pip install --quiet --python $(TEMPLATES_VENV)/bin/python -r requirements-templates.txt
	touch $@

setup: $(VENV)/.stamp  ## create the development virtualenv

demo: $(VENV)/.stamp  ## start the emulator, seed accounts and stacks, run a real drift audit
	PYTHONPATH=layers/common:src:. $(PY) -m emulator.demo

openapi: $(VENV)/.stamp  ## regenerate docs/openapi.json from the API's routes
	PYTHONPATH=layers/common:src:. POWERTOOLS_METRICS_NAMESPACE=Driftwarden $(PY) -m driftwarden.openapi > docs/openapi.json

bench: $(VENV)/.stamp  ## benchmark the engine: floor ratio, sequential baseline, memory
	PYTHONPATH=layers/common:src:. $(PY) -m tests.benchmarks.bench_audit

lint: $(VENV)/.stamp  ## ruff + mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.stamp  ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: lint

unit: $(VENV)/.stamp browser  ## the tests alone, without lint
	$(PY) -m pytest --cov --cov-report=term

# The report's browser test drives Debian's Chromium (Playwright's own download cannot run here).
browser:  ## install Debian's chromium for the browser test (needs root or sudo)
	@command -v chromium >/dev/null || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium; }; }
	@chromium --version 2>/dev/null

test: lint validate unit  ## lint, type check, template check and every test

validate: $(SAM_VENV)/.stamp $(TEMPLATES_VENV)/.stamp  ## sam validate --lint, cfn-lint and checkov on both templates
	for template in $(TEMPLATES); do $(SAM) validate --lint --template $$template --region $(REGION) || exit 1; done
	$(TEMPLATES_VENV)/bin/cfn-lint $(TEMPLATES)
	$(TEMPLATES_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation $(foreach t,$(TEMPLATES),--file $(t))

build: $(SAM_VENV)/.stamp  ## sam build (no docker: python3.13 from pyenv)
	$(SAM_PYTHON_ENV) $(SAM) build --template template.yaml

clean:  ## remove virtualenvs, build output and caches
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage
