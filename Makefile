# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit schema bench clean lock lockcheck

# Installs exactly the locked set (hashes checked), then the hub itself without
# resolving anything again.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# After editing pyproject.toml's dependencies: re-resolve the lock (versions already
# locked stay where they still fit), then commit requirements.lock.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python scripts/lock.py write

lockcheck:
	$(PYTHON) scripts/lock.py check

demo: $(STAMP)
	$(BIN)/hub demo

lint: $(STAMP)
	$(BIN)/ruff check hub adapters schema mocks tests bench examples scripts
	$(BIN)/ruff format --check hub adapters schema mocks tests bench examples scripts

typecheck: $(STAMP)
	$(BIN)/mypy hub adapters schema mocks bench

unit: $(STAMP)
	$(BIN)/pytest -q

test: lockcheck lint typecheck unit

schema: $(STAMP)
	$(BIN)/hub schema export > schema/schema.graphql

bench: $(STAMP)
	$(BIN)/hub bench --quick --json out.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
