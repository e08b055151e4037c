//go:build !fc

// The Lambda adapter, left out of binaries built with -tags fc.

package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func init() {
	eventServers[modeLambda] = func(h EventHandler) { lambda.StartWithOptions(lambdaEventHandler(h)) }
	httpServers[modeLambda] = func(h HTTPHandler) { lambda.StartWithOptions(lambdaHTTPHandler(h)) }
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

// lambdaHTTPHandler takes the raw payload, which may be either payload format: 2.0 (function URLs,
// HTTP APIs) carries requestContext.http.method, 1.0 (REST APIs, HTTP APIs set to 1.0) a top-level
// httpMethod. Each is answered in its own response shape.
func lambdaHTTPHandler(h HTTPHandler) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		var id string
		if lc, ok := lambdacontext.FromContext(ctx); ok && lc != nil {
			id = lc.AwsRequestID
		}
		ctx = withInvocation(ctx, id, lambdacontext.FunctionName)
		var probe struct {
			HTTPMethod     string `json:"httpMethod"`
			RequestContext struct {
				HTTP struct {
					Method string `json:"method"`
				} `json:"http"`
				ELB json.RawMessage `json:"elb"`
			} `json:"requestContext"`
		}
		if err := json.Unmarshal(payload, &probe); err != nil {
			return nil, fmt.Errorf("%w (%v)", errNotHTTPEvent, err)
		}
		switch {
		case probe.RequestContext.HTTP.Method != "":
			var ev events.LambdaFunctionURLRequest
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, fmt.Errorf("platform: Lambda HTTP event (payload 2.0): %w", err)
			}
			req, err := requestFromLambda(&ev)
			if err != nil {
				return responseToLambda(badRequest(err)), nil
			}
			return responseToLambda(serveHTTP(ctx, h, req)), nil
		case probe.RequestContext.ELB != nil:
			return nil, errALBEvent
		case probe.HTTPMethod != "":
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, fmt.Errorf("platform: API Gateway REST API event (payload 1.0): %w", err)
			}
			req, err := requestFromAPIGatewayV1(&ev)
			if err != nil {
				return responseToAPIGatewayV1(badRequest(err)), nil
			}
			return responseToAPIGatewayV1(serveHTTP(ctx, h, req)), nil
		}
		return nil, errNotHTTPEvent
	}
}

// requestFromLambda maps a function URL / HttpApi v2 request. Payload 2.0 moves cookies out of the
// headers; they are put back so the handler sees one header map.
func requestFromLambda(ev *events.LambdaFunctionURLRequest) (HTTPRequest, error) {
	hc := ev.RequestContext.HTTP
	r := HTTPRequest{Method: hc.Method, Path: hc.Path, RawQuery: ev.RawQueryString, SourceIP: hc.SourceIP}
	if r.Method == "" {
		return HTTPRequest{}, errNotHTTPEvent
	}
	if r.Path == "" {
		r.Path = ev.RawPath
	}
	r.Headers = lowerKeys(ev.Headers, len(ev.Headers)+1)
	if _, ok := r.Headers["cookie"]; !ok && len(ev.Cookies) > 0 {
		r.Headers["cookie"] = strings.Join(ev.Cookies, "; ")
	}
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return HTTPRequest{}, err
	}
	r.Body = body
	return r, nil
}

// requestFromAPIGatewayV1 maps a REST API proxy event (payload format 1.0). Its multi-value maps,
// when present, hold every value of a repeated header or query parameter; the single-value maps
// only the last.
func requestFromAPIGatewayV1(ev *events.APIGatewayProxyRequest) (HTTPRequest, error) {
	r := HTTPRequest{Method: ev.HTTPMethod, Path: ev.Path, SourceIP: ev.RequestContext.Identity.SourceIP}
	if r.Method == "" {
		return HTTPRequest{}, errNotHTTPEvent
	}
	q := url.Values{}
	for k, v := range ev.QueryStringParameters {
		q.Set(k, v)
	}
	for k, vs := range ev.MultiValueQueryStringParameters {
		q[k] = vs
	}
	r.RawQuery = q.Encode()
	hs := make(map[string]string, len(ev.Headers))
	for k, v := range ev.Headers {
		hs[k] = v
	}
	for k, vs := range ev.MultiValueHeaders {
		hs[k] = strings.Join(vs, ", ")
	}
	r.Headers = lowerKeys(hs, len(hs))
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return HTTPRequest{}, err
	}
	r.Body = body
	return r, nil
}

func responseToLambda(r HTTPResponse) events.LambdaFunctionURLResponse {
	body, b64 := encodeBody(r.Body)
	return events.LambdaFunctionURLResponse{StatusCode: status(r.Status), Headers: r.Headers, IsBase64Encoded: b64, Body: body}
}

func responseToAPIGatewayV1(r HTTPResponse) events.APIGatewayProxyResponse {
	body, b64 := encodeBody(r.Body)
	return events.APIGatewayProxyResponse{StatusCode: status(r.Status), Headers: r.Headers, IsBase64Encoded: b64, Body: body}
}
