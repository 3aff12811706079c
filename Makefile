# The two commands of the README: `make book` builds the course, `make test` runs every test.
# Both create .venv when it is missing and are safe to run again.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test install clean

$(BIN)/python:
	$(shell command -v $(PYTHON) >/dev/null 2>&1 && echo $(PYTHON) || echo python3) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask,postgres]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# Students: everything the book needs plus JupyterLab, to run the notebooks (`.venv/bin/jupyter lab`).
install: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'

book: $(STAMP)
	$(BIN)/coursekit build .

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

clean:
	rm -rf _build
