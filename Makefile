# streamlake developer commands. `make test` is the one command CI and newcomers run.
SHELL := /bin/bash
GO    ?= go

.PHONY: test demo standins vet fmt lint policy lambda bench fuzz

## test: install the local stand-ins (npm, moto check) and run every test
test: standins
	$(GO) test -count=1 ./...

## demo: the whole data path on this machine, without an AWS account: generated events through
## the ingest API contract, Kinesis (kinesalite), the real transform Lambda and Firehose's
## conversion into a Parquet lake, then the saved Athena queries' answers (DuckDB). Under 2 min.
DEMO_DIR ?= .build/demo
DEMO_EVENTS ?= 5000
demo:
	bash scripts/install-standins.sh --npm-only
	@# The transform's build runs beside the command's, filling the cores a cold cgo build
	@# leaves idle; the run's own build of it then comes from the build cache.
	$(GO) run ./lambdapkg/cmd/lambdabuild -arch "$$($(GO) env GOARCH)" -out .build/demo-function >/dev/null & \
	  $(GO) build -o .build/streamlake-local ./cmd/streamlake-local && wait $$!
	rm -rf $(DEMO_DIR)
	.build/streamlake-local run --dir $(DEMO_DIR) --count $(DEMO_EVENTS)
	@echo "more: .build/streamlake-local query --dir $(DEMO_DIR) 'SELECT event_type, count(*) FROM \"streamlake_dev\".\"events\" GROUP BY 1'"

standins:
	bash scripts/install-standins.sh

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w $$(git ls-files '*.go')

## lint: golangci-lint (pinned in tools/lint/go.mod, its own module so its dependencies never
## move ours), with the linters in .golangci.yml
lint:
	$(GO) build -C tools/lint -o $(CURDIR)/.build/golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint
	.build/golangci-lint run ./...

## policy: print the policy rule table with pass/fail per stack
policy:
	$(GO) test ./tests/policy -run TestPolicyTable -v -count=1

## lambda: build the transform Lambda archive reproducibly into .build/lambda and print its
## path and SHA-256
lambda:
	$(GO) run ./lambdapkg/cmd/lambdabuild

## bench: the benchmarks behind docs/performance.md
bench:
	$(GO) test ./transform -run '^$$' -bench . -benchmem -cpu 1 -count 5
	$(GO) test ./producer -run '^$$' -bench . -benchmem -count 3

## fuzz: every fuzz target of the module, one after the other, FUZZTIME (30s) each; each
## needs a seed corpus in its package's testdata/fuzz/<Target>/
FUZZTIME ?= 30s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh
