# wxpub — two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Runs the main job on embedded defaults (SQLite + the local WeChat sandbox).
demo: $(STAMP)
	$(BIN)/wxpub demo

## Installs and runs the whole test suite (PostgreSQL too when WXPUB_TEST_DATABASE_URL is set), in
## parallel: one worker more than there are cores, as the process tests mostly wait (TEST_WORKERS=0:
## serially). --maxschedchunk 1 hands out one test at a time, so the slow ones spread over the workers.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)')
test: $(STAMP)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --maxschedchunk 1

bench: $(STAMP)
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache build *.egg-info
