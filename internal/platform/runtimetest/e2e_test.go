package runtimetest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
)

// echofn is the platform's test function (internal/platform/testdata/echofn).
const echofn = "./internal/platform/testdata/echofn"

// kinds are the runtimes every event and HTTP test runs under: our two emulators, and AWS's
// runtime interface emulator with the Lambda binary (skipped when aws-lambda-rie is not installed,
// except on CI).
var kinds = []runtimetest.Kind{runtimetest.FC, runtimetest.Lambda, runtimetest.RIE}

type echoOut struct {
	RequestID   string          `json:"requestId"`
	HasDeadline bool            `json:"hasDeadline"`
	Payload     json.RawMessage `json:"payload"`
	Text        string          `json:"text"`
}

func invoke(t *testing.T, rt *runtimetest.Runtime, payload string, opts ...runtimetest.InvokeOption) runtimetest.Result {
	t.Helper()
	res, err := rt.Invoke(context.Background(), []byte(payload), opts...)
	if err != nil {
		t.Fatalf("Invoke(%s): %v\nlogs:\n%s", payload, err, rt.Logs())
	}
	return res
}

func decodeEcho(t *testing.T, res runtimetest.Result) echoOut {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("unexpected function error %v", res.Err)
	}
	var out echoOut
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("result %q is not the echo JSON: %v", res.Payload, err)
	}
	return out
}

func TestEvents(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			rt := runtimetest.Start(t, kind, runtimetest.Build(t, echofn, kind), nil)

			t.Run("echo", func(t *testing.T) {
				in := `{"op":"echo","n":1}`
				out := decodeEcho(t, invoke(t, rt, in, runtimetest.WithRequestID("echo-1")))
				if out.RequestID != "echo-1" || !out.HasDeadline || !jsonEqual(out.Payload, []byte(in)) {
					t.Errorf("got %+v; want requestId echo-1, a deadline and payload %s", out, in)
				}
			})
			t.Run("error", func(t *testing.T) {
				res := invoke(t, rt, `{"op":"error","msg":"boom"}`)
				if res.Err == nil || res.Err.Message != "boom" || res.Err.Type == "" {
					t.Errorf("got %+v, want function error boom with a type", res)
				}
			})
			t.Run("panic then a good invocation", func(t *testing.T) {
				res := invoke(t, rt, `{"op":"panic","msg":"kaboom"}`)
				if res.Err == nil || res.Err.Message != "handler panicked: kaboom" || res.Err.Type != "PanicError" {
					t.Fatalf("got %+v (err %v), want PanicError handler panicked: kaboom", res, res.Err)
				}
				out := decodeEcho(t, invoke(t, rt, `{"op":"echo"}`, runtimetest.WithRequestID("after-panic")))
				if out.RequestID != "after-panic" || rt.Exited() {
					t.Errorf("after a panic: got %+v, exited %v; want the process serving", out, rt.Exited())
				}
			})
			t.Run("bytes result is JSON, not base64", func(t *testing.T) {
				res := invoke(t, rt, `{"op":"bytes"}`)
				if res.Err != nil || !jsonEqual(res.Payload, []byte(`{"raw":true}`)) {
					t.Errorf("got %q (err %v), want {\"raw\":true}", res.Payload, res.Err)
				}
			})
			t.Run("deadline reaches the handler", func(t *testing.T) {
				if kind == runtimetest.RIE {
					t.Skip("the RIE's timeout is per process: TestRIETimeout")
				}
				res := invoke(t, rt, `{"op":"wait"}`, runtimetest.WithTimeout(time.Second))
				if res.Err == nil || !strings.Contains(res.Err.Message, "not released before the deadline") {
					t.Errorf("got %+v (err %v), want the handler's deadline error", res, res.Err)
				}
			})
			t.Run("request id in log lines", func(t *testing.T) {
				invoke(t, rt, `{"op":"log","msg":"hello"}`, runtimetest.WithRequestID("log-7"))
				line := logLine(t, rt, `"msg":"echo log"`)
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatalf("log line %q is not JSON: %v", line, err)
				}
				if rec["requestId"] != "log-7" || rec["function"] != "echofn" || rec["text"] != "hello" {
					t.Errorf("log record %v: want requestId log-7, function echofn, text hello", rec)
				}
			})
		})
	}
}

func TestFCNonJSONPayloadIsPassedRaw(t *testing.T) {
	t.Parallel()
	rt := runtimetest.Start(t, runtimetest.FC, runtimetest.Build(t, echofn, runtimetest.FC), nil)
	out := decodeEcho(t, invoke(t, rt, "plain text"))
	if out.Text != "plain text" {
		t.Errorf("got %+v, want text echoed", out)
	}
}

