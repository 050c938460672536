# Two commands: `make run` (the whole workflow on the demo data) and `make test`.
# Both create .venv from pyproject.toml when it is missing or older than pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test gradcheck bench app clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES)

test: $(STAMP)
	$(BIN)/python -m pytest -q

gradcheck: $(STAMP)
	$(BIN)/python -m nnlab.gradcheck

bench: $(STAMP)
	$(BIN)/python benchmarks/epoch_speed.py

app: $(STAMP)
	$(BIN)/streamlit run app.py

clean:
	rm -rf results .snakemake
