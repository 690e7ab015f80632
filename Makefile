# M-CRM: `make run` serves the app with a demo shop; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
CATALOGS := mcrm/translations
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test bench lint format i18n-extract i18n-update i18n-compile install clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Reinstalls whenever a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

i18n-compile: install
	$(BIN)/pybabel compile --statistics -d $(CATALOGS)

i18n-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project M-CRM -o $(CATALOGS)/messages.pot .

i18n-update: i18n-extract
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i $(CATALOGS)/messages.pot -d $(CATALOGS)
	$(BIN)/python -m mcrm.i18n_catalog $(CATALOGS)/en/LC_MESSAGES/messages.po

# The SMPP server that the gateway tests and benchmarks talk to (tests/smsc_peer.py).
tests/smsc/node_modules/.installed: tests/smsc/package.json tests/smsc/package-lock.json
	cd tests/smsc && npm ci --silent --no-audit --no-fund && touch node_modules/.installed

run: i18n-compile
	$(FLASK) db upgrade
	$(FLASK) demo create
	$(FLASK) serve --host 127.0.0.1 --port 5000

test: i18n-compile tests/smsc/node_modules/.installed
	$(BIN)/python -m pytest

bench: i18n-compile tests/smsc/node_modules/.installed
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache test-output
