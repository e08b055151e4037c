package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestDetect(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want mode
	}{
		{nil, modeLocal},
		{map[string]string{envFC: "127.0.0.1:1"}, modeFC},
		{map[string]string{envLambda: "127.0.0.1:1"}, modeLambda},
		{map[string]string{envFC: "a", envLambda: "b"}, modeFC},
		{map[string]string{envPort: "9000"}, modeLocal},
	}
	for _, c := range cases {
		if got := detect(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("detect(%v) = %v, want %v", c.env, got, c.want)
		}
	}
}

func TestResultJSON(t *testing.T) {
	cases := []struct {
		name    string
		in      any
		want    string
		wantErr string
	}{
		{"nil", nil, "null", ""},
		{"struct", struct {
			A int `json:"a"`
		}{1}, `{"a":1}`, ""},
		{"raw message verbatim", json.RawMessage(`{"ok":true}`), `{"ok":true}`, ""},
		{"bytes are JSON text, not base64", []byte(`[1,2]`), `[1,2]`, ""},
		{"bytes that are not JSON", []byte("eyJ"), "", "not JSON"},
		{"unencodable", math.Inf(1), "", "not JSON-encodable"},
		{"channel", make(chan int), "", "chan int"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := resultJSON(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want it to contain %q", err, c.wantErr)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("got %s, %v; want %s", got, err, c.want)
			}
		})
	}
}

func TestInvokeEventRecoversPanics(t *testing.T) {
	h := func(ctx context.Context, p []byte) (any, error) {
		var nilMap map[string]int
		//lint:ignore SA5000 the test needs a runtime error, and this is the shortest one
		nilMap[string(p)] = 1 // a runtime error, not just a panic(string)
		return nil, nil
	}
	_, err := invokeEvent(context.Background(), h, []byte("x"))
	pe, ok := errors.AsType[*PanicError](err)
	if !ok || !strings.Contains(pe.Error(), "nil map") || !strings.Contains(pe.Stack, "platform_test.go") {
		t.Fatalf("got %v, want a *PanicError with the stack", err)
	}
}

func TestAdaptersPutRequestIDInContext(t *testing.T) {
	var seen invocation
	h := func(ctx context.Context, p []byte) (any, error) { seen = invocationFrom(ctx); return nil, nil }

	ctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "fc-1", Function: fccontext.Function{Name: "notifier"}})
	if _, err := fcEventHandler(h)(ctx, []byte(`{}`)); err != nil || seen != (invocation{"fc-1", "notifier"}) {
		t.Errorf("FC: err %v, saw %+v", err, seen)
	}
	ctx = lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "aws-1"})
	if _, err := lambdaEventHandler(h)(ctx, json.RawMessage(`{}`)); err != nil || seen.requestID != "aws-1" {
		t.Errorf("Lambda: err %v, saw %+v", err, seen)
	}
	// Without the SDK's context (never in production) the handler still runs.
	if _, err := fcEventHandler(h)(context.Background(), []byte(`{}`)); err != nil || seen.requestID != "" {
		t.Errorf("bare context: err %v, saw %+v", err, seen)
	}
	if RequestID(context.Background()) != "" {
		t.Error("RequestID outside an invocation is not empty")
	}
}

