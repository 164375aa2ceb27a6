# Everything runs inside .venv, made from pyproject.toml on first use.
# Two stamps: the demo needs only the runtime and the embedded engine (.installed-demo);
# everything else needs the development tools too (.installed).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
GATEWAY := tests/server
URL ?= mem://

.PHONY: demo install generate check-generated lint typecheck test test-only bench docs clean

demo: $(DEMO_STAMP)  ## install the client and its embedded engine, then run the demo on mem:// (URL=... for a server)
	$(PY) -m surrealdb demo $(URL)

$(DEMO_STAMP): pyproject.toml
	@echo "Installing surrealdb-typed and its embedded engine into $(VENV) (first run only)..."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[embedded]'
	touch $(DEMO_STAMP)

install: $(STAMP) $(GATEWAY)/node_modules

$(STAMP): pyproject.toml
	@echo "Installing surrealdb-typed with its development tools into $(VENV) (first run only)..."
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(GATEWAY)/node_modules: $(GATEWAY)/package-lock.json
	cd $(GATEWAY) && npm ci --no-audit --no-fund
	touch $(GATEWAY)/node_modules

generate: $(STAMP)  ## rewrite src/surrealdb/_generated from schema/
	$(PY) -m codegen

check-generated: $(STAMP)  ## fail when the committed generated code differs from schema/
	$(PY) -m codegen --check

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy

test: install check-generated lint typecheck  ## every gate: drift check, ruff, mypy --strict, pytest
	$(PY) -m pytest -q

test-only: install
	$(PY) -m pytest -q

bench: $(STAMP) $(GATEWAY)/node_modules  ## benchmark vs a raw floor and the official SDK (~5 min): bench/results/
	$(PY) -m bench

docs: $(STAMP)  ## build the documentation site into site/ (strict: any warning fails)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) $(GATEWAY)/node_modules .mypy_cache .ruff_cache .pytest_cache
