# balloonsim -- the only build system.  Read top to bottom.
#
#   make            build ./balloonsim (installs missing Debian packages first)
#   make run        build, run scenarios/default.ini -> results/default.db and a figure
#   make test       the whole suite: Criterion unit tests, end-to-end tests, regression scenarios
#   make bench      benchmarks (engine, scenarios); prints figures, asserts nothing
#   make profile    top of the profile of dc-large (perf, else callgrind)
#   make sanitize   the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       libFuzzer harnesses (clang), FUZZ_SECONDS each
#   make figures    regenerate every figure the README shows (docs/img/)
#   make capacity-docs  the capacity consolidation table (docs/capacity.md), its figures, README's answer
#   make sensitivity  docs/sensitivity.md: the policy comparison over the memory model's grid
#   make validation-docs  docs/validation.md: the validation table (v2 and legacy) and each row's sweep
#   make examples-docs  docs/policies.md: the table of the shipped examples (scenarios/examples/)
#   make clean

CC      ?= cc
PKGS    := gsl sqlite3 inih
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS_ALL = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -MMD -MP \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EXTRA_CPPFLAGS)
LDLIBS_ALL   = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lgsl -lgslcblas -lsqlite3 -linih) -lm $(EXTRA_LDLIBS)
BUILD   ?= build
BIN     ?= balloonsim

