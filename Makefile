# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check pytest schemathesis fuzz install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

## Serve Tillroll on the embedded SQLite default with demo data.
run: install
	$(BIN)/tillroll migrate
	$(BIN)/tillroll demo
	$(BIN)/tillroll serve

## Lint, type-check and run the whole suite (SQLite, or TILLROLL_TEST_DATABASE_URL).
test: install check pytest

check: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

## A long schemathesis pass against a live server (the suite runs a short one).
schemathesis: install
	TILLROLL_SCHEMATHESIS_EXAMPLES=$${TILLROLL_SCHEMATHESIS_EXAMPLES:-200} \
		$(BIN)/pytest tests/test_openapi.py -k schemathesis

## The fuzzer's long run (400 examples per endpoint; the suite runs 8): `make fuzz`.
fuzz: install
	HYPOTHESIS_PROFILE=long $(BIN)/pytest tests/fuzz -p no:cacheprovider

clean:
	rm -rf $(VENV) tillroll.db tillroll.db-wal tillroll.db-shm .tillroll-demo-key
