# softq: two commands do all the set-up on a fresh machine — `make demo` and `make test`.
SWIFT ?= swift
CONFIG ?= release

.PHONY: setup build test demo demo-data clean

setup:
	@bash Scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) --product softq

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	python3 -m pytest -q Scripts/tests Scripts/demo

demo: build
	$(SWIFT) run -c $(CONFIG) softq inspect notebooks-data/policies/README.md

# Regenerates the demo task, tokenizer and splits in notebooks-data/ (deterministic, seeded).
demo-data: setup
	python3 Scripts/demo/make_demo_data.py

clean:
	rm -rf .build
