# `make test`: install what the tests need (Debian qemu-user as the reference, Python deps), build
# the interpreter into the code cache once, then run the whole suite on both cores.
PYTHON ?= python3
export NBEMU_CACHE_DIR ?= $(CURDIR)/.nbemu-cache

.PHONY: test deps hello bench guests

deps:
	@command -v qemu-aarch64 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user; }
	$(PYTHON) -m pip install -q -e '.[test]'

test: deps
	$(PYTHON) -m nbemu --precompile
	$(PYTHON) -m pytest -n 2 -q tests

hello:
	$(PYTHON) -m pip install -q -e . && $(PYTHON) -m nbemu tests/guest/bin/hello

bench: deps
	$(PYTHON) bench/run.py

guests:
	$(MAKE) -C tests/guest
