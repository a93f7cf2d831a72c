# posture — see README.md. Every target works offline once modules are cached.
GO      ?= go
BIN     := bin
DEMO    := .demo
PKGS    := ./...

.PHONY: build test demo bench lint model clean

build:
	$(GO) build -o $(BIN)/posture ./cmd/posture
	$(GO) build -o $(BIN)/posture-emulator ./cmd/posture-emulator

# The test bar of the project: vet, formatting, import boundaries, every test.
test:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 8m $(PKGS)

# Start the emulated AWS estate on 127.0.0.1, scan it with the real SDK
# through AWS_ENDPOINT_URL, score it, and write report.json / report.html.
demo: build
	./scripts/demo.sh

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -run TestImportBoundaries ./internal/cli/

# Retrain the shipped model (models/default.json) reproducibly.
model:
	$(GO) test -count=1 ./model -run TestShippedModel -update-model

clean:
	rm -rf $(BIN) $(DEMO) report.json report.html
