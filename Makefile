# pai-notifier build, package and test targets.
#
#   make build      FC go1 binaries: dist/fc/<fn>/main (linux/amd64; FC's go1 runtime is x86_64 only)
#   make build-lambda  Lambda binaries: dist/lambda/<fn>/bootstrap (linux/arm64, provided.al2023)
#   make package    deployment zips in dist/ (exec bit kept; no `zip` needed)
#   make test       go vet + go test
# `sam build` calls build-NotifierFunction / build-ConnectivityFunction (template.yml,
# BuildMethod: makefile); `s deploy` / `s local` call build-fc-notifier / build-fc-connectivity
# (s.yaml pre-deploy actions).

GO        ?= go
FUNCTIONS := notifier connectivity
DIST      := dist
FUZZTIME  ?= 60s
FUZZSHORT ?= 3s
# Never let a build rewrite go.mod/go.sum behind the developer's back.
export GOFLAGS ?= -mod=readonly

# Static, stripped, reproducible binaries: CGO off (no glibc mismatch between FC's Debian images
# and AL2023), -s -w drops symbols and DWARF (about 30% smaller; panics still name functions).
BUILD_FLAGS := -trimpath -ldflags '-s -w'
# -tags fc / -tags lambda: each deployed binary links only its own platform's SDK (internal/platform;
# a plain `go build` serves FC, Lambda and local mode). lambda.norpc drops aws-lambda-go's go1.x RPC
# shim (about 2 MB), which neither provided.al2023 nor FC ever uses.
FC_GO       := CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build $(BUILD_FLAGS) -tags lambda.norpc,fc
LAMBDA_GO   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(BUILD_FLAGS) -tags lambda.norpc,lambda

.PHONY: all build build-fc-notifier build-fc-connectivity build-lambda \
	build-NotifierFunction build-ConnectivityFunction package sizes \
	test vet fmt bench fuzz fuzz-short load demo clean

all: build

build: build-fc-notifier build-fc-connectivity

build-fc-notifier:
	$(FC_GO) -o $(DIST)/fc/notifier/main ./functions/notifier

build-fc-connectivity:
	$(FC_GO) -o $(DIST)/fc/connectivity/main ./functions/connectivity

build-lambda:
	$(foreach fn,$(FUNCTIONS),$(LAMBDA_GO) -o $(DIST)/lambda/$(fn)/bootstrap ./functions/$(fn) &&) true

# SAM runs these with ARTIFACTS_DIR set to the function's build directory.
build-NotifierFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: this target is for `sam build`))
	$(LAMBDA_GO) -o $(ARTIFACTS_DIR)/bootstrap ./functions/notifier

build-ConnectivityFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: this target is for `sam build`))
	$(LAMBDA_GO) -o $(ARTIFACTS_DIR)/bootstrap ./functions/connectivity

# Zips with the executable bit kept, written by a stdlib-only Go program (internal/tools/zipdir).
package: build build-lambda
	$(foreach fn,$(FUNCTIONS),$(GO) run ./internal/tools/zipdir -o $(DIST)/fc-$(fn).zip $(DIST)/fc/$(fn) &&) true
	$(foreach fn,$(FUNCTIONS),$(GO) run ./internal/tools/zipdir -o $(DIST)/lambda-$(fn).zip $(DIST)/lambda/$(fn) &&) true
	@ls -l $(DIST)/*.zip

sizes: build build-lambda
	@for f in $(DIST)/fc/*/main $(DIST)/lambda/*/bootstrap; do \
		printf '%-34s %9d bytes\n' "$$f" "$$(wc -c < "$$f")"; \
	done

test: vet
	$(GO) test ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

# Every Fuzz* target of every package, $(FUZZTIME) each (go test -fuzz takes one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

# CI: every Fuzz* target briefly, on top of the seed corpora `make test` already replays.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZSHORT)

# The fault-injection load run and the peak-RSS run against the built notifier
# (build tag load; a few minutes, loopback only). docs/PERFORMANCE.md has the method.
load:
	$(GO) test -tags load -run '^(TestLoadWithFaults|TestPeakRSS)$$' -count=1 -v -timeout 15m ./functions/notifier

demo:
	$(GO) run ./cmd/demo

clean:
	rm -rf $(DIST)
