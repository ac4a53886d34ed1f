# energylab — see README.md.
GO       ?= go
# The NVML binding (cgo) declares functions NVML has deprecated; their
# warnings say nothing about the lab.
export CGO_CFLAGS ?= -O2 -g -Wno-deprecated-declarations
FUZZTIME ?= 8s
PROMPT   ?= Why is the sky blue?
BIN      := bin/energylab

.PHONY: all build run serve test unit fuzz bench loadtest check tags generate clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/energylab

# One energy test on the embedded default model (nothing to install).
run: build
	./$(BIN) run "$(PROMPT)"

# The web lab on http://127.0.0.1:8001/.
serve: build
	./$(BIN) serve

# The whole suite: gofmt, vet, the build-tag check, a cgo-free build, every
# test under the race detector, the engine's tests again with its portable
# kernels only (-tags purego: what other architectures run), and every fuzz
# target for FUZZTIME.
test: tags unit fuzz

unit:
	@test -z "$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*'))" || { gofmt -l $$(find . -name '*.go' -not -path './.git/*'); echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./...
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -tags purego ./internal/engine/... ./internal/enginebench/

fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

tags:
	./scripts/check_build_tags.sh

# The web lab's load test: 50 concurrent runs, time to first token.
loadtest:
	$(GO) test -count=1 -run TestWebLoad -v ./internal/app/ | grep -E 'concurrent runs|^(ok|FAIL|---)'

# Speed and overhead figures quoted in the README.
bench:
	$(GO) test -run XXX -bench . -benchtime 30x ./internal/harness/
	$(GO) test -run XXX -bench . ./internal/energy/rapl/ ./internal/energy/cpumodel/
	$(GO) test -run XXX -bench Tiny -benchtime 2s ./internal/engine/synth/

# Tidiness and generated data must be clean before committing.
check: test
	$(GO) mod tidy -diff
	$(GO) generate ./internal/carbon/ ./internal/estimate/ && git diff --exit-code internal/carbon/grid_factors.json internal/estimate/families.json

generate:
	$(GO) generate ./...

clean:
	rm -rf bin
