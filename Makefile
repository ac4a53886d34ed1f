# energylab — see README.md.
GO       ?= go
FUZZTIME ?= 8s
PROMPT   ?= Why is the sky blue?
BIN      := bin/energylab

.PHONY: all build run test unit fuzz bench check tags generate clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/energylab

# One energy test on the embedded default model (nothing to install).
run: build
	./$(BIN) run "$(PROMPT)"

# The whole suite: gofmt, vet, the build-tag check, a cgo-free build, every
# test under the race detector, and every fuzz target for FUZZTIME.
test: tags unit fuzz

unit:
	@test -z "$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*'))" || { gofmt -l $$(find . -name '*.go' -not -path './.git/*'); echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) build ./...
	$(GO) test -race -count=1 ./...

fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

tags:
	./scripts/check_build_tags.sh

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