// Lambda payloads are JSON by contract; aws-lambda-go rejects anything else before the handler.
func TestLambdaNonJSONPayloadIsAnError(t *testing.T) {
	t.Parallel()
	rt := runtimetest.Start(t, runtimetest.Lambda, runtimetest.Build(t, echofn, runtimetest.Lambda), nil)
	if res := invoke(t, rt, "plain text"); res.Err == nil {
		t.Errorf("got %q, want a function error", res.Payload)
	}
	if out := decodeEcho(t, invoke(t, rt, `{}`)); !out.HasDeadline || rt.Exited() {
		t.Errorf("after a bad payload: %+v, exited %v", out, rt.Exited())
	}
}

// The FC SDK runs each invocation in its own goroutine: a waiting invocation must not block the
// one that releases it. (Sequential handling would leave "wait" to fail at its deadline.)
func TestFCConcurrency(t *testing.T) {
	t.Parallel()
	rt := runtimetest.Start(t, runtimetest.FC, runtimetest.Build(t, echofn, runtimetest.FC), nil)
	var wg sync.WaitGroup
	results := make([]runtimetest.Result, 3)
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			results[i], errs[i] = rt.Invoke(context.Background(), []byte(`{"op":"wait"}`), runtimetest.WithTimeout(20*time.Second))
		})
	}
	// Release only once all three are in flight, so that the releasing invocation overlaps them.
	waitFor(t, rt, 3, `{"op":"wait"}`)
	if res := invoke(t, rt, `{"op":"release"}`); res.Err != nil {
		t.Fatalf("release: %v", res.Err)
	}
	wg.Wait()
	for i := range 3 {
		if errs[i] != nil || results[i].Err != nil {
			t.Errorf("wait %d: err %v, function error %v", i, errs[i], results[i].Err)
		}
	}
}

// waitFor waits until the FC SDK has logged the start of n invocations beyond those seen so far.
func waitFor(t *testing.T, rt *runtimetest.Runtime, n int, what string) {
	t.Helper()
	for i := 0; ; i++ {
		if c := strings.Count(rt.Logs(), "FC Invoke Start RequestId"); c >= n {
			return
		}
		if i == 2000 {
			t.Fatalf("%d invocations of %s never started; logs:\n%s", n, what, rt.Logs())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestProcessDeathIsAnInvokeError(t *testing.T) {
	for _, kind := range []runtimetest.Kind{runtimetest.FC, runtimetest.Lambda} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			rt := runtimetest.Start(t, kind, runtimetest.Build(t, echofn, kind), nil)
			invoke(t, rt, `{"op":"log","msg":"last words"}`)
			_, err := rt.Invoke(context.Background(), []byte(`{"op":"exit"}`))
			if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "last words") {
				t.Errorf("got %v, want an exit error quoting the output", err)
			}
			if _, err := rt.Invoke(context.Background(), []byte(`{}`)); err == nil {
				t.Error("invoke after death succeeded")
			}
		})
	}
}

// httpEvent builds the trigger event each platform sends for one request.
func httpEvent(kind runtimetest.Kind, method, path string, query url.Values, body []byte) []byte {
	b64 := base64.StdEncoding.EncodeToString(body)
	flat := map[string]string{}
	for k := range query {
		flat[k] = query.Get(k)
	}
	var ev any
	if kind == runtimetest.FC {
		ev = map[string]any{
			"version": "v1", "rawPath": path, "body": b64, "isBase64Encoded": true,
			"headers":         map[string]string{"Content-Type": "application/octet-stream", "X-Token": "abc"},
			"queryParameters": flat,
			"requestContext": map[string]any{
				"accountId": "1234567890123456", "domainName": "x.cn-hangzhou.fcapp.run", "requestId": "http-req",
				"http": map[string]any{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"},
			},
		}
	} else {
		ev = map[string]any{
			"version": "2.0", "rawPath": path, "rawQueryString": query.Encode(), "body": b64, "isBase64Encoded": true,
			"headers": map[string]string{"content-type": "application/octet-stream", "x-token": "abc"},
			"cookies": []string{"c=1"},
			"requestContext": map[string]any{
				"accountId": "123456789012", "requestId": "http-req", "timeEpoch": 1700000000000,
				"http": map[string]any{"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"},
			},
		}
	}
	b, _ := json.Marshal(ev)
	return b
}

type httpOut struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	Body            string            `json:"body"`
}

