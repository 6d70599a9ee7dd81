# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check pytest schemathesis fuzz install clean system-packages test-packages \
	sample-receipt

# Debian packages: the fonts receipts embed (run time); the browser, PDF and QR tools the
# document tests use (test time). Installed when missing (CI runs as root on a fresh clone).
FONT_PACKAGES := fonts-dejavu-core fonts-wqy-microhei
TEST_PACKAGES := chromium poppler-utils zbar-tools openssl
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
endef

system-packages:
	$(call apt_install,$(FONT_PACKAGES))

test-packages:
	$(call apt_install,$(TEST_PACKAGES))

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: system-packages $(BIN)/.installed

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

pytest: install test-packages
	$(BIN)/pytest

## A long schemathesis pass against a live server (the suite runs a short one).
schemathesis: install
	TILLROLL_SCHEMATHESIS_EXAMPLES=$${TILLROLL_SCHEMATHESIS_EXAMPLES:-200} \
		$(BIN)/pytest tests/test_openapi.py -k schemathesis

## The fuzzer's long run (400 examples per endpoint; the suite runs 8): `make fuzz`.
fuzz: install
	HYPOTHESIS_PROFILE=long $(BIN)/pytest tests/fuzz -p no:cacheprovider

## Regenerate the sample receipt images of docs/documents.md from the demo data.
sample-receipt: install test-packages
	$(BIN)/python -m tillroll.documents.sample docs/images

clean:
	rm -rf $(VENV) tillroll.db tillroll.db-wal tillroll.db-shm .tillroll-demo-key
