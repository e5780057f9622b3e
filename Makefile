# PeerPath: `make run` starts the site with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := app.py

.PHONY: run test lint bench manuals translations-extract translations-update translations-compile clean

run: $(VENV)/.runtime translations-compile
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask demo logins
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev translations-compile
	scripts/run-tests.sh

bench: $(VENV)/.dev translations-compile
	$(BIN)/python -m bench

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

$(VENV)/.runtime: requirements.txt scripts/system-deps.sh
	scripts/system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt scripts/system-deps.sh
	scripts/system-deps.sh --test
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# UI strings: extract from code and templates, merge into each catalog, compile.
translations-extract: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o translations/messages.pot --no-location --sort-output .

translations-update: translations-extract
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

translations-compile: $(VENV)/.runtime
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | grep -v '^compiling' || true

clean:
	rm -rf $(VENV) .pytest_cache .import_linter_cache