func TestRunLocalEvents(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := file("ok.json", `{"v":1}`)
	fail := file("fail.json", `{"fail":true}`)
	partial := file("partial.json", `{"partial":true}`)
	retry := file("retry.json", `{"retry":true}`)
	boom := file("panic.json", `{"panic":true}`)
	h := func(ctx context.Context, p []byte) (any, error) {
		switch {
		case bytes.Contains(p, []byte("fail")):
			return nil, errors.New("handler says no")
		case bytes.Contains(p, []byte("partial")):
			return incomplete{Sent: 1, Failed: 1}, nil
		case bytes.Contains(p, []byte("retry")):
			return incomplete{Sent: 1}, errors.New("1 not delivered yet")
		case bytes.Contains(p, []byte("panic")):
			panic("boom")
		}
		return map[string]any{"id": strings.HasPrefix(RequestID(ctx), "local-"), "in": json.RawMessage(p)}, nil
	}
	cases := []struct {
		name       string
		args       []string
		stdin      string
		wantFailed bool
		want       []string
	}{
		{"stdin when no args", nil, `{"v":2}`, false, []string{`{"id":true,"in":{"v":2}}`}},
		{"dash is stdin", []string{"-"}, `{"v":3}`, false, []string{`{"id":true,"in":{"v":3}}`}},
		{"files in order", []string{ok, ok}, "", false, []string{`{"id":true,"in":{"v":1}}`, `{"id":true,"in":{"v":1}}`}},
		{"error line and failure", []string{fail, ok}, "", true, []string{`{"error":"handler says no"}`, `{"id":true,"in":{"v":1}}`}},
		{"result printed with the error", []string{retry}, "", true, []string{`{"error":"1 not delivered yet","sent":1,"failed":0}`}},
		{"incomplete result fails", []string{partial}, "", true, []string{`{"sent":1,"failed":1}`}},
		{"complete result does not", []string{ok}, "", false, []string{`{"id":true,"in":{"v":1}}`}},
		{"panic", []string{boom}, "", true, []string{`{"error":"handler panicked: boom"}`}},
		{"unreadable file named", []string{filepath.Join(dir, "missing.json")}, "", true,
			[]string{`{"error":"read event: open ` + filepath.Join(dir, "missing.json") + `: no such file or directory"}`}},
		{"directory", []string{dir}, "", true, []string{`{"error":"read event from ` + dir + `: read ` + dir + `: is a directory"}`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			failed := runLocalEvents(context.Background(), h, c.args, strings.NewReader(c.stdin), &out)
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if failed != c.wantFailed || !reflect.DeepEqual(got, c.want) {
				t.Errorf("failed=%v lines=%q\nwant failed=%v lines=%q", failed, got, c.wantFailed, c.want)
			}
		})
	}
}

// incomplete is a result that says whether it did all its work.
type incomplete struct {
	Sent   int `json:"sent"`
	Failed int `json:"failed"`
}

func (r incomplete) Incomplete() bool { return r.Failed > 0 }

func ptr[T any](v T) *T { return &v }

func TestRequestFromFC(t *testing.T) {
	full := func() *fcevents.HTTPTriggerEvent {
		ev := &fcevents.HTTPTriggerEvent{
			RawPath:         ptr("/a%20b"),
			Body:            ptr(base64.StdEncoding.EncodeToString([]byte{0xff, 'x'})),
			IsBase64Encoded: ptr(true),
			Headers:         &map[string]string{"Content-Type": "text/plain", "X-A": "1", "x-a": "2"},
			QueryParameters: &map[string]string{"q": "a b", "z": "1"},
		}
		ev.TriggerContext.Http.Method = ptr("POST")
		ev.TriggerContext.Http.Path = ptr("/a b")
		ev.TriggerContext.Http.SourceIp = ptr("198.51.100.1")
		return ev
	}
	ev := full()
	got, err := requestFromFC(ev)
	if err != nil {
		t.Fatal(err)
	}
	xa := got.Headers["x-a"]
	want := HTTPRequest{Method: "POST", Path: "/a b", RawQuery: "q=a+b&z=1", SourceIP: "198.51.100.1",
		Headers: map[string]string{"content-type": "text/plain", "x-a": xa}, Body: []byte{0xff, 'x'}}
	if !reflect.DeepEqual(got, want) || (xa != "1, 2" && xa != "2, 1") {
		t.Errorf("got %+v\nwant %+v (x-a both values)", got, want)
	}

	ev = full()
	ev.TriggerContext.Http.Path = nil // only rawPath: decoded
	ev.IsBase64Encoded = ptr(false)
	ev.Body = ptr("plain")
	if got, err := requestFromFC(ev); err != nil || got.Path != "/a b" || string(got.Body) != "plain" {
		t.Errorf("rawPath fallback / text body: %+v, %v", got, err)
	}

	ev = full()
	ev.Body = ptr("%%%")
	if _, err := requestFromFC(ev); err == nil || !strings.Contains(err.Error(), "not valid base64") {
		t.Errorf("bad base64: %v", err)
	}

	if _, err := requestFromFC(&fcevents.HTTPTriggerEvent{}); !errors.Is(err, errNotHTTPEvent) {
		t.Errorf("empty event: %v, want errNotHTTPEvent", err)
	}
}

