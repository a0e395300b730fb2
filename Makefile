# The commands the README documents. `make book` and `make test` set up
# everything they need on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MATHJAX_VERSION := 3.2.2
MATHJAX := _vendor/mathjax/tex-chtml.js
# axe-core for the accessibility test: vendored for the tests only, into a
# folder that is not an html_static_path, so it is never published.
AXE_VERSION := 4.14.1
AXE := _vendor_test/axe-core/axe.min.js
CHROMIUM ?= /usr/bin/chromium
export NNBOOK_CHROMIUM := $(CHROMIUM)

# The offline data mirror, used when NNBOOK_DATA is not set already.
ifeq ($(strip $(NNBOOK_DATA)),)
  ifneq ($(wildcard ../shared/data/MNIST/raw),)
    export NNBOOK_DATA := $(abspath ../shared/data)
  endif
endif
# Determinism: the kernels inherit these, so two builds give the same output.
# One BLAS thread also keeps NumPy from fighting PyTorch for the two cores.
export PYTHONHASHSEED := 0
export OPENBLAS_NUM_THREADS := 1

.PHONY: help book test unit bench clean distclean

help:
	@echo "make book   set up .venv, then build the book into _build/html"
	@echo "make test   set up .venv, build the book, run the whole test suite"
	@echo "make unit   set up .venv, run the unit tests only (no book build, no browser): the fast loop"
	@echo "make bench  run every benchmark (side by side ratios) into benchmarks/results.json"
	@echo "make clean  delete the build (_build); distclean also .venv, _vendor and _vendor_test"

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install -e .
	touch $@

# MathJax 3 from the npm registry, served from the site's own _static/.
$(MATHJAX):
	rm -rf _vendor/mathjax _vendor/.npm-pack
	mkdir -p _vendor/.npm-pack
	cd _vendor/.npm-pack && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && tar -xzf mathjax-$(MATHJAX_VERSION).tgz
	mv _vendor/.npm-pack/package/es5 _vendor/mathjax
	cp _vendor/.npm-pack/package/LICENSE _vendor/mathjax/LICENSE
	rm -rf _vendor/.npm-pack
	test -f $@

# axe-core from the npm registry, for tests/test_accessibility.py.
$(AXE):
	rm -rf _vendor_test/axe-core _vendor_test/.npm-pack
	mkdir -p _vendor_test/.npm-pack
	cd _vendor_test/.npm-pack && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar -xzf axe-core-$(AXE_VERSION).tgz
	mkdir -p _vendor_test/axe-core
	mv _vendor_test/.npm-pack/package/axe.min.js _vendor_test/.npm-pack/package/LICENSE _vendor_test/axe-core/
	rm -rf _vendor_test/.npm-pack
	test -f $@

# Headless Chromium for the browser tests: Debian's package, never a
# browser download.
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "The browser tests need Chromium at $(CHROMIUM). Install it (Debian: sudo apt-get install chromium) or run make test CHROMIUM=/path/to/chromium."; \
	  exit 1; \
	fi

book: $(INSTALLED) $(MATHJAX)
	$(BIN)/python tools/book_cache.py check
	@# A failed build leaves Sphinx believing its pages are up to date;
	@# forget its saved state so the next build reads them all again.
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going \
	  || { rm -rf _build/.doctrees; exit 1; }
	$(BIN)/python tools/book_cache.py stamp

test: book $(CHROMIUM) $(AXE)
	$(BIN)/python -m pytest

# The developer's loop: everything not marked as a check of the built site,
# a browser test or a throwaway build (see the markers in pyproject.toml).
unit: $(INSTALLED)
	$(BIN)/python -m pytest -m "not site and not browser and not slow"

bench: $(INSTALLED) $(MATHJAX)
	cd benchmarks && ../$(BIN)/python run.py

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) _vendor _vendor_test
