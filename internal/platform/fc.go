//go:build !lambda

// The FC adapter, left out of binaries built with -tags lambda.

package platform

import (
	"context"
	"encoding/json"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

func init() {
	eventServers[modeFC] = func(h EventHandler) { fc.Start(fcEventHandler(h)) }
}

// fcEventHandler has the one signature the FC SDK passes raw bytes to ([]byte input) and returns
// json.RawMessage, because a []byte result would be marshalled to a base64 string.
func fcEventHandler(h EventHandler) func(context.Context, []byte) (json.RawMessage, error) {
	return func(ctx context.Context, payload []byte) (json.RawMessage, error) {
		var id, fn string
		if fcc, ok := fccontext.FromContext(ctx); ok && fcc != nil {
			id, fn = fcc.RequestID, fcc.Function.Name
		}
		return invokeEvent(withInvocation(ctx, id, fn), h, payload)
	}
}
