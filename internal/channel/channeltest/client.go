package channeltest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// arrivalWait bounds how long a test waits for a request to reach a fake.
const arrivalWait = 10 * time.Second

// AssertCloseReleases posts body to url, where the fake was scripted to
// hang (give the fake a max hang far above arrivalWait, e.g. an hour),
// waits until arrived() reports the fake holds it, and closes the fake
// with closeFake. It fails t unless Close returns within arrivalWait and
// the held request gets no answer at all (a dropped connection, not an
// empty 200).
func AssertCloseReleases(t *testing.T, closeFake func(), url, contentType string, body []byte, arrived func() bool) {
	t.Helper()
	done := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Post(url, contentType, bytes.NewReader(body))
		if err != nil {
			resp = nil
		} else {
			resp.Body.Close()
		}
		done <- resp
	}()
	waitFor(t, arrived)
	closed := make(chan struct{})
	go func() { closeFake(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(arrivalWait):
		t.Fatalf("Close did not return within %v while a request was held", arrivalWait)
	}
	if resp := <-done; resp != nil {
		t.Errorf("a held request got HTTP %d after Close, want a dropped connection", resp.StatusCode)
	}
}

// AssertHangUntilDeadline posts body to url, where the fake was scripted to
// hang, with a 50 ms deadline, and fails t if an answer comes: a hang ends
// only when the client gives up.
func AssertHangUntilDeadline(t *testing.T, url, contentType string, body []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a hang answered %d", resp.StatusCode)
	}
}

// waitFor polls cond until it holds: it waits for an event (a request
// arriving), not for time to pass, and gives up after arrivalWait.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(arrivalWait); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the request did not reach the fake within %v", arrivalWait)
		}
	}
}

// Reply is a fake's answer as a test reads it.
type Reply struct {
	Status     int
	Body       string
	RetryAfter string // the Retry-After header
}

// Request sends body to url as contentType with the extra header fields
// (empty values are left out) and reads the answer; it fails t when no
// answer comes.
func Request(t testing.TB, method, url, contentType string, body []byte, header map[string]string) Reply {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Reply{Status: resp.StatusCode, Body: string(b), RetryAfter: resp.Header.Get("Retry-After")}
}
