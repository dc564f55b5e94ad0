# pestle: build, test, benchmark and demo targets.
GO        ?= go
BIN       := bin/pestle
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
FUZZTIME  ?= 3s

.PHONY: all build deps demo test test-short fuzz bench lint clean apkocheck compat compat-ratchet

all: build

# A static binary: it starts faster (no dynamic loader), which matters for
# one-process-per-recipe loops such as `make compat COMPAT_EXEC=1`.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pestle

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The whole suite with the race detector, then a short run of every fuzz
# target. deps first installs the system tools the tests use (bwrap,
# busybox, git, gcc, binutils, python3) when missing.
test: deps lint
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz

test-short:
	$(GO) test -short ./...

# Each fuzz target runs for FUZZTIME (a few seconds in CI; longer by hand:
# make fuzz FUZZTIME=10m).
fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz

# The first-run experience: the tool, a signing key, a local base repository
# bootstrapped from this host (busybox + go), then the example package.
ARCH      := $(shell uname -m | sed 's/arm64/aarch64/')
DEMO_BASE := .demo/base

deps:
	@scripts/install-deps

melange.rsa: | build
	$(BIN) keygen melange.rsa

$(DEMO_BASE)/$(ARCH)/APKINDEX.tar.gz: scripts/bootstrap-base | build
	scripts/bootstrap-base $(BIN) $(DEMO_BASE)

demo: deps build melange.rsa $(DEMO_BASE)/$(ARCH)/APKINDEX.tar.gz
	@mkdir -p melange-cache
	$(BIN) build examples/hello-server/melange.yaml --signing-key melange.rsa \
	  -r $(DEMO_BASE) -k $(DEMO_BASE)/pestle-base.rsa.pub
	$(BIN) verify --keyring melange.rsa.pub packages/$(ARCH)/hello-server-*.apk
	$(BIN) test examples/hello-server/melange.yaml -r packages -r $(DEMO_BASE) \
	  -k melange.rsa.pub -k $(DEMO_BASE)/pestle-base.rsa.pub
	@echo
	@echo "Done. packages/$(ARCH)/ is a signed repository. Point an image builder at it, e.g. apko:"
	@echo "  contents:"
	@echo "    repositories: [$(CURDIR)/packages, $(CURDIR)/$(DEMO_BASE)]"
	@echo "    keyring: [$(CURDIR)/melange.rsa.pub, $(CURDIR)/$(DEMO_BASE)/pestle-base.rsa.pub]"
	@echo "    packages: [hello-server]"

# Go benchmarks, then end-to-end timings of bin/pestle against the local
# base repository, as markdown tables (see scripts/bench). Slow inputs are
# cached in BENCH_DIR, outside the tree. Only one half: BENCH_GO=0 or
# BENCH_E2E=0.
BENCH_DIR   ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pestle-bench
BENCH_RUNS  ?= 9
BENCH_SLOW_RUNS ?= 3
BENCH_COUNT ?= 3
BENCH_TIME  ?= 300ms
BENCH_GO    ?= 1
BENCH_E2E   ?= 1
# A folder with recipes/ and pipelines/ whose graph pipeline/graph times.
PESTLE_CORPUS ?= $(wildcard $(CURDIR)/../shared/corpus)

bench: build $(DEMO_BASE)/$(ARCH)/APKINDEX.tar.gz
	GO=$(GO) BENCH_DIR=$(BENCH_DIR) BENCH_RUNS=$(BENCH_RUNS) BENCH_SLOW_RUNS=$(BENCH_SLOW_RUNS) BENCH_COUNT=$(BENCH_COUNT) \
	  BENCH_TIME=$(BENCH_TIME) BENCH_GO=$(BENCH_GO) BENCH_E2E=$(BENCH_E2E) \
	  PESTLE_CORPUS=$(PESTLE_CORPUS) scripts/bench $(BIN) $(DEMO_BASE)

# Packages, index and installed database checked against apko's APK
# implementation (its own module: the first run downloads it, ~1.5 min).
apkocheck:
	scripts/apkocheck

clean:
	rm -rf bin .demo

# Compile every recipe of a corpus of real recipes and compare with what
# melange made of them (CORPUS/expected.jsonl). Fails below the figure in
# testdata/compat-ratchet; make compat-ratchet raises it. COMPAT_EXEC=1 also
# times `bin/pestle compile`, one process a recipe, against `pestle version`
# and a hello-world Go program (median CPU a process).
CORPUS      ?= ../shared/corpus
COMPAT_EXEC ?= 0

compat: $(if $(filter 1,$(COMPAT_EXEC)),build)
	$(GO) run ./internal/compat -ratchet testdata/compat-ratchet $(if $(filter 1,$(COMPAT_EXEC)),-exec $(BIN)) $(CORPUS)

compat-ratchet:
	$(GO) run ./internal/compat -ratchet testdata/compat-ratchet -update-ratchet $(CORPUS)
