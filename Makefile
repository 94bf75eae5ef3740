# streamlake developer commands. `make test` is the one command CI and newcomers run.
SHELL := /bin/bash
GO    ?= go

.PHONY: test standins vet fmt lint policy lambda bench fuzz

## test: install the local stand-ins (npm, moto check) and run every test
test: standins
	$(GO) test -count=1 ./...

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

## bench: the benchmarks behind the README's performance figures
bench:
	$(GO) test ./transform -run '^$$' -bench . -benchmem -cpu 1 -count 5
	$(GO) test ./producer -run '^$$' -bench . -benchmem -count 3

## fuzz: every fuzz target of the module, one after the other, FUZZTIME (30s) each; each
## needs a seed corpus in its package's testdata/fuzz/<Target>/
FUZZTIME ?= 30s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh
