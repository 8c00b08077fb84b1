# `make hello`: set up a virtual environment with nbemu, build the interpreter once, run hello.
# `make test`: also install what the tests use (Debian qemu-user as the reference emulator,
# libc6-dev-arm64-cross as the sysroot for the dynamic-linking tests, the pinned Python test
# dependencies), then run the whole suite on both cores.
# Debian's system Python is externally managed, so everything goes into $(VENV).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export NBEMU_CACHE_DIR ?= $(CURDIR)/.nbemu-cache
APT_PKGS := qemu-user libc6-dev-arm64-cross

.PHONY: test hello venv apt-deps test-deps precompile bench bench-quick guests workloads

# apt-get update runs once, and only when a package is missing
apt-deps:
	@missing=$$(for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(PY):
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "installing python3-venv"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip

venv: $(PY)
	$(PY) -m pip install -q -c constraints.txt -e .

test-deps: apt-deps $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	tests/qemu_plugins/build.sh
	$(MAKE) -C tests/qemu_tcg fetch

precompile: venv
	$(PY) -m nbemu --precompile

hello: precompile
	$(PY) -m nbemu tests/guest/bin/hello

test: test-deps
	$(PY) -m nbemu --precompile
	$(PY) -m pytest -n 2 -q tests

# BENCH_ARGS go to bench/run
bench: apt-deps $(PY)
	$(PY) -m pip install -q -c constraints.txt -e '.[bench]'
	$(PY) bench/run $(BENCH_ARGS)

guests:
	$(MAKE) -C tests/guest

workloads:
	$(MAKE) -C bench/workloads

bench-quick:
	$(MAKE) bench BENCH_ARGS=--quick
