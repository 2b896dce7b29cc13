# Two commands for a new machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ASSETS := booking_web/static/vendor

.PHONY: demo test install system-packages assets lint bench bench-quick clean translations

demo: system-packages install assets
	$(BIN)/phlebo demo

test: system-packages install assets lint
	QT_QPA_PLATFORM=offscreen scripts/with-postgres.sh $(BIN)/pytest

system-packages:
	scripts/install-system-packages.sh

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

assets: $(ASSETS)/.installed

$(ASSETS)/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	rm -rf $(ASSETS) && mkdir -p $(ASSETS)
	cp -r node_modules/nhsuk-frontend/dist/nhsuk $(ASSETS)/nhsuk
	cp node_modules/axe-core/axe.min.js $(ASSETS)/axe.min.js
	touch $@

# Patient words for translators: extract the catalogue template, update each language's .po
# (new messages come in untranslated, which tests/unit/test_translations.py refuses), compile .mo.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
		-o shared/translations/messages.pot .
	$(BIN)/pybabel update -i shared/translations/messages.pot -d shared/translations \
		--no-fuzzy-matching --ignore-obsolete --width=100
	$(BIN)/pybabel compile -d shared/translations --statistics

# ruff and mypy on the domain, the services, the printing library and the kiosk (mypy's
# files are in pyproject.toml); import-linter's contracts ([tool.importlinter]) over everything.
LINTED := shared booking_web/services label_printer kiosk_app

lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: system-packages install assets
	$(BIN)/pip install --quiet -e '.[test,bench]'  # py-spy and pyinstrument, for --profile
	scripts/with-postgres.sh $(BIN)/python -m bench

bench-quick: system-packages install assets
	scripts/with-postgres.sh $(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) node_modules $(ASSETS) instance test-artifacts