func TestHTTPTrigger(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			rt := runtimetest.Start(t, kind, runtimetest.Build(t, echofn, kind), []string{"ECHO_MODE=http"})
			body := []byte{0, 1, 2, 0xff, '{'}

			res := invoke(t, rt, string(httpEvent(kind, "POST", "/connectivity", url.Values{"a": {"1 2"}}, body)), runtimetest.WithRequestID("h-1"))
			out := decodeHTTP(t, res)
			if out.StatusCode != 200 || out.IsBase64Encoded || out.Headers["content-type"] != "application/json" {
				t.Fatalf("got %+v, want a 200 JSON text response", out)
			}
			var echo struct {
				Method, Path, Query, SourceIP, RequestID string
				Headers                                  map[string]string
				Body                                     []byte
			}
			if err := json.Unmarshal([]byte(out.Body), &echo); err != nil {
				t.Fatal(err)
			}
			if echo.Method != "POST" || echo.Path != "/connectivity" || echo.Query != "a=1+2" ||
				echo.SourceIP != "203.0.113.9" || echo.RequestID != "h-1" || !bytes.Equal(echo.Body, body) ||
				echo.Headers["x-token"] != "abc" {
				t.Errorf("handler saw %+v", echo)
			}
			if kind != runtimetest.FC && echo.Headers["cookie"] != "c=1" {
				t.Errorf("cookies not folded into the cookie header: %v", echo.Headers)
			}

			out = decodeHTTP(t, invoke(t, rt, string(httpEvent(kind, "GET", "/x", url.Values{"binary": {"1"}}, nil))))
			bin, err := base64.StdEncoding.DecodeString(out.Body)
			if !out.IsBase64Encoded || err != nil || !bytes.Equal(bin, []byte{0xff, 0xfe, 0x00, 0x01}) {
				t.Errorf("binary response: %+v", out)
			}

			out = decodeHTTP(t, invoke(t, rt, string(httpEvent(kind, "GET", "/panic", nil, nil)), runtimetest.WithRequestID("h-panic")))
			if out.StatusCode != 500 || strings.Contains(out.Body, "asked to panic") || !strings.Contains(out.Body, "h-panic") {
				t.Errorf("panic response: %+v; want a 500 naming the request id, not the panic", out)
			}
			if line := logLine(t, rt, `"msg":"HTTP handler panicked"`); !strings.Contains(line, `"requestId":"h-panic"`) {
				t.Errorf("panic log line lacks the request id: %s", line)
			}

			res = invoke(t, rt, `{"op":"echo"}`)
			if res.Err == nil || !strings.Contains(res.Err.Message, "not an HTTP trigger event") {
				t.Errorf("non-HTTP payload: got %+v (err %v)", res, res.Err)
			}
			if out := decodeHTTP(t, invoke(t, rt, string(httpEvent(kind, "GET", "/", nil, nil)))); out.StatusCode != 200 {
				t.Errorf("after a panic and a bad payload: %+v", out)
			}
		})
	}
}

func decodeHTTP(t *testing.T, res runtimetest.Result) httpOut {
	t.Helper()
	if res.Err != nil {
		t.Fatalf("function error %v", res.Err)
	}
	var out httpOut
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("response %q: %v", res.Payload, err)
	}
	return out
}

