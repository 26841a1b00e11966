# The two commands: `make run` (service on the embedded dev server) and `make test`;
# `make bench` measures (BENCH_ARGS="--rate 5 10 15 --lifecycles 0": bench/README.md);
# `make chaos` injects faults (CHAOS_ARGS="--quick": docs/reliability.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean chromium bench chaos
BENCH_ARGS ?=
CHAOS_ARGS ?=

CHROMIUM := /usr/bin/chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	./scripts/run-dev.sh

# The browser test drives Debian's chromium (never a downloaded browser). Installed here when
# missing, as root (CI runs as root) or through password-less sudo; otherwise the test says why
# it skips (and fails in CI).
chromium:
	@test -x $(CHROMIUM) || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
		else echo "make: cannot install chromium (not root, no sudo)"; exit 0; fi; \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The promises under faults, on the real servers (docs/reliability.md); CHAOS_ARGS="--quick".
chaos: $(STAMP)
	$(BIN)/python -m bench.chaos $(CHAOS_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .data .pytest_cache .hypothesis tests/artifacts