func TestRequestFromLambda(t *testing.T) {
	ev := &events.LambdaFunctionURLRequest{
		RawPath: "/raw", RawQueryString: "a=1&a=2", Body: "aGk=", IsBase64Encoded: true,
		Headers: map[string]string{"X-Token": "t"}, Cookies: []string{"a=1", "b=2"},
	}
	ev.RequestContext.HTTP.Method = "POST"
	ev.RequestContext.HTTP.SourceIP = "192.0.2.7"
	got, err := requestFromLambda(ev)
	want := HTTPRequest{Method: "POST", Path: "/raw", RawQuery: "a=1&a=2", SourceIP: "192.0.2.7",
		Headers: map[string]string{"x-token": "t", "cookie": "a=1; b=2"}, Body: []byte("hi")}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}
	if _, err := requestFromLambda(&events.LambdaFunctionURLRequest{}); !errors.Is(err, errNotHTTPEvent) {
		t.Errorf("empty event: %v", err)
	}
}

func TestResponses(t *testing.T) {
	cases := []struct {
		in     HTTPResponse
		status int
		body   string
		b64    bool
	}{
		{HTTPResponse{Body: []byte("ok")}, 200, "ok", false},
		{HTTPResponse{Status: 404, Body: []byte("中文")}, 404, "中文", false},
		{HTTPResponse{Status: 200, Body: []byte{0xff, 0}}, 200, "/wA=", true},
		{HTTPResponse{Status: 204}, 204, "", false},
	}
	for _, c := range cases {
		fc := responseToFC(c.in)
		l := responseToLambda(c.in)
		v1 := responseToAPIGatewayV1(c.in)
		if fc.StatusCode != c.status || fc.Body != c.body || fc.IsBase64Encoded != c.b64 ||
			l.StatusCode != c.status || l.Body != c.body || l.IsBase64Encoded != c.b64 ||
			v1.StatusCode != c.status || v1.Body != c.body || v1.IsBase64Encoded != c.b64 {
			t.Errorf("%+v: FC %+v, Lambda %+v, REST %+v", c.in, fc, l, v1)
		}
	}
}

