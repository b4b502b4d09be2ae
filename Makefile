# neuralcc: `make eval` runs the main job, `make test` the tests. Both set everything up first.
VENV    := .venv
PY      := $(VENV)/bin/python
SHARED  ?= ../shared
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := gcc binutils make gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user

.PHONY: setup system-packages test test-all eval bench clean

setup: $(VENV)/.installed

system-packages:
	@if ! command -v aarch64-linux-gnu-gcc >/dev/null || [ ! -f /usr/aarch64-linux-gnu/include/stdio.h ] \
	   || ! command -v gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then \
	  echo "installing Debian packages: $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml | system-packages
	@test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# The fast suite (what CI runs): everything not marked slow.
test: setup
	NEURALCC_SHARED=$(SHARED) $(PY) -m pytest -q -m "not slow"

# Everything, including the slow end-to-end checks.
test-all: setup
	NEURALCC_SHARED=$(SHARED) $(PY) -m pytest -q

# The main job: the shipped model on the shipped kernels and a held-out synthetic set, both arches;
# adds humaneval-decompile when $(SHARED)/corpora is present.
eval: setup
	$(VENV)/bin/neuralcc eval --default-run --shared $(SHARED) --out runs/default

bench: setup
	$(PY) bench/run.py --shared $(SHARED)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
