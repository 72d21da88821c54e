# The two commands a new user needs: `make run` and `make test`.
# Each installs what is missing first (scripts/ensure-deps.sh) and costs nothing when it is there.

CARGO ?= cargo
DATA_DIR ?=
RUN_ARGS ?=
# Where cargo puts its builds: CI keeps it outside the clone (see .ci/run).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run test build check unit diff diff-long e2e fuzz bench deb deb-check clean

run:
	@scripts/ensure-deps.sh build
	$(CARGO) build
	$(TARGET_DIR)/debug/calendarbot $(if $(DATA_DIR),--data-dir $(DATA_DIR)) $(RUN_ARGS)

build:
	@scripts/ensure-deps.sh build
	$(CARGO) build

# Everything: formatting, lints, all Rust tests, then the end-to-end tests on the real
# binary under Xvfb with a session D-Bus and dunst.
test:
	@scripts/ensure-deps.sh test
	$(MAKE) --no-print-directory check unit diff e2e

check:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	node_modules/.bin/tsc --noEmit --checkJs -p tsconfig.json
	node scripts/contrast.mjs

unit:
	$(CARGO) test --workspace

# Differential test against python icalendar + recurring-ical-events (pinned, in a venv
# under the target directory, installed once). `diff` is the short run of `make test`; `diff-long`
# compares thousands of fresh calendars (tests/differential/diffcheck.py).
PYENV := $(TARGET_DIR)/pyenv

$(PYENV)/.installed: tests/differential/requirements.txt
	python3 -m venv $(PYENV)
	PIP_DISABLE_PIP_VERSION_CHECK=1 $(PYENV)/bin/pip install -q --no-deps -r $<
	touch $@

diff: $(PYENV)/.installed
	$(CARGO) build
	$(PYENV)/bin/python tests/differential/diffcheck.py --bin $(TARGET_DIR)/debug/calendarbot --count 40 --seed 0

diff-long: $(PYENV)/.installed
	$(CARGO) build --release
	$(PYENV)/bin/python tests/differential/diffcheck.py --bin $(TARGET_DIR)/release/calendarbot --count 3000 --seed 100000

e2e:
	$(CARGO) build
	scripts/e2e.sh

# Performance figures (scripts/bench.sh), with the ratio against the Python stack measured
# in the same run; `make bench BENCH=agenda` runs only that comparison.
BENCH ?= all
bench: $(PYENV)/.installed
	@scripts/ensure-deps.sh test
	CARGO_TARGET_DIR=$(TARGET_DIR) PYENV=$(PYENV) scripts/bench.sh $(BENCH)

deb:
	@scripts/ensure-deps.sh deb
	$(CARGO) build --release
	node_modules/.bin/tauri bundle --bundles deb
	@ls -1 $(TARGET_DIR)/release/bundle/deb/*.deb

# Installs that package (root or sudo) and runs the tray end-to-end tests on it.
deb-check: deb
	scripts/deb-check.sh

clean:
	$(CARGO) clean
