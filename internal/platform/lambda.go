//go:build !fc

// The Lambda adapter, left out of binaries built with -tags fc.

package platform

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func init() {
	eventServers[modeLambda] = func(h EventHandler) { lambda.StartWithOptions(lambdaEventHandler(h)) }
}

// lambdaEventHandler takes json.RawMessage: aws-lambda-go JSON-decodes the payload into the input
// type, and a []byte input would be decoded as base64.
func lambdaEventHandler(h EventHandler) func(context.Context, json.RawMessage) (json.RawMessage, error) {
	return func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error) {
		var id string
		if lc, ok := lambdacontext.FromContext(ctx); ok && lc != nil {
			id = lc.AwsRequestID
		}
		return invokeEvent(withInvocation(ctx, id, lambdacontext.FunctionName), h, payload)
	}
}
