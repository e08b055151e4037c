package runtimetest

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// poll plays the SDK's part: one next long-poll against the emulator.
func poll(t *testing.T, r *Runtime) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(r.srv.URL + r.prefix() + "invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func post(t *testing.T, r *Runtime, id, kind, body string) int {
	t.Helper()
	resp, err := http.Post(r.srv.URL+r.prefix()+"invocation/"+id+"/"+kind, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type invoked struct {
	res Result
	err error
}

func startInvoke(r *Runtime, payload string, opts ...InvokeOption) chan invoked {
	c := make(chan invoked, 1)
	go func() {
		res, err := r.Invoke(context.Background(), []byte(payload), opts...)
		c <- invoked{res, err}
	}()
	return c
}

func TestFCProtocol(t *testing.T) {
	r := newRuntime(FC, "fn")
	defer r.Close()
	before := time.Now()
	done := startInvoke(r, `{"a":1}`, WithRequestID("id-1"), WithTimeout(90*time.Second), WithRetryCount(2))
	resp, body := poll(t, r)
	h := resp.Header
	deadline, err := strconv.ParseInt(h.Get("x-fc-function-deadline"), 10, 64)
	if resp.StatusCode != 200 || body != `{"a":1}` || h.Get("x-fc-request-id") != "id-1" || err != nil ||
		deadline < before.Add(90*time.Second).UnixMilli() || h.Get("x-fc-function-timeout") != "90" ||
		h.Get("x-fc-retry-count") != "2" || h.Get("x-fc-function-name") != "fn" || h.Get("x-fc-function-handler") != "main" ||
		h.Get("x-fc-region") == "" || h.Get("x-fc-account-id") == "" || h.Get("x-fc-function-memory") == "" {
		t.Fatalf("next: %d %q headers %v", resp.StatusCode, body, h)
	}
	if code := post(t, r, "id-1", "response", `{"ok":true}`); code != 200 {
		t.Errorf("response answered %d, want 200 (the FC SDK rejects 202)", code)
	}
	if got := <-done; got.err != nil || string(got.res.Payload) != `{"ok":true}` || got.res.Err != nil {
		t.Errorf("Invoke: %+v", got)
	}

	// Results are matched by id, not order.
	a := startInvoke(r, "A", WithRequestID("a"))
	_, pa := poll(t, r)
	b := startInvoke(r, "B", WithRequestID("b"))
	_, pb := poll(t, r)
	post(t, r, "b", "error", `{"errorMessage":"bad","errorType":"errorString"}`)
	post(t, r, "a", "response", `"A done"`)
	ga, gb := <-a, <-b
	if pa != "A" || pb != "B" || string(ga.res.Payload) != `"A done"` || gb.res.Err == nil ||
		*gb.res.Err != (FunctionError{Message: "bad", Type: "errorString"}) {
		t.Errorf("out of order: a=%+v b=%+v (err %v)", ga, gb, gb.res.Err)
	}

	if code := post(t, r, "nobody", "response", `1`); code != 200 || !strings.Contains(r.Logs(), `"nobody"`) {
		t.Errorf("unknown id: answered %d, logs %q", code, r.Logs())
	}
}

func TestLambdaProtocol(t *testing.T) {
	r := newRuntime(Lambda, "fn")
	defer r.Close()
	done := startInvoke(r, `{}`, WithRequestID("L-1"), WithTimeout(3*time.Second))
	resp, _ := poll(t, r)
	h := resp.Header
	if h.Get("Lambda-Runtime-Aws-Request-Id") != "L-1" || h.Get("Lambda-Runtime-Deadline-Ms") == "" ||
		!strings.HasSuffix(h.Get("Lambda-Runtime-Invoked-Function-Arn"), ":function:fn") ||
		!strings.HasPrefix(h.Get("Lambda-Runtime-Trace-Id"), "Root=1-") {
		t.Fatalf("next headers %v", h)
	}
	if code := post(t, r, "L-1", "error", `not json`); code != 202 {
		t.Errorf("error answered %d, want 202", code)
	}
	if got := <-done; got.err != nil || got.res.Err == nil || got.res.Err.Message != "not json" {
		t.Errorf("Invoke: %+v", got)
	}
}

func TestInvokeRefusals(t *testing.T) {
	r := newRuntime(FC, "fn")
	cases := []struct {
		name string
		opts []InvokeOption
		want string
	}{
		{"bad id", []InvokeOption{WithRequestID("a/b")}, "want 1-128"},
		{"zero timeout", []InvokeOption{WithTimeout(0)}, "not positive"},
	}
	for _, c := range cases {
		if _, err := r.Invoke(context.Background(), nil, c.opts...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Invoke(ctx, nil); err == nil || !strings.Contains(err.Error(), "not picked up") {
		t.Errorf("cancelled ctx with nobody polling: %v", err)
	}
	r.Close()
	r.Close() // idempotent
	if _, err := r.Invoke(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("after Close: %v", err)
	}
}
