# The two quick-start commands: `make demo` and `make test`. Each installs what it needs.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= sqlite:///hotline-demo.db

.PHONY: install demo test test-sqlite test-postgres lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	HOTLINE_DATABASE_URL=$${HOTLINE_DATABASE_URL:-$(DEMO_DB)} $(BIN)/hotline demo

test: install
	BIN=$(BIN) scripts/test.sh

lint: install
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) *.egg-info src/*.egg-info .pytest_cache hotline-demo.db* hotline-demo-models
