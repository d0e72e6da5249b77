# softq: two commands do all the set-up on a fresh machine — `make demo` and `make test`.
SWIFT ?= swift
CONFIG ?= release

.PHONY: setup build test test-report test-slurm demo demo-data demo-policies demo-generations study fuzz clean

setup:
	@bash Scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIG) --product softq

# smollm2_checkpoint.py and gemma3_checkpoint.py convert the real models the tests score against
# transformers' references (into .build-fixtures/, once). The import check makes an import of an undeclared target a build error (Package.swift's
# dependency lists are the graph; Scripts/tests/test_dependency_graph.py checks the converse).
test: setup
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check=error
	python3 Scripts/reference/smollm2_checkpoint.py
	python3 Scripts/reference/gemma3_checkpoint.py
	$(SWIFT) test --skip-build
	bash Scripts/test_kernel_families.sh $(SWIFT)
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

# The pre-registered reward study (notebooks-data/study/protocol.json, docs/study.md): trains the
# λ grid × 5 seeds and the γ = 0.9 arm, samples, grades, scores, selects λ* on validation, writes
# notebooks-data/study/results.jsonl and summary.json. Hours of CPU; resumable (run it again).
# Not part of `make test`. STUDY_JOBS policies train in parallel (one thread each).
STUDY_JOBS ?= 2
study: build
	SOFTQ=.build/$(CONFIG)/softq python3 Scripts/study/run_study.py --softq .build/$(CONFIG)/softq --jobs $(STUDY_JOBS)

# Regenerates the demo task, tokenizer and splits in notebooks-data/ (deterministic, seeded).
demo-data: setup
	python3 Scripts/demo/make_demo_data.py

# Fuzzes the checkpoint loader (HDF5 bytes), the JSON parser, the pairs reader, tokenizer.json
# loading + encoding and the chat-template parser + renderer with libFuzzer + AddressSanitizer,
# FUZZ_SECONDS each (never in CI). Built in .build-fuzz, apart from the ordinary build: the
# sanitizer flags apply to every module. Seeds: Fuzz/corpus;
# new inputs go to .build-fuzz/corpus-*, crashes to .build-fuzz/crash-*. Findings: docs/reliability.md.
FUZZ_SECONDS ?= 600
# Coverage flags are those of -sanitize=fuzzer, spelled out, and libFuzzer is linked without its
# main: SwiftPM aliases `main` to each executable's own entry point, which then calls
# LLVMFuzzerRunDriver (Sources/CLibFuzzer). -sanitize=fuzzer itself links a second main.
LIBFUZZER ?= $(shell dirname $$(dirname $$(readlink -f $$(which $(SWIFT)))))/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a
FUZZ_FLAGS = --scratch-path .build-fuzz -c release -Xswiftc -DSOFTQ_FUZZ -Xswiftc -sanitize=address \
	-Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
	-Xlinker $(firstword $(wildcard $(LIBFUZZER))) -Xlinker -lstdc++

fuzz:
	$(SWIFT) build $(FUZZ_FLAGS) --product FuzzJSON
	$(SWIFT) build $(FUZZ_FLAGS) --product FuzzCheckpoint
	$(SWIFT) build $(FUZZ_FLAGS) --product FuzzPairReader
	$(SWIFT) build $(FUZZ_FLAGS) --product FuzzTokenizer
	$(SWIFT) build $(FUZZ_FLAGS) --product FuzzChatTemplate
	mkdir -p .build-fuzz/corpus-json .build-fuzz/corpus-checkpoint .build-fuzz/corpus-pairs \
		.build-fuzz/corpus-tokenizer .build-fuzz/corpus-chat_template
	.build-fuzz/release/FuzzJSON .build-fuzz/corpus-json Fuzz/corpus/json \
		-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=.build-fuzz/crash-json-
	# Fork mode keeps going past findings: libhdf5 1.10 itself hangs on some damaged files.
	ASAN_OPTIONS=detect_leaks=0 .build-fuzz/release/FuzzCheckpoint .build-fuzz/corpus-checkpoint Fuzz/corpus/checkpoint \
		-fork=1 -ignore_timeouts=1 -ignore_crashes=1 -ignore_ooms=1 -timeout=5 \
		-max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -artifact_prefix=.build-fuzz/crash-checkpoint-
	# No leak check at exit: after a run LeakSanitizer reports two 4 KiB buffers of Foundation's file
	# reading as lost (two, after 646,462 files read: no leak per read); libFuzzer still checks each input.
	ASAN_OPTIONS=leak_check_at_exit=0 .build-fuzz/release/FuzzPairReader .build-fuzz/corpus-pairs Fuzz/corpus/pairs \
		-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=.build-fuzz/crash-pairs-
	# The tokenizer seeds are whole tokenizer.json files (up to 64 KB); a NUL byte splits off a text to encode.
	.build-fuzz/release/FuzzTokenizer .build-fuzz/corpus-tokenizer Fuzz/corpus/tokenizer \
		-max_total_time=$(FUZZ_SECONDS) -max_len=131072 -timeout=10 -artifact_prefix=.build-fuzz/crash-tokenizer-
	# No leak check: LeakSanitizer cannot see pointers Swift keeps in an enum's spare bits, so the
	# once-initialized conversation is reported as leaked (replaying an input 4 times reports no
	# more) and a real leak is not reported as growing; measure growth with the replayer's RSS.
	ASAN_OPTIONS=detect_leaks=0 .build-fuzz/release/FuzzChatTemplate .build-fuzz/corpus-chat_template Fuzz/corpus/chat_template \
		-max_total_time=$(FUZZ_SECONDS) -timeout=5 -detect_leaks=0 -artifact_prefix=.build-fuzz/crash-chat_template-

clean:
	rm -rf .build .build-fuzz
