# softq: two commands do all the set-up on a fresh machine — `make demo` and `make test`.
SWIFT ?= swift
CONFIG ?= release

.PHONY: setup build test test-report test-slurm demo demo-data demo-policies demo-generations clean

setup:
	@bash Scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) --product softq

# The import check makes an import of an undeclared target a build error (Package.swift's
# dependency lists are the graph; Scripts/tests/test_dependency_graph.py checks the converse).
test: setup
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check=error
	$(SWIFT) test --skip-build
	python3 -m pytest -q Scripts/tests Scripts/demo

# Not in CI: the report in headless Chromium at 1280 and 800 px (no sideways scrolling, no
# console message, no network request); writes docs/report-1280.png and docs/report-800.png.
# Uses demo-out/report.html when `make demo` made one, else renders the committed example runs.
test-report: build
	bash Scripts/test_report.sh .build/$(CONFIG)/softq

# Not in CI: starts munged, slurmctld and slurmd as root on loopback (installs slurm-wlm and
# munge with apt when missing), runs Scripts/slurm's array job of 4 shards plus the merge over
# the demo's held-out pairs and checks the merged run against a single-process run.
test-slurm: build
	bash Scripts/slurm/test_slurm.sh .build/$(CONFIG)/softq

# The main job: score the held-out pairs with every demo policy, sample and grade generations,
# correlate rewards with the task metric, print the table, write demo-out/report.html.
demo: build
	python3 Scripts/demo/run_demo.py --softq .build/$(CONFIG)/softq --out demo-out

# Retrains the demo policies in notebooks-data/policies (λ sweep on validation pairs, 3 seeds
# per objective); deterministic, about 20–40 minutes on 2 cores.
demo-policies: build
	python3 Scripts/demo/train_policies.py --softq .build/$(CONFIG)/softq

# Regenerates notebooks-data/generations (greedy and sampled generations of every demo policy,
# labelled with the task metric).
demo-generations: build
	bash Scripts/demo/make_generations.sh .build/$(CONFIG)/softq

# Regenerates the demo task, tokenizer and splits in notebooks-data/ (deterministic, seeded).
demo-data: setup
	python3 Scripts/demo/make_demo_data.py

clean:
	rm -rf .build
