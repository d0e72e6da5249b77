# softq: two commands do all the set-up on a fresh machine — `make demo` and `make test`.
SWIFT ?= swift
CONFIG ?= release

.PHONY: setup build test demo clean

setup:
	@bash Scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) --product softq

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: build
	$(SWIFT) run -c $(CONFIG) softq inspect notebooks-data/policies/README.md

clean:
	rm -rf .build
