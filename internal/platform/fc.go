//go:build !lambda

// The FC adapter, left out of binaries built with -tags lambda.

package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
)

func init() {
	eventServers[modeFC] = func(h EventHandler) { fc.Start(fcEventHandler(h)) }
	httpServers[modeFC] = func(h HTTPHandler) { fc.Start(fcHTTPHandler(h)) }
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

// fcHTTPHandler decodes the trigger event itself (from raw bytes) so that a wrong payload gets an
// error saying so rather than the SDK's bare JSON error.
func fcHTTPHandler(h HTTPHandler) func(context.Context, []byte) (*fcevents.HTTPTriggerResponse, error) {
	return func(ctx context.Context, payload []byte) (*fcevents.HTTPTriggerResponse, error) {
		var id, fn string
		if fcc, ok := fccontext.FromContext(ctx); ok && fcc != nil {
			id, fn = fcc.RequestID, fcc.Function.Name
		}
		ctx = withInvocation(ctx, id, fn)
		var ev fcevents.HTTPTriggerEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("platform: FC HTTP trigger event: %w", err)
		}
		req, err := requestFromFC(&ev)
		if err != nil {
			if errors.Is(err, errNotHTTPEvent) {
				return nil, err
			}
			return responseToFC(badRequest(err)), nil
		}
		return responseToFC(serveHTTP(ctx, h, req)), nil
	}
}

// requestFromFC maps an FC 3.0 HTTP trigger event. rawPath is URL-encoded while
// requestContext.http.path is decoded, so the latter is preferred.
func requestFromFC(ev *fcevents.HTTPTriggerEvent) (HTTPRequest, error) {
	hc := ev.TriggerContext.Http
	r := HTTPRequest{Method: deref(hc.Method), Path: deref(hc.Path), SourceIP: deref(hc.SourceIp)}
	if r.Method == "" {
		return HTTPRequest{}, errNotHTTPEvent
	}
	if r.Path == "" {
		raw := deref(ev.RawPath)
		p, err := url.PathUnescape(raw)
		if err != nil {
			p = raw
		}
		r.Path = p
	}
	if ev.QueryParameters != nil {
		q := url.Values{}
		for k, v := range *ev.QueryParameters {
			q.Set(k, v)
		}
		r.RawQuery = q.Encode()
	}
	var hs map[string]string
	if ev.Headers != nil {
		hs = *ev.Headers
	}
	r.Headers = lowerKeys(hs, len(hs))
	body, err := decodeBody(deref(ev.Body), ev.IsBase64Encoded != nil && *ev.IsBase64Encoded)
	if err != nil {
		return HTTPRequest{}, err
	}
	r.Body = body
	return r, nil
}

func responseToFC(r HTTPResponse) *fcevents.HTTPTriggerResponse {
	body, b64 := encodeBody(r.Body)
	return &fcevents.HTTPTriggerResponse{StatusCode: status(r.Status), Headers: r.Headers, IsBase64Encoded: b64, Body: body}
}
