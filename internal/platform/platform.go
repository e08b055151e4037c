// Package platform runs a handler on Alibaba Cloud Function Compute 3.0 (go1 runtime), on AWS
// Lambda (provided.al2023) or locally, choosing by the runtime-API variable each platform sets.
// It is the only package that imports the two platform SDKs: handlers see plain Go types, and the
// rest of pai-notifier never learns which cloud it runs on.
//
// A plain build serves all three modes. The deployed binaries are built with -tags fc or -tags
// lambda and then link only that platform's SDK (smaller, and a faster cold start); started by the
// other platform, such a binary says so and exits.
package platform

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
)

// Environment variables that select the platform. Both SDKs log.Fatal when theirs is unset, so the
// choice has to be made here, before any Start is called.
const (
	envFC     = "FC_RUNTIME_API"
	envLambda = "AWS_LAMBDA_RUNTIME_API"
	envPort   = "PORT" // local HTTP mode only
)

// mode is where the process runs; FC and Lambda's names are also their build tags.
type mode string

const (
	modeLocal  mode = "local"
	modeFC     mode = "fc"
	modeLambda mode = "lambda"
)

// detect picks the platform. FC wins when both variables are set: FC never sets Lambda's, so that
// only happens in a hand-made environment, and one fixed order keeps it predictable.
func detect(getenv func(string) string) mode {
	switch {
	case getenv(envFC) != "":
		return modeFC
	case getenv(envLambda) != "":
		return modeLambda
	}
	return modeLocal
}

// eventServers are the runtime-API loops this binary was built with (fc.go, lambda.go). Each
// serves an EventHandler and never returns.
var eventServers = map[mode]func(EventHandler){}

// notBuiltFor ends a process that platform m started although the binary was built without m.
func notBuiltFor(m mode) {
	env := map[mode]string{modeFC: envFC, modeLambda: envLambda}[m]
	fmt.Fprintf(os.Stderr, "platform: %s is set, but this binary was built without %s support; build it with -tags %s (or with no platform tag for all modes)\n", env, m, m)
	os.Exit(1)
}

// invocation is what the adapters put into the handler's context.
type invocation struct {
	requestID string
	function  string
}

type ctxKey struct{}

func withInvocation(ctx context.Context, requestID, function string) context.Context {
	return context.WithValue(ctx, ctxKey{}, invocation{requestID: requestID, function: function})
}

func invocationFrom(ctx context.Context) invocation {
	if ctx == nil {
		return invocation{}
	}
	inv, _ := ctx.Value(ctxKey{}).(invocation)
	return inv
}

// RequestID returns the platform's request id of the invocation ctx belongs to (FC's
// x-fc-request-id, Lambda's AwsRequestID), "local-<n>" in local mode, or "" outside an invocation.
func RequestID(ctx context.Context) string { return invocationFrom(ctx).requestID }

var localSeq atomic.Int64

// nextLocalID numbers local invocations so that their log lines can be told apart like real ones.
func nextLocalID() string { return "local-" + strconv.FormatInt(localSeq.Add(1), 10) }
