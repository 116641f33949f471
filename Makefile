# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_WORKSPACE ?= demo-workspace
PORT ?= 8000

.PHONY: messages install browser-deps demo serve test test-slow lint format bench bench-quick lock clean

# Every installed package comes from requirements.lock (exact versions and hashes); unicx itself
# is installed editable on top, without resolving anything. `make lock` refreshes the lock.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The dashboard's htmx comes from the npm registry through its lock (integrity-checked), and is
# served by unicx itself: nothing is fetched from a CDN or at run time.
HTMX := src/unicx/web/assets/node_modules/htmx.org/dist/htmx.min.js
$(HTMX): src/unicx/web/assets/package-lock.json
	@command -v npm >/dev/null || { echo "the dashboard needs npm once, to install htmx (apt-get install npm)"; exit 1; }
	npm ci --prefix src/unicx/web/assets --no-audit --no-fund --silent
	touch $(HTMX)

install: $(STAMP) $(HTMX)

demo: install
	$(BIN)/unicx demo --workspace $(DEMO_WORKSPACE) --port $(PORT)

# The browser tests need what the Python lock cannot carry: Debian's Chromium (driven by
# Playwright for Python; no browser download) and the official browser SDKs from the npm lock.
BROWSER_STAMP := tests/browser/node_modules/.installed
$(BROWSER_STAMP): tests/browser/package-lock.json
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends chromium; } || \
		{ echo "install Debian's chromium (sudo apt-get install chromium)"; exit 1; }
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $(BROWSER_STAMP)

browser-deps: $(BROWSER_STAMP)

# `make test` stays under 15 minutes on 2 cores; the tests marked `slow` (they spawn servers,
# drive Chromium or run for seconds) are `make test-slow`. CI (.ci/run) runs both.
test: install
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: install $(BROWSER_STAMP)
	$(BIN)/python -m pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

# Every headline benchmark at reduced scale (< 10 min), each figure beside its same-run
# baseline; re-run when a change touches ingest, identity, segments, recommendations, journeys.
bench-quick: $(STAMP)
	$(BIN)/python bench/quick.py

# On purpose only (a new dependency, a security release, a monthly refresh): docs/dependencies.md.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml requirements-build.in --extra dev --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --generate-hashes --no-header --upgrade \
		-o requirements.lock

# The dashboard's catalog gaps (src/unicx/web/locale/{vi,en}/LC_MESSAGES/<area>.po), printed as
# .po entries to paste and translate (Vietnamese first); fails while any is missing.
messages: $(STAMP)
	$(BIN)/python -m unicx.web.catalogs

clean:
	rm -rf $(VENV) $(DEMO_WORKSPACE) .pytest_cache .mypy_cache .ruff_cache