# Three layers, one folder each (docs/design.md): sim/ the engine, models/ the memory
# models, both in libballoonsim.a; cli/ the program, in libballoonsim-cli.a (all but main)
# so that tests and benchmarks can call a command's parts.
LIB_SRC  := $(wildcard sim/*.c models/*.c models/policies/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(filter-out cli/main.c,$(wildcard cli/*.c))
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: FORCE all deps run test test-slurm valgrind unit e2e regression bench profile sanitize fuzz figures capacity-docs sensitivity validation-docs examples-docs clean
# The benchmarks too: run by hand after `make`, build/bench/* must not be stale.
all: $(BIN) $(BENCH_BIN)

# Missing packages are installed once; the stamp avoids asking apt every build.
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@bash scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(OBJ_CPPFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

# The model digest (docs/database.md "Builds do not mix"): the first 12 hex digits of the
# SHA-256 of the sources that decide results (sim/ and models/, not cli/ or docs/): the
# `sha256sum` lines (hash and path) of the sorted file list, hashed again, so the same
# sources give the same digest on every machine.  It is written into $(BUILD)/model_digest.h
# only when it differs, so that only sim/version.o is rebuilt when it changes; every run
# records "0.1.0+model.DIGEST" (sim/version.h) and resuming refuses runs of another one.
MODEL_SRC    := $(sort $(wildcard sim/*.c sim/*.h models/*.c models/*.h models/policies/*.c models/policies/*.h))
MODEL_DIGEST := $(shell sha256sum $(MODEL_SRC) | sha256sum | cut -c1-12)
$(BUILD)/model_digest.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define BALLOONSIM_MODEL "%s"\n' '$(MODEL_DIGEST)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "model digest $(MODEL_DIGEST) -> $@"; fi
$(BUILD)/sim/version.o: $(BUILD)/model_digest.h
$(BUILD)/sim/version.o: OBJ_CPPFLAGS = -I$(BUILD)
FORCE:

$(BUILD)/libballoonsim.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libballoonsim-cli.a: $(CLI_OBJ)
	@rm -f $@
	ar rcs $@ $^

LIB = $(BUILD)/libballoonsim-cli.a $(BUILD)/libballoonsim.a
$(BIN): $(BUILD)/cli/main.o $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BUILD)/cli/main.o $(LIB) $(LDLIBS_ALL)

# One Criterion binary per suite: a suite can be run alone (build/tests/test_queue).
$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL) -lcriterion

$(BUILD)/bench/%: bench/%.c $(LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

run: $(BIN)
	@mkdir -p results
	./$(BIN) run scenarios/default.ini -o results/default.db
	./$(BIN) plot results/default.db --figure timeline -o results/default-timeline.png

unit: $(TEST_BIN)
	@fail=0; for t in $(TEST_BIN); do echo "== $$t"; ./$$t --jobs 2 --short-filename || fail=1; done; exit $$fail

e2e: $(BIN) $(BENCH_BIN)
	@BALLOONSIM=./$(BIN) BENCH=$(BUILD)/bench bash tests/e2e/run.sh

regression: $(BIN)
	./$(BIN) check --quiet tests/regression/*.ini

# A real single-node Slurm cluster (installs slurm-wlm and munge; needs root or sudo).
test-slurm: $(BIN)
	BALLOONSIM=./$(BIN) bash scripts/test-slurm.sh

test: unit e2e regression
	@echo "make test: all suites passed"

bench: $(BIN) $(BENCH_BIN)
	@BALLOONSIM=./$(BIN) bash scripts/bench.sh $(BENCH_BIN)

# Top of the profile of a benchmark scenario (perf, else callgrind): scripts/profile.sh.
profile: $(BIN) $(BUILD)/bench/bench_dc
	@BALLOONSIM=./$(BIN) bash scripts/profile.sh $(BUILD)/bench/bench_dc

sanitize:
	$(MAKE) BUILD=build-san BIN=build-san/balloonsim OPT=-O1 \
	  EXTRA_CPPFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" test

# Fuzzing (not part of `make test`): the libFuzzer harnesses fuzz/fuzz_NAME.c, built with
# clang, ASan and UBSan into build-fuzz/.  Each runs FUZZ_SECONDS from its seeds
# fuzz/corpus/NAME/ (kept in git) and a working corpus build-fuzz/corpus/NAME/ (not kept),
# with fuzz/NAME.dict when there is one, in libFuzzer's fork mode (FUZZ_JOBS workers) with
# crashes, timeouts and OOMs ignored, so that a finding neither stops its harness nor the
# next ones.  Findings are saved as build-fuzz/crashes/NAME-*; after the last harness make
# lists this run's findings and fails if there is any: replay one with
# ./build-fuzz/fuzz_NAME FILE and turn it into a case in tests/bad/ or
# tests/unit/test_fuzz_regressions.c.
# `make fuzz FUZZ=scenario FUZZ_SECONDS=60` runs one harness for a minute.
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
FUZZ ?= $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz:
	$(MAKE) CC=clang BUILD=build-fuzz BIN=build-fuzz/balloonsim OPT=-O1 \
	  EXTRA_CPPFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/libballoonsim.a
	@mkdir -p build-fuzz/crashes; stamp=build-fuzz/.fuzz-start; touch $$stamp; failed=; \
	for h in $(FUZZ); do \
	  echo "== fuzz $$h: $(FUZZ_SECONDS) s"; \
	  clang $(CPPFLAGS_ALL) -D_GNU_SOURCE $(WARN) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) \
	    -o build-fuzz/fuzz_$$h fuzz/fuzz_$$h.c \
	    build-fuzz/libballoonsim.a $(LDLIBS_ALL) || { failed="$$failed $$h(build)"; continue; }; \
	  mkdir -p build-fuzz/corpus/$$h; \
	  dict=; [ -f fuzz/$$h.dict ] && dict=-dict=fuzz/$$h.dict; \
	  ./build-fuzz/fuzz_$$h -fork=$(FUZZ_JOBS) -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=build-fuzz/crashes/$$h- $$dict \
	    build-fuzz/corpus/$$h fuzz/corpus/$$h || failed="$$failed $$h(exit $$?)"; \
	done; \
	found=$$(find build-fuzz/crashes -type f -newer $$stamp | sort); \
	echo "== fuzz: findings of this run: $$(echo "$$found" | grep -c . || true)"; \
	[ -z "$$found" ] || echo "$$found" | sed 's/^/   /'; \
	[ -z "$$failed" ] || echo "== fuzz: harnesses that did not finish cleanly:$$failed"; \
	[ -z "$$found" ] && [ -z "$$failed" ]

# The default scenario under valgrind: no errors, no leaks.
valgrind: $(BIN)
	@command -v valgrind >/dev/null || bash scripts/deps.sh valgrind
	valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	  ./$(BIN) run scenarios/default.ini -o $(BUILD)/valgrind.db --force --quiet --set simulation.duration=20min

sensitivity: $(BIN)
	bash scripts/sensitivity.sh ./$(BIN) 2

validation-docs: $(BIN)
	bash scripts/validation-docs.sh ./$(BIN)

# About 1 s; tests/e2e/examples_pins.sh fails when the page's table is not what this writes.
examples-docs: $(BIN)
	bash scripts/examples-docs.sh ./$(BIN)

figures: $(BIN)
	bash scripts/figures.sh ./$(BIN)
	cp results/figures/default-timeline.png results/figures/policies-slowdown.png \
	   results/figures/policies-slowdown-vs-static.png \
	   results/figures/policies-host-swap.png docs/img/

# Four capacity searches (every policy compared, 3 repetitions): a few minutes on 2 cores.
capacity-docs: $(BIN)
	BALLOONSIM=./$(BIN) bash scripts/capacity-docs.sh

clean:
	rm -rf build build-san build-fuzz $(BIN)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(BUILD)/cli/main.d
