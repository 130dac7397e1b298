PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := data/demo

.PHONY: help report test bench lint clean

help: ## List the commands
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/salesnb: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

report: $(BIN)/salesnb ## Install, generate the demo data, and produce every demo report
	$(BIN)/salesnb demo --out $(DEMO)
	$(BIN)/salesnb run --plan params/plans/demo.yaml

test: $(BIN)/salesnb ## Run the test suite
	$(BIN)/python -m pytest -q

bench: $(BIN)/salesnb ## Run the benchmarks (slow, not part of the tests)
	$(BIN)/python benchmarks/bench_runner.py

lint: $(BIN)/salesnb ## Lint with ruff
	$(BIN)/ruff check salesnb tests benchmarks

clean: ## Remove generated data and reports
	rm -rf data outputs/*/ outputs/*.html
