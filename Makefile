# Two commands on a fresh machine (see README):
#   make app    – install into .venv and open the dashboard on the fictional Beispielkreis
#   make test   – install into .venv (with test extras) and run the test suite
# Also: make demo – the whole analysis of the Beispielkreis on the command line
PYTHON ?= python3.12
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: app demo test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

app: install
	$(BIN)/streamlit run app.py

demo: install
	$(BIN)/erreichbarkeit demo --out out/beispielkreis

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests benchmarks app.py
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) out data/cache
