# Every target bootstraps its own virtualenv, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.created
SERVE_STAMP := $(VENV)/.installed-serve
STAMP := $(VENV)/.installed

.PHONY: serve test test-ui test-lowest test-freqtrade lint bench profile soak fuzz clean

$(VENV_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	touch $(VENV_STAMP)

# serve needs the project alone; everything else, its test extras too.
$(SERVE_STAMP): pyproject.toml setup.py | $(VENV_STAMP)
	$(BIN)/pip install --quiet -e .
	touch $(SERVE_STAMP)

$(STAMP): pyproject.toml setup.py | $(VENV_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(SERVE_STAMP)
	$(BIN)/binance-mock serve $(ARGS)

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# The page at /_mock/ui in Debian's headless chromium (tests/ui, marker `ui`); installs the
# browser and its driver when missing (root, or an existing chromedriver). BINANCE_MOCK_UI=required
# turns a missing browser into a failure instead of a skip. Screenshots: build/ui-screenshots/.
UI_STAMP := $(VENV)/.installed-ui
$(UI_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,ui]'
	touch $(UI_STAMP)

test-ui: $(UI_STAMP)
	@command -v chromedriver >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)
	BINANCE_MOCK_UI=required $(BIN)/pytest -m ui tests/ui $(PYTEST_ARGS)

# The suite on the lowest versions pyproject.toml declares (uv's lowest-direct resolution), in a
# virtualenv of its own: the floors must really work.
LOWEST := .venv-lowest
test-lowest:
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/pip install --quiet --upgrade pip uv
	$(LOWEST)/bin/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[test]'
	$(LOWEST)/bin/pytest $(PYTEST_ARGS)

# The real freqtrade (PyPI, pinned in tests/apps/freqtrade/requirements.txt) against `binance-mock
# serve`: list-pairs, download-data compared candle by candle with the mock's klines, a dry run, and
# a live run whose orders, fees and wallet must equal the mock's (docs/apps.md). freqtrade gets a
# virtualenv of its own: its pins clash with the test extras.
FREQTRADE := .venv-freqtrade
FREQTRADE_REQS := tests/apps/freqtrade/requirements.txt
FREQTRADE_STAMP := $(FREQTRADE)/.installed
$(FREQTRADE_STAMP): $(FREQTRADE_REQS)
	rm -rf $(FREQTRADE)
	$(PYTHON) -m venv $(FREQTRADE)
	$(FREQTRADE)/bin/pip install --quiet --upgrade pip
	$(FREQTRADE)/bin/pip install --quiet --prefer-binary -r $(FREQTRADE_REQS)
	touch $(FREQTRADE_STAMP)

test-freqtrade: $(SERVE_STAMP) $(FREQTRADE_STAMP)
	$(FREQTRADE)/bin/python tests/apps/freqtrade/run.py --binance-mock $(BIN)/binance-mock

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Load generator from Debian; needs root (or an existing wrk) on a fresh machine.
bench: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/run.py

# The server under wrk with py-spy attached: profile/server.folded, server.svg, top.md.
profile: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/pip install --quiet py-spy
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/profile_server.py $(ARGS)

# Long reliability runs (README "Reliability"); not part of make test.
soak: $(STAMP)
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python tools/soak.py $(ARGS)

fuzz: $(STAMP)
	$(BIN)/python tools/fuzz_asgi.py --inputs 1000000
	$(BIN)/binance-mock fuzz --max-examples 10000 --spec-examples 100

clean:
	rm -rf $(VENV) $(LOWEST) $(FREQTRADE) build/freqtrade .pytest_cache .hypothesis
