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

# `make run` prints one progress line per finished job, every error and failed job's log, then a
# short summary (python -m nnlab.status --summary) and the next command. The full Snakemake
# output, job by job: `$(BIN)/snakemake --cores N`, or .snakemake/log/ after any run.
QUIET_RUN := --quiet rules host
# the lines Snakemake prints around every job even with --quiet rules (errors never match)
CHATTER := ^(Select jobs to execute\.\.\.|Execute [0-9]+ jobs\.\.\.|Finished jobid: [0-9]+ \(Rule: [a-z_]+\)|\[[A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]+ [0-9:]{8} [0-9]{4}\])$$
run: SHELL := /bin/bash
run: .SHELLFLAGS := -o pipefail -c
run: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) $(QUIET_RUN) 2>&1 \
		| grep --line-buffered -v -E '$(CHATTER)'
	@echo
	@$(BIN)/python -m nnlab.status --summary
	@echo
	@echo "next: make app    (browse the results: http://localhost:8501)"

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
