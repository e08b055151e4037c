package channel

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := RetryAfter(tc.in, now); got != tc.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestClassifyHTTP(t *testing.T) {
	for status, want := range map[int]Class{
		200: ClassUnknown, 400: ClassBadRequest, 401: ClassAuth, 403: ClassAuth, 404: ClassTargetGone,
		408: ClassNetwork, 410: ClassTargetGone, 413: ClassTooLarge, 429: ClassRateLimited,
		500: ClassServer, 502: ClassServer, 503: ClassServer,
	} {
		if got := ClassifyHTTP(status); got != want {
			t.Errorf("ClassifyHTTP(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestPostAnswerAndHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json; charset=utf-8" || r.Header.Get("X-Test") != "1" {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(429)
		_, _ = w.Write([]byte(strings.Repeat("x", MaxAnswerBytes+10)))
	}))
	defer srv.Close()
	a, err := Post(context.Background(), srv.Client(), srv.URL+"/hook?key=s3cr3t-key", http.Header{"X-Test": {"1"}}, []byte(`{}`), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != 429 || a.RetryAfter != 3*time.Second || len(a.Body) != MaxAnswerBytes {
		t.Errorf("answer = status %d, retry after %v, %d bytes", a.Status, a.RetryAfter, len(a.Body))
	}
}

func TestPostNetworkErrorHoldsNoURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/cgi-bin/webhook/send?key=s3cr3t-key-value"
	srv.Close() // nothing listens any more
	_, err := Post(context.Background(), http.DefaultClient, url, nil, []byte(`{}`), time.Now())
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassNetwork {
		t.Fatalf("err = %v, want a ClassNetwork *Error", err)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "/cgi-bin") {
		t.Errorf("error text holds the URL: %q", err)
	}
}
