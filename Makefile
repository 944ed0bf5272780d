# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit schema bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hub demo

lint: $(STAMP)
	$(BIN)/ruff check hub adapters schema mocks tests bench examples
	$(BIN)/ruff format --check hub adapters schema mocks tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy hub adapters

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

schema: $(STAMP)
	$(BIN)/hub schema export > schema/schema.graphql

bench: $(STAMP)
	$(BIN)/hub bench --quick --json out.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
