# Two entry points for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
# torch is only installed when the venv has none: a GPU user's own CUDA build is kept.
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
ARGS   ?=

.PHONY: run test bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[test]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/bertui $(ARGS)

test: $(VENV)/.installed
	$(BIN)/python -m ruff check bertui tests benchmarks scripts
	$(BIN)/lint-imports  # the layers and the forbidden imports of pyproject's [tool.importlinter]
	$(BIN)/mypy  # strict for the engine, the model's process, the API, the ledger and backends; basic elsewhere
	$(BIN)/python -m pytest  # the header names the random seed; -ra (pyproject) lists skip reasons

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py $(ARGS)

screenshots: $(VENV)/.installed
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) build *.egg-info