func TestHTTPAdapters(t *testing.T) {
	h := func(ctx context.Context, r HTTPRequest) HTTPResponse {
		if r.Path == "/panic" {
			panic("secret-ish detail")
		}
		return HTTPResponse{Status: 201, Body: []byte(RequestID(ctx) + " " + r.Method)}
	}
	fcctx := fccontext.NewContext(context.Background(), &fccontext.FcContext{RequestID: "r1"})
	ev := `{"requestContext":{"http":{"method":"PUT","path":"/x"}}}`
	resp, err := fcHTTPHandler(h)(fcctx, []byte(ev))
	if err != nil || resp.StatusCode != 201 || resp.Body != "r1 PUT" {
		t.Errorf("FC: %+v, %v", resp, err)
	}
	resp, err = fcHTTPHandler(h)(fcctx, []byte(`{"requestContext":{"http":{"method":"GET","path":"/panic"}}}`))
	if err != nil || resp.StatusCode != 500 || strings.Contains(resp.Body, "secret-ish") || !strings.Contains(resp.Body, "r1") {
		t.Errorf("FC panic: %+v, %v", resp, err)
	}
	resp, err = fcHTTPHandler(h)(fcctx, []byte(`{"body":"%%","isBase64Encoded":true,"requestContext":{"http":{"method":"GET"}}}`))
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("FC bad base64: %+v, %v", resp, err)
	}
	if _, err := fcHTTPHandler(h)(fcctx, []byte(`[1]`)); err == nil {
		t.Error("FC: an array payload was accepted")
	}
	lctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "l1"})
	lambda := func(payload string) (any, error) { return lambdaHTTPHandler(h)(lctx, json.RawMessage(payload)) }
	lresp, err := lambda(`{"version":"2.0","requestContext":{"http":{"method":"POST"}}}`)
	if r, ok := lresp.(events.LambdaFunctionURLResponse); err != nil || !ok || r.StatusCode != 201 || r.Body != "l1 POST" {
		t.Errorf("Lambda v2: %#v, %v", lresp, err)
	}
	lresp, err = lambda(`{"version":"2.0","body":"%%","isBase64Encoded":true,"requestContext":{"http":{"method":"POST"}}}`)
	if r, ok := lresp.(events.LambdaFunctionURLResponse); err != nil || !ok || r.StatusCode != 400 {
		t.Errorf("Lambda v2 bad base64: %#v, %v", lresp, err)
	}
	// API Gateway REST API (payload 1.0): answered in its own response shape.
	lresp, err = lambda(`{"resource":"/connectivity","path":"/connectivity","httpMethod":"PATCH","requestContext":{"resourcePath":"/connectivity","httpMethod":"PATCH","identity":{"sourceIp":"198.51.100.2"}}}`)
	if r, ok := lresp.(events.APIGatewayProxyResponse); err != nil || !ok || r.StatusCode != 201 || r.Body != "l1 PATCH" {
		t.Errorf("Lambda REST v1: %#v, %v", lresp, err)
	}
	lresp, err = lambda(`{"httpMethod":"GET","path":"/panic","requestContext":{}}`)
	if r, ok := lresp.(events.APIGatewayProxyResponse); err != nil || !ok || r.StatusCode != 500 || strings.Contains(r.Body, "secret-ish") {
		t.Errorf("Lambda REST v1 panic: %#v, %v", lresp, err)
	}
	lresp, err = lambda(`{"httpMethod":"POST","body":"%%","isBase64Encoded":true}`)
	if r, ok := lresp.(events.APIGatewayProxyResponse); err != nil || !ok || r.StatusCode != 400 {
		t.Errorf("Lambda REST v1 bad base64: %#v, %v", lresp, err)
	}
	for _, payload := range []string{`{}`, `{"Records":[]}`, `[1]`, `"x"`, `{"requestContext":{"http":{}}}`} {
		if _, err := lambda(payload); !errors.Is(err, errNotHTTPEvent) {
			t.Errorf("Lambda non-HTTP %s: %v", payload, err)
		}
	}
	alb := `{"httpMethod":"POST","path":"/","requestContext":{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:x"}}}`
	if _, err := lambda(alb); !errors.Is(err, errALBEvent) || !strings.Contains(err.Error(), "Load Balancer") {
		t.Errorf("Lambda ALB: %v, want errALBEvent", err)
	}
}

