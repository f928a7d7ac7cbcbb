# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint migrations-check bench clean

$(BIN)/wall: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# A try-out wall's campaign is today, unless WALL_EVENT_DATE says otherwise:
# uploads close by the promised deletion date (30 days after the event).
run: $(BIN)/wall
	WALL_EVENT_DATE=$${WALL_EVENT_DATE:-$$(date +%F)} $(BIN)/wall serve

test: $(BIN)/wall
	$(BIN)/python -m pytest

lint: $(BIN)/wall
	$(BIN)/ruff format --check wall tests bench alembic
	$(BIN)/ruff check wall tests bench alembic
	$(BIN)/mypy wall
	$(BIN)/mypy --strict tests

# Needs the PostgreSQL server of WALL_TEST_POSTGRES_URL (CI runs it).
migrations-check: $(BIN)/wall
	.ci/alembic-check

bench: $(BIN)/wall
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache
