# pinglass developer commands. `make test` and `make demo` work on a fresh machine with only
# Python 3.11+: they build .venv from nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,identity,lint]'
	touch $(STAMP)

## test: build the venv (package + test + identity extras) and run the whole suite
test: $(STAMP)
	$(BIN)/python -m pytest -q

## demo: the main job on the offline mock provider with sample_refs/ and the business preset
demo: $(STAMP)
	$(BIN)/pinglass generate sample_refs --preset business --provider mock --yes \
		--out pinglass-out/demo

## bench: run every benchmark in benchmarks/ (figures are ratios against a same-run baseline)
bench: $(STAMP)
	@set -e; for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

## lint: ruff (check + format check) and mypy --strict on src/
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache pinglass-out
