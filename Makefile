# Two commands for a fresh machine with Python 3.11+ and make:
#   make lab   - set everything up, generate the demo dataset, start JupyterLab on notebooks/
#   make test  - set everything up, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup lab test demo bench bench-quick lint hooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[lab,test,dask,s3]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/cxrkit demo

# JupyterLab refuses to start as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: demo
	$(BIN)/jupyter lab notebooks/ $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check cxrkit tests benchmarks notebooks
	$(BIN)/ruff format --check cxrkit tests benchmarks notebooks

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick

hooks: $(STAMP)
	$(BIN)/python -m pip install --quiet "pre-commit>=3.5"
	$(BIN)/pre-commit install

clean:
	rm -rf $(VENV) .pytest_cache