// logLine returns the JSON part of the first log line containing marker. The child's output is
// copied by a pipe goroutine, so a line may land after the result it belongs to: wait for it.
func logLine(t *testing.T, rt *runtimetest.Runtime, marker string) string {
	t.Helper()
	for i := 0; ; i++ {
		logs := rt.Logs()
		for line := range strings.Lines(logs) {
			if j := strings.Index(line, "{"); j >= 0 && strings.Contains(line, marker) {
				return strings.TrimSpace(line[j:])
			}
		}
		if i == 1000 {
			t.Fatalf("no log line with %s in:\n%s", marker, logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// Local mode of the same binary: no runtime API variable.
func TestLocalEvents(t *testing.T) {
	t.Parallel()
	bin := runtimetest.Build(t, echofn, runtimetest.FC)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"op":"echo"}`), 0o644)
	os.WriteFile(bad, []byte(`{"op":"error","msg":"nope"}`), 0o644)

	cases := []struct {
		name   string
		args   []string
		stdin  string
		status int
		lines  []string // substrings, one per output line
	}{
		{"one file", []string{good}, "", 0, []string{`"requestId":"local-1"`}},
		{"stdin", nil, `{"op":"echo"}`, 0, []string{`"payload":{"op":"echo"}`}},
		{"failure exits 1", []string{good, bad, good}, "", 1, []string{`"local-1"`, `{"error":"nope"}`, `"local-3"`}},
		{"missing file named", []string{filepath.Join(dir, "nope.json")}, "", 1, []string{`nope.json: no such file`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			cmd.Env = []string{}
			cmd.Stdin = strings.NewReader(c.stdin)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			err := cmd.Run()
			status := 0
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			if status != c.status || len(lines) != len(c.lines) {
				t.Fatalf("status %d, output:\n%s\nwant status %d and %d lines", status, stdout.String(), c.status, len(c.lines))
			}
			for i, want := range c.lines {
				if !strings.Contains(lines[i], want) || !json.Valid([]byte(lines[i])) {
					t.Errorf("line %d %q: want JSON containing %s", i, lines[i], want)
				}
			}
		})
	}
}

func TestLocalHTTP(t *testing.T) {
	t.Parallel()
	bin := runtimetest.Build(t, echofn, runtimetest.FC)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // the child binds it; a race with another process is possible but harmless here
	cmd := exec.Command(bin)
	cmd.Env = []string{"ECHO_MODE=http", fmt.Sprintf("PORT=%d", port)}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	defer stop()

	target := fmt.Sprintf("http://127.0.0.1:%d/connectivity?a=1", port)
	var resp *http.Response
	for i := 0; ; i++ { // wait for the server to listen
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "POST", target, strings.NewReader(`{"x":1}`))
		req.Header.Set("X-Token", "abc")
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			cancel()
			var echo struct {
				Method, Path, Query, SourceIP, RequestID string
				Headers                                  map[string]string
				Body                                     []byte
			}
			if err := json.Unmarshal(body, &echo); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if resp.StatusCode != 200 || echo.Method != "POST" || echo.Path != "/connectivity" || echo.Query != "a=1" ||
				echo.SourceIP != "127.0.0.1" || !strings.HasPrefix(echo.RequestID, "local-") ||
				echo.Headers["x-token"] != "abc" || string(echo.Body) != `{"x":1}` {
				t.Errorf("status %d, handler saw %+v", resp.StatusCode, echo)
			}
			return
		}
		cancel()
		if i == 400 {
			stop() // so that reading logs does not race with the child's writes
			t.Fatalf("local server never answered: %v\n%s", err, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Under AWS's emulator, as on Lambda, a process that dies fails its invocation with
// Runtime.ExitError, and the next invocation starts the function afresh.
func TestRIEProcessDeathIsAnExitError(t *testing.T) {
	rt := runtimetest.Start(t, runtimetest.RIE, runtimetest.Build(t, echofn, runtimetest.RIE), nil)
	invoke(t, rt, `{"op":"log","msg":"last words"}`)
	res := invoke(t, rt, `{"op":"exit"}`)
	if res.Err == nil || res.Err.Type != "Runtime.ExitError" || !strings.Contains(res.Err.Message, "exit status 3") {
		t.Fatalf("got %+v (err %v), want Runtime.ExitError with exit status 3", res, res.Err)
	}
	logLine(t, rt, "last words")
	if out := decodeEcho(t, invoke(t, rt, `{}`, runtimetest.WithRequestID("reborn"))); out.RequestID != "reborn" {
		t.Errorf("after the exit: %+v, want a fresh process answering", out)
	}
}

// Under AWS's emulator the timeout is the process's AWS_LAMBDA_FUNCTION_TIMEOUT: the handler sees
// it as its deadline, and a handler that outlives it leaves the invocation without a result.
func TestRIETimeout(t *testing.T) {
	rt := runtimetest.Start(t, runtimetest.RIE, runtimetest.Build(t, echofn, runtimetest.RIE), []string{"AWS_LAMBDA_FUNCTION_TIMEOUT=1"})
	if _, err := rt.Invoke(context.Background(), []byte(`{}`), runtimetest.WithTimeout(5*time.Second)); err == nil || !strings.Contains(err.Error(), "AWS_LAMBDA_FUNCTION_TIMEOUT") {
		t.Errorf("WithTimeout under the RIE: %v, want an error pointing at AWS_LAMBDA_FUNCTION_TIMEOUT", err)
	}
	res, err := rt.Invoke(context.Background(), []byte(`{"op":"wait"}`))
	// The handler's deadline and the emulator's timeout are the same instant: either may win.
	switch {
	case err != nil && strings.Contains(err.Error(), "timeout"):
		t.Logf("the emulator's timeout came first: %v", err)
	case err == nil && res.Err != nil && strings.Contains(res.Err.Message, "not released before the deadline"):
		t.Logf("the handler's deadline came first: %v", res.Err)
	default:
		t.Fatalf("got %+v, %v; want the handler's deadline error or the emulator's timeout", res, err)
	}
}
