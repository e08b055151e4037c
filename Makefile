# pai-notifier build, package and test targets.
#
#   make build      FC go1 binaries: dist/fc/<fn>/main (linux/amd64; FC's go1 runtime is x86_64 only)
#   make build-lambda  Lambda binaries: dist/lambda/<fn>/bootstrap (linux/arm64, provided.al2023)
#   make package    deployment zips in dist/ (exec bit kept; no `zip` needed)
#   make lint       gofmt check, go vet, staticcheck (pinned), go mod tidy check
#   make test       lint, cfn-lint template.yml (when installed), then go test with AWS's runtime
#                   interface emulator installed (pinned) for the Lambda end-to-end tests and
#                   redis-server installed (apt-get, when missing and possible) for the Redis tests
#   make tools      install that emulator (aws-lambda-rie) into GOBIN
# `sam build` calls build-NotifierFunction / build-ConnectivityFunction (template.yml,
# BuildMethod: makefile); `s deploy` / `s local` call build-fc-notifier / build-fc-connectivity
# (s.yaml pre-deploy actions).

GO        ?= go
FUNCTIONS := notifier connectivity
DIST      := dist
FUZZTIME  ?= 60s
# CI's short run counts executions instead of time: with a duration, Go 1.26's fuzz coordinator
# can fail a target with a bare "context deadline exceeded" and no crasher when its deadline fires
# while a worker is busy (https://go.dev/issue/75804, fixed in Go 1.27). A count has no deadline.
# 500 runs take 0.1-4 s a target here, like the old 3 s.
FUZZSHORT ?= 500x
# Never let a build rewrite go.mod/go.sum behind the developer's back.
export GOFLAGS ?= -mod=readonly

# Pinned tools, run or installed through the Go module proxy; neither enters go.mod.
# staticcheck v0.8.2 is release 2026.2.2. aws-lambda-rie has no tagged module version: this is the
# commit of 2026-10-30 on its main branch.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
RIE         := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d

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
	lint fmt-check vet staticcheck tidy-check cfn-lint tools redis test fmt bench fuzz fuzz-short load \
	demo clean

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

test: lint cfn-lint tools redis
	$(GO) test ./...

lint: fmt-check vet staticcheck tidy-check

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l: these files need make fmt:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...

tidy-check:
	$(GO) mod tidy -diff

# CI's machine has cfn-lint (pip install cfn-lint); elsewhere this step says it skipped.
cfn-lint:
	@if command -v cfn-lint >/dev/null 2>&1; then \
		echo "cfn-lint template.yml"; cfn-lint template.yml; \
	else \
		echo "cfn-lint not installed: skipped linting template.yml (pip install cfn-lint)"; \
	fi

# aws-lambda-rie into GOBIN (or GOPATH/bin), where the Lambda end-to-end tests look for it. Offline
# and outside CI a failed install only warns (those tests then skip); with CI=true it fails.
tools:
	@$(GO) install $(RIE) || { \
		if [ "$$CI" = true ]; then exit 1; fi; \
		echo "warning: could not install aws-lambda-rie; the tests under it will skip"; }

# The Redis tests (internal/state, internal/notify) start a real redis-server on a free loopback
# port. When it is missing this installs the Debian package if it can (apt-get as root, or through
# sudo without a password); otherwise those tests skip, each saying how to install it. With
# CI=true a missing Redis fails here, before the tests.
redis:
	@command -v redis-server >/dev/null 2>&1 && exit 0; \
	if command -v apt-get >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=no; fi; \
		if [ "$$SUDO" != no ]; then \
			echo "installing redis-server (apt-get) for the Redis tests"; \
			$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null || true; \
		fi; \
	fi; \
	command -v redis-server >/dev/null 2>&1 && exit 0; \
	if [ "$$CI" = true ]; then \
		echo "redis-server is missing and could not be installed; CI=true needs it: apt-get install -y redis-server"; exit 1; \
	fi; \
	echo "redis-server not installed: the Redis tests will skip (apt-get install -y redis-server, or brew install redis)"

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

# The load runs against the built notifier (build tag load; about 20 minutes, loopback only): faults,
# peak RSS, a 1,000-job burst through each descriptor's topology, four instances sharing Redis.
# docs/PERFORMANCE.md has the method and the figures.
load:
	$(GO) test -tags load -run '^(TestLoadWithFaults|TestPeakRSS|TestBurst|TestInstancesShareState)$$' -count=1 -v -timeout 40m ./functions/notifier

demo:
	$(GO) run ./cmd/demo

clean:
	rm -rf $(DIST)
