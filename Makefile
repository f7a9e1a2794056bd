# Two commands for a fresh machine with Python 3.11+ and make:
#   make lab   - set up the lab, generate the demo dataset, start JupyterLab on a working copy of notebooks/
#              (make lab SOLUTIONS=0: the learners' copies, without the teacher's solution cells;
#               make setup-lab: all of that but starting JupyterLab, for timing, an image or a hub)
#   make test  - set everything up, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_STAMP := $(VENV)/.installed-lab
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
# setuptools tells every editable install of a flat layout to "be careful with folders in your working
# directory" (pip 25+ shows it even with --quiet). Only that notice is hidden: any other warning of the build
# (a licence or packaging deprecation) still prints.
EDITABLE := PYTHONWARNINGS='ignore:Editable installation' $(PIP) install -e
# Where `make lab` opens the notebooks: a working copy outside git (ignored), so that saving a notebook with
# its outputs (report text and images, on real data) never touches the tracked notebooks/.
LAB_DIR ?= lab
# JupyterLab asks to fetch news on first open; nothing fetched, nothing asked (settings overrides).
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: setup setup-lab lab test demo bench bench-quick lint hooks clean wheelhouse

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# Everything: the kit, the lab, the test, remote and benchmark extras (what `make test` needs: the quick
# benchmark run is a test).
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(EDITABLE) '.[lab,test,dask,s3,bench]'
	touch $(STAMP) $(LAB_STAMP)

# The lab alone: the kit and what the notebooks use, nothing of the test suite. --no-compile: byte-compiling
# every installed module was two thirds of the install's CPU time (46 s of 63 s for all of `make lab`,
# measured offline); Python compiles the few modules a session imports on first use instead (about 10 s).
$(LAB_STAMP): pyproject.toml | $(VENV)/bin/python
	$(EDITABLE) '.[lab,dask]' --no-compile
	touch $(LAB_STAMP)

# The same file as Binder's (binder/postBuild copies it too).
$(LAB_SETTINGS): binder/overrides.json | $(VENV)/bin/python
	mkdir -p $(dir $(LAB_SETTINGS))
	cp binder/overrides.json $(LAB_SETTINGS)

setup: $(STAMP)

demo: $(LAB_STAMP)
	$(BIN)/cxrkit demo

# JupyterLab refuses to start as root without --allow-root (containers, CI machines).
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

# With CXRKIT_ROOT set the notebooks read that copy: no demo is made. Notebooks already in LAB_DIR are kept
# (a participant's work); delete LAB_DIR to start again from the repository's notebooks.
# SOLUTIONS=0: the learners' copies, without the teacher's solution cells (cxrkit workshop strip-solutions).
SOLUTIONS ?= 1
LAB_SOURCE := $(if $(filter 0,$(SOLUTIONS)),$(LAB_DIR)/.learner-notebooks,notebooks)
# Everything but starting JupyterLab: the lab installed, the demo made, the notebooks copied.
setup-lab: $(LAB_STAMP) $(LAB_SETTINGS)
	@if [ -z "$$CXRKIT_ROOT" ]; then $(BIN)/cxrkit demo; else echo "using CXRKIT_ROOT=$$CXRKIT_ROOT (no demo)"; fi
	@mkdir -p $(LAB_DIR)
	@if [ "$(SOLUTIONS)" = 0 ]; then $(BIN)/cxrkit workshop strip-solutions notebooks $(LAB_SOURCE) >/dev/null; fi
	@for nb in $(LAB_SOURCE)/*.ipynb; do [ -e "$(LAB_DIR)/$${nb##*/}" ] || cp "$$nb" $(LAB_DIR)/; done

lab: setup-lab
	$(BIN)/jupyter lab $(LAB_DIR)/ $(ROOT_FLAG) $(LAB_ARGS)

# For a room without internet: wheels of everything the lab needs, made once on a connected machine. Then, on
# each machine:  PIP_NO_INDEX=1 PIP_FIND_LINKS=$(CURDIR)/wheelhouse make lab
wheelhouse: | $(VENV)/bin/python
	$(PIP) wheel --wheel-dir wheelhouse pip setuptools wheel '.[lab,dask]'

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
