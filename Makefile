# Two commands on a fresh machine (see README):
#   make app    – install into .venv and open the dashboard on the fictional Beispielkreis
#   make test   – install into .venv (with test extras) and run the test suite
# Also: make demo – the whole analysis of the Beispielkreis on the command line
PYTHON ?= python3.12
VENV   ?= .venv
BIN     = $(VENV)/bin
# Bus & Bahn: the timetable router pynigiri has a wheel only for CPython 3.11,
# so it runs as a worker process in an environment of its own (see
# docs/architecture.md). Without a python3.11 the product runs without Bus & Bahn.
PT_PYTHON ?= $(shell command -v python3.11 || ls /usr/bin/python3.11 2>/dev/null)
PT_VENV   ?= .venv-pt
PT_REQS    = src/erreichbarkeit/network/transit/requirements.txt

.PHONY: app demo test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

$(PT_VENV)/.installed: $(PT_REQS)
	@if [ -z "$(PT_PYTHON)" ]; then \
		echo "Hinweis: kein python3.11 gefunden – Bus & Bahn bleibt ausgeschaltet (siehe README)."; \
	else \
		rm -rf $(PT_VENV) && $(PT_PYTHON) -m venv $(PT_VENV) \
		&& $(PT_VENV)/bin/python -m pip install --quiet -r $(PT_REQS) \
		&& touch $@ \
		|| echo "Hinweis: Umgebung für Bus & Bahn nicht installierbar – Bus & Bahn bleibt ausgeschaltet."; \
	fi

install: $(VENV)/.installed $(PT_VENV)/.installed

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
	rm -rf $(VENV) $(PT_VENV) out data/cache
