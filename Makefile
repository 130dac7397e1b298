PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := data/demo

.PHONY: help report test bench lint clean

help: ## List the commands
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

# Bytecode is compiled at install and before each run: where PYTHONDONTWRITEBYTECODE is set, every kernel and
# worker would otherwise compile the whole stack again (measured: the suite 1.7 times slower).
$(BIN)/salesnb: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv  # uv installs the stack in a third of pip's time
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]' || $(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(DEMO)/workspace.duckdb: $(BIN)/salesnb salesnb/data/demo.py salesnb/data/schema.py
	$(BIN)/salesnb demo --out $(DEMO)

report: $(DEMO)/workspace.duckdb ## Install, generate the demo data, and produce every demo report
	$(BIN)/python -m compileall -q salesnb
	$(BIN)/salesnb run --plan params/plans/demo.yaml

test: $(DEMO)/workspace.duckdb ## Run the tests, and every notebook on the demo data (nbval)
	$(BIN)/python -m compileall -q salesnb tests
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup tests --nbval-lax notebooks

bench: $(BIN)/salesnb ## Run the benchmarks (slow, not part of the tests)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[bench]' || $(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/bench_runner.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_forecast.py
	$(BIN)/python benchmarks/bench_panel.py
	$(BIN)/python benchmarks/bench_dedup.py
	$(BIN)/python benchmarks/bench_routes.py

lint: $(BIN)/salesnb ## Lint with ruff (code, tests, benchmarks and notebook cells)
	$(BIN)/ruff check salesnb tests benchmarks notebooks
	$(BIN)/ruff format --check notebooks

clean: ## Remove generated data and reports
	rm -rf data outputs/*/ outputs/*.html