func TestRequestFromAPIGatewayV1(t *testing.T) {
	var ev events.APIGatewayProxyRequest
	payload := `{"resource":"/{proxy+}","path":"/a b","httpMethod":"POST",
		"headers":{"Content-Type":"application/json","X-Multi":"last"},
		"multiValueHeaders":{"Content-Type":["application/json"],"X-Multi":["first","last"]},
		"queryStringParameters":{"q":"2","z":"1"},"multiValueQueryStringParameters":{"q":["1","2"],"z":["1"]},
		"requestContext":{"identity":{"sourceIp":"198.51.100.2"}},"body":"aGk=","isBase64Encoded":true}`
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		t.Fatal(err)
	}
	got, err := requestFromAPIGatewayV1(&ev)
	want := HTTPRequest{Method: "POST", Path: "/a b", RawQuery: "q=1&q=2&z=1", SourceIP: "198.51.100.2",
		Headers: map[string]string{"content-type": "application/json", "x-multi": "first, last"}, Body: []byte("hi")}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}
	// Single-value maps only (multi-value ones are absent when a test event leaves them out).
	ev = events.APIGatewayProxyRequest{HTTPMethod: "GET", Headers: map[string]string{"A": "1"}, QueryStringParameters: map[string]string{"x": "y"}, Body: "plain"}
	got, err = requestFromAPIGatewayV1(&ev)
	if err != nil || got.Headers["a"] != "1" || got.RawQuery != "x=y" || string(got.Body) != "plain" {
		t.Errorf("single-value event: %+v, %v", got, err)
	}
	if _, err := requestFromAPIGatewayV1(&events.APIGatewayProxyRequest{}); !errors.Is(err, errNotHTTPEvent) {
		t.Errorf("empty event: %v", err)
	}
}

func TestLocalHandler(t *testing.T) {
	var seen HTTPRequest
	h := func(ctx context.Context, r HTTPRequest) HTTPResponse {
		seen = r
		if !strings.HasPrefix(RequestID(ctx), "local-") {
			t.Errorf("request id %q", RequestID(ctx))
		}
		return HTTPResponse{Status: 202, Headers: map[string]string{"X-Out": "1"}, Body: []byte("done")}
	}
	srv := httptest.NewServer(localHandler(h))
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/p/q?a=1", strings.NewReader("body"))
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || resp.Header.Get("X-Out") != "1" {
		t.Errorf("response %d %v", resp.StatusCode, resp.Header)
	}
	if seen.Method != "POST" || seen.Path != "/p/q" || seen.RawQuery != "a=1" || string(seen.Body) != "body" ||
		seen.Headers["x-multi"] != "1, 2" || seen.Headers["host"] == "" || seen.SourceIP != "127.0.0.1" {
		t.Errorf("handler saw %+v", seen)
	}

	seen = HTTPRequest{}
	resp, err = http.Post(srv.URL, "text/plain", bytes.NewReader(make([]byte, MaxLocalBody+1)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || seen.Method != "" {
		t.Errorf("oversized body: status %d, handler called: %v", resp.StatusCode, seen.Method != "")
	}
}

func TestServeLocalStopsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveLocal(ctx, ln, func(context.Context, HTTPRequest) HTTPResponse { return HTTPResponse{} },
			slog.New(slog.DiscardHandler))
	}()
	resp, err := http.Get("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serveLocal after cancel: %v", err)
	}
}

func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	log := Logger(&buf, slog.LevelInfo).With("component", "test")
	ctx := withInvocation(context.Background(), "req-9", "notifier")

	log.InfoContext(ctx, "with context", "k", 1)
	log.Info("without context")
	log.DebugContext(ctx, "below level")
	log.WithGroup("g").InfoContext(withInvocation(context.Background(), "req-10", ""), "grouped")

	var recs []map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		recs = append(recs, m)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3:\n%s", len(recs), buf.String())
	}
	if recs[0]["requestId"] != "req-9" || recs[0]["function"] != "notifier" || recs[0]["component"] != "test" {
		t.Errorf("record with context: %v", recs[0])
	}
	if _, ok := recs[1]["requestId"]; ok {
		t.Errorf("record without context has a requestId: %v", recs[1])
	}
	if g, _ := recs[2]["g"].(map[string]any); g["requestId"] != "req-10" || g["function"] != nil {
		t.Errorf("grouped record: %v", recs[2])
	}
}

