# Build, test and demo reaflow. `make test` works on a fresh clone: it
# installs the pinned restate-server into .tools/ (npm) and fetches Go modules.

RESTATE_VERSION := 1.7.12
RESTATE_DIR := .tools/restate-$(RESTATE_VERSION)
# npm ships the server as one package per platform: linux/darwin, x64/arm64.
RESTATE_OS := $(shell uname -s | tr '[:upper:]' '[:lower:]')
RESTATE_ARCH := $(subst aarch64,arm64,$(subst x86_64,x64,$(shell uname -m)))
RESTATE_SERVER := $(RESTATE_DIR)/node_modules/@restatedev/restate-server-$(RESTATE_OS)-$(RESTATE_ARCH)/bin/restate-server

GO ?= go
GOTEST_FLAGS ?= -timeout 15m

# Tests and the demo find the server through this variable.
export REAFLOW_RESTATE_SERVER := $(abspath $(RESTATE_SERVER))

.PHONY: all restate-server tmux chromium build test fuzz demo bench chaos cluster-test fmt vet lint clean

all: build

restate-server: $(RESTATE_SERVER)

# --ignore-scripts: the only install script is a usage-reporting hook.
$(RESTATE_SERVER):
	npm install --prefix $(RESTATE_DIR) --no-audit --no-fund --no-save --no-package-lock --ignore-scripts \
		@restatedev/restate-server@$(RESTATE_VERSION)
	test -x $@
	touch $@

# The terminal test of `submit --wait` drives a real terminal with tmux,
# installed from Debian's packages when the machine lacks it.
tmux:
	@command -v tmux >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq tmux; }

# The console's browser test drives a headless Chromium, installed from
# Debian's packages when the machine lacks it.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }

build:
	$(GO) build -o bin/reaflow ./cmd/reaflow

test: $(RESTATE_SERVER) tmux chromium
	$(GO) mod download
	$(MAKE) --no-print-directory lint
	$(GO) test $(GOTEST_FLAGS) ./...
	# The integration suites again, with the server suspending every
	# invocation whenever it waits, so every step is reached by replay.
	REAFLOW_ALWAYS_REPLAY=1 $(GO) test $(GOTEST_FLAGS) -count=1 ./interpreter ./cmd/reaflow
	# Run every Go benchmark once, so they stay compilable and working.
	$(GO) test -run '^$$' -bench . -benchtime=1x ./...

# fuzz explores each fuzz target of the dsl (definitions, expressions,
# templates, inputs) for FUZZTIME. `make test` never fuzzes: it runs the
# seed corpora (dsl/testdata/fuzz/<target>) as ordinary tests, so it passes
# or fails for a reason. An input that fails lands in that folder; commit
# it with the fix and it stays a seed.
FUZZTIME ?= 1m
FUZZ_TARGETS := FuzzLoad FuzzEval FuzzTemplate FuzzValidateInput
fuzz:
	$(foreach target,$(FUZZ_TARGETS),$(GO) test -run '^$$' -fuzz '^$(target)$$' -fuzztime $(FUZZTIME) ./dsl &&) true

demo: $(RESTATE_SERVER) build
	./bin/reaflow demo

# bench measures the interpreter against hand-written Restate code on a
# restate-server of its own and prints the table that BENCHMARKS.md records.
# Pass flags in BENCH_FLAGS, e.g. make bench BENCH_FLAGS='--markdown bench.md'.
# -buildvcs=auto records the commit measured, whatever GOFLAGS says.
bench: $(RESTATE_SERVER)
	$(GO) build -buildvcs=auto -o bin/reaflow-bench ./cmd/reaflow-bench
	./bin/reaflow-bench $(BENCH_FLAGS)

# chaos runs the chaos soak: 2000 example workflows against restate-server and
# two reaflow endpoints while it SIGKILLs the endpoints 150 times and the
# server four times, with provider faults injected; it prints a report and
# fails if any run or side effect is not as expected. A few minutes.
# `make test` runs the short version (internal/testkit/chaos TestShortSoak).
# Pass flags in CHAOS_FLAGS, e.g. make chaos CHAOS_FLAGS='--runs 5000 --seed 7'.
chaos: $(RESTATE_SERVER) build
	$(GO) build -o bin/reaflow-chaos ./cmd/reaflow-chaos
	./bin/reaflow-chaos --reaflow bin/reaflow $(CHAOS_FLAGS)

# cluster-test runs reaflow on a 3-node Restate cluster on loopback with two
# reaflow endpoints: a few hundred mixed example workflows go through one
# node's ingress while another node is SIGKILLed and restarted on its base
# dir. It fails if a run is lost, an output is wrong or a provider effect
# happens twice, and prints a report: throughput of a single node against
# the cluster on this machine, the failover pause, duplicates and runs lost.
# About a minute. `make test` runs a smaller one (internal/testkit/clusterrun).
# Pass flags in CLUSTER_FLAGS, e.g. make cluster-test CLUSTER_FLAGS='--runs 1000 --down 10s'.
cluster-test: $(RESTATE_SERVER) build
	$(GO) build -o bin/reaflow-cluster ./cmd/reaflow-cluster
	./bin/reaflow-cluster --reaflow bin/reaflow --workflows workflows $(CLUSTER_FLAGS)

fmt:
	gofmt -w .

vet:
	$(GO) vet ./...

# lint fails on unformatted files as well as on vet findings.
lint: vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin .tools
