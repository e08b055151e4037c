package channel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/secret"
)

const testToken = "tok-0123456789abcdef"

// judgeAll quotes the whole answer as a failure: the worst a judge can do.
func judgeAll(a Answer) *Error {
	return &Error{Class: ClassUnknown, HTTPStatus: a.Status, Msg: Snippet(a.Body)}
}

// TestJudgeRedactedBeforeQuoting: the token at every offset of an answer
// never survives in part, though the judge quotes only the first
// SnippetBytes: the answer is redacted whole before it is judged.
func TestJudgeRedactedBeforeQuoting(t *testing.T) {
	red := secret.NewRedactor(testToken)
	for off := 0; off <= SnippetBytes+len(testToken); off++ {
		body := strings.Repeat("x", off) + testToken + " tail"
		e := JudgeRedacted(Answer{Status: 502, Body: []byte(body)}, red, judgeAll)
		for i := 0; i+8 <= len(testToken); i++ {
			if strings.Contains(e.Msg, testToken[i:i+8]) {
				t.Fatalf("offset %d: %q holds a piece of the token", off, e.Msg)
			}
		}
	}
	if e := JudgeRedacted(Answer{Status: 200}, red, func(Answer) *Error { return nil }); e != nil {
		t.Errorf("a delivery became %v", e)
	}
}

func TestErrorRedactKeepsUnwrap(t *testing.T) {
	red := secret.NewRedactor(testToken)
	inner := fmt.Errorf("dial %s: %w", testToken, context.DeadlineExceeded)
	e := (&Error{Msg: "at " + testToken, Err: inner}).Redact(red)
	if strings.Contains(e.Error(), testToken) || !errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("Redact = %v (unwraps to deadline: %v)", e, errors.Is(e, context.DeadlineExceeded))
	}
	plain := errors.New("no secret here")
	if e := (&Error{Err: plain}).Redact(red); e.Err != plain {
		t.Errorf("an error without a secret was wrapped: %#v", e.Err)
	}
}

func TestFinish(t *testing.T) {
	red := secret.NewRedactor(testToken)
	hint := func(e *Error) string { return "hint for " + e.Class.String() }
	// The token straddles the cap: redacting first leaves no piece of it.
	msg := strings.Repeat("界", 10) + testToken
	e := Finish(&Error{Class: ClassServer, Msg: msg}, "demo", red, 40, hint)
	if e.Channel != "demo" || e.Hint != "hint for server" || len(e.Msg) > 40 || strings.Contains(e.Msg, "tok-") {
		t.Errorf("Finish = %+v", e)
	}
	if !strings.HasPrefix(e.Msg, strings.Repeat("界", 10)+"<se") {
		t.Errorf("Msg %q: want the redacted text cut on a rune boundary", e.Msg)
	}
	e = Finish(&Error{Class: ClassAuth, Msg: msg, Hint: "kept"}, "demo", red, 0, hint)
	if e.Hint != "kept" || e.Msg != strings.Repeat("界", 10)+"<secret>" {
		t.Errorf("Finish without a cap = %+v", e)
	}
}

func TestHTTPURL(t *testing.T) {
	for in, want := range map[string]bool{
		"https://h/x": true, "http://127.0.0.1:8080/": true,
		"ftp://h/x": false, "javascript:alert(1)": false, "/relative": false, "https:///x": false,
		"hooks.slack.com/services/T/B/x": false, "http://h/%zz": false,
	} {
		if _, got := HTTPURL(in); got != want {
			t.Errorf("HTTPURL(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestSender: the default client stops at a redirect (the credential does
// not travel on), options replace the client and the clock, nil ones are
// ignored, and Exchange judges the answer.
func TestSender(t *testing.T) {
	hits := 0
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere?"+r.URL.RawQuery, http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	defer hs.Close()
	at := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	s := NewSender(time.Second, WithClock(func() time.Time { return at }), WithClock(nil), WithHTTPClient(nil))
	if !s.Now().Equal(at) {
		t.Errorf("Now = %v, want the injected clock", s.Now())
	}
	var got Answer
	judge := func(a Answer) *Error { got = a; return &Error{Class: ClassifyHTTP(a.Status)} }
	red := secret.NewRedactor(testToken)
	e := s.Exchange(context.Background(), hs.URL+"/moved?key="+testToken, nil, []byte("{}"), red, judge)
	if got.Status != http.StatusTemporaryRedirect || hits != 1 || e == nil {
		t.Errorf("redirect: status %d after %d requests (%v), want 307 after 1", got.Status, hits, e)
	}
	other := NewSender(0, WithHTTPClient(&http.Client{}))
	if e := other.Exchange(context.Background(), hs.URL+"/moved", nil, nil, red, judge); e == nil || got.Status != http.StatusTeapot {
		t.Errorf("a client that follows redirects got %d", got.Status)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	e = s.Exchange(context.Background(), closed.URL+"/?key="+testToken, nil, nil, red, judge)
	if e == nil || e.Class != ClassNetwork || strings.Contains(e.Error(), testToken) {
		t.Errorf("refused: %v", e)
	}
}
