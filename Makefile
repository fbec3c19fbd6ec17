# One entry point for dev tasks. The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORPUS ?= ../shared/corpus
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run ingest serve test lint bench clean

$(BIN)/policy-archive: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/policy-archive

## Take the PDFs (from the corpus folder here; `policy-archive fetch SLUG` downloads originals where there is network) and ingest them.
ingest: install
	$(BIN)/policy-archive fetch anthropic-rsp --from $(CORPUS)/anthropic-rsp/pdf
	$(BIN)/policy-archive fetch anthropic-rsp-noncompliance --from $(CORPUS)/anthropic-rsp-noncompliance/pdf
	$(BIN)/policy-archive ingest --jobs 2

serve: install
	$(BIN)/policy-archive serve --host $(HOST) --port $(PORT)

## Set up, ingest the corpus, serve the API and pages.
run: ingest serve

## The test suite (SQLite; set POLICY_ARCHIVE_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432 for PostgreSQL).
test: install
	$(BIN)/pytest -n 2 -q

lint: install
	$(BIN)/ruff check archive ingest api cli tests bench

bench: install
	$(BIN)/python -m bench.run_all

clean:
	rm -rf var .pytest_cache