// FuzzHTTPTriggerEvents feeds arbitrary invocation payloads (outside input) to both HTTP adapters:
// they must answer or return an error, never panic, and the handler must only see decoded bodies.
func FuzzHTTPTriggerEvents(f *testing.F) {
	f.Add([]byte(`{"requestContext":{"http":{"method":"POST","path":"/c"}},"body":"aGk=","isBase64Encoded":true}`))
	f.Add([]byte(`{"rawPath":"/%zz","headers":{"A":"1","a":"2"},"queryParameters":{"x":"y"},"requestContext":{"http":{"method":"GET"}}}`))
	f.Add([]byte(`{"version":"2.0","cookies":["a=1"],"requestContext":{"http":{"method":"GET"}},"body":"%%","isBase64Encoded":true}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"httpMethod":"POST","path":"/c","multiValueHeaders":{"A":["1","2"]},"multiValueQueryStringParameters":{"q":["1"]},"body":"aGk=","isBase64Encoded":true}`))
	f.Add([]byte(`{"httpMethod":"GET","requestContext":{"elb":{}}}`))
	h := func(ctx context.Context, r HTTPRequest) HTTPResponse {
		if r.Method == "" {
			panic("handler called without a method")
		}
		return HTTPResponse{Body: r.Body}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		resp, err := fcHTTPHandler(h)(context.Background(), payload)
		if err == nil && (resp == nil || resp.StatusCode == 500) {
			t.Fatalf("FC: %+v for %q", resp, payload)
		}
		if !json.Valid(payload) {
			return // aws-lambda-go rejects it before the handler
		}
		lresp, err := lambdaHTTPHandler(h)(context.Background(), json.RawMessage(payload))
		switch r := lresp.(type) {
		case events.LambdaFunctionURLResponse:
			if err != nil || r.StatusCode == 500 {
				t.Fatalf("Lambda v2: %+v, %v for %q", r, err, payload)
			}
		case events.APIGatewayProxyResponse:
			if err != nil || r.StatusCode == 500 {
				t.Fatalf("Lambda REST v1: %+v, %v for %q", r, err, payload)
			}
		case nil:
			if err == nil {
				t.Fatalf("Lambda: no answer and no error for %q", payload)
			}
		default:
			t.Fatalf("Lambda: answer of type %T for %q", lresp, payload)
		}
	})
}

func TestLogLevel(t *testing.T) {
	cases := map[string]slog.Level{
		"": slog.LevelInfo, "info": slog.LevelInfo, "debug": slog.LevelDebug, " DEBUG ": slog.LevelDebug,
		"warn": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError, "verbose": slog.LevelInfo,
		"info+2": slog.LevelInfo + 2, "ERROR": slog.LevelError,
	}
	for in, want := range cases {
		if got := LogLevel(in); got != want {
			t.Errorf("LogLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func BenchmarkLoggerWithRequestID(b *testing.B) {
	log := Logger(io.Discard, slog.LevelInfo)
	ctx := withInvocation(context.Background(), "1-6570e0a1-0123456789abcdef", "notifier")
	b.ReportAllocs()
	for b.Loop() {
		log.InfoContext(ctx, "delivered", "rule", "dlc-failed", "outcome", "sent")
	}
}

func BenchmarkFCHTTPTrigger(b *testing.B) {
	payload := []byte(`{"version":"v1","rawPath":"/","body":"eyJydWxlIjoiZGxjLWZhaWxlZCJ9","isBase64Encoded":true,` +
		`"headers":{"Content-Type":"application/json","Authorization":"Bearer x"},"queryParameters":{},` +
		`"requestContext":{"accountId":"1","domainName":"x.fcapp.run","requestId":"r","http":{"method":"POST","path":"/","sourceIp":"203.0.113.9"}}}`)
	h := fcHTTPHandler(func(ctx context.Context, r HTTPRequest) HTTPResponse {
		return HTTPResponse{Status: 200, Body: []byte(`{"ok":true}`)}
	})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
}
