# `make test`: install what the tests need (Debian qemu-user as the reference, Python deps), build
# the interpreter into the code cache once, then run the whole suite on both cores.
PYTHON ?= python3
export NBEMU_CACHE_DIR ?= $(CURDIR)/.nbemu-cache

.PHONY: test deps hello bench bench-deps bench-quick guests workloads

deps:
	@command -v qemu-aarch64 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user; }
	$(PYTHON) -m pip install -q -e '.[test]'

test: deps
	$(PYTHON) -m nbemu --precompile
	$(PYTHON) -m pytest -n 2 -q tests

hello:
	$(PYTHON) -m pip install -q -e . && $(PYTHON) -m nbemu tests/guest/bin/hello

# bench needs qemu-user, nbemu's dependencies and matplotlib (the `bench` extra); it installs only
# what is missing, so an existing editable install is left alone. BENCH_ARGS go to bench/run.
bench-deps:
	@command -v qemu-aarch64 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user; }
	@$(PYTHON) -c 'import numba, capstone, elftools' 2>/dev/null || $(PYTHON) -m pip install -q -e .
	@$(PYTHON) -c 'import matplotlib' 2>/dev/null || $(PYTHON) -m pip install -q 'matplotlib'

bench: bench-deps
	$(PYTHON) bench/run $(BENCH_ARGS)

guests:
	$(MAKE) -C tests/guest

workloads:
	$(MAKE) -C bench/workloads

bench-quick: bench-deps
	$(PYTHON) bench/run --quick
