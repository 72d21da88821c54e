# The two commands a new user needs: `make run` and `make test`.
# Each installs what is missing first (scripts/ensure-deps.sh) and costs nothing when it is there.

CARGO ?= cargo
DATA_DIR ?=
RUN_ARGS ?=
# Where cargo puts its builds: CI keeps it outside the clone (see .ci/run).
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run test build check unit e2e fuzz bench deb deb-check clean

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
	$(MAKE) --no-print-directory check unit e2e

check:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	node_modules/.bin/tsc --noEmit --checkJs -p tsconfig.json

unit:
	$(CARGO) test --workspace

e2e:
	$(CARGO) build
	scripts/e2e.sh

bench:
	@scripts/ensure-deps.sh test
	scripts/bench.sh

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
