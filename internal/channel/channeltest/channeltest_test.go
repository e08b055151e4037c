package channeltest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// TestCloseReleasesHold: a held request is let go when the server closes,
// Close waits for its handler, and later requests are refused.
func TestCloseReleasesHold(t *testing.T) {
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan struct{})
	ended := make(chan string, 1)
	s.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.Enter()()
		close(held)
		ended <- s.Hold(r, time.Hour)
	}))
	go func() { _, _ = http.Post(s.URL(), "text/plain", nil) }()
	<-held
	s.Close() // returns only once the handler has
	select {
	case why := <-ended:
		if why != Closed {
			t.Errorf("Hold ended with %q, want %q", why, Closed)
		}
	default:
		t.Fatal("Close returned while a handler was still holding")
	}
	if _, err := http.Post(s.URL(), "text/plain", nil); err == nil {
		t.Error("a closed server still answers")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after Close: %v", err)
	}
}

// TestHoldEnds: the client giving up ends a hold, and so does max.
func TestHoldEnds(t *testing.T) {
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ended := make(chan string, 2)
	started := make(chan struct{}, 2)
	s.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.Enter()()
		started <- struct{}{}
		max := time.Hour
		if r.URL.Path == "/short" {
			max = time.Nanosecond
		}
		why := s.Hold(r, max)
		ended <- why
		Write(w, http.StatusGatewayTimeout, "text/plain", why, "3")
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/long", nil)
	go func() { <-started; cancel() }() // gone before or while it is held
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Error("a cancelled request got an answer")
	}
	if why := <-ended; why != GaveUp {
		t.Errorf("hold ended with %q, want %q", why, GaveUp)
	}
	resp, err := http.Get(s.URL() + "/short")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if why := <-ended; why != HangDone || resp.StatusCode != 504 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("short hold: %q, HTTP %d, Retry-After %q", why, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestScript(t *testing.T) {
	var s Script[string]
	s.Add("k", 2, "k-fault")
	s.Add("", 1, "any")
	s.Add("k", 0, "never")
	var got []string
	for _, key := range []string{"other", "k", "k", "k", "other"} {
		f, ok := s.Take(key)
		got = append(got, fmt.Sprintf("%s:%s:%v", key, f, ok))
	}
	want := "other:any:true k:k-fault:true k:k-fault:true k::false other::false"
	if strings.Join(got, " ") != want {
		t.Errorf("took %v, want %s", got, want)
	}
}

func TestLog(t *testing.T) {
	var l Log[int]
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); l.Update(l.Add(i), func(v *int) { *v *= 2 }) }()
	}
	wg.Wait()
	all := l.All()
	sum := 0
	for _, v := range all {
		sum += v
	}
	if len(all) != 50 || sum != 2*49*50/2 || l.Count(func(v int) bool { return v%4 == 0 }) != 25 {
		t.Errorf("log = %v", all)
	}
	all[0] = -1
	if l.All()[0] == -1 {
		t.Error("All shares the log's memory")
	}
}

func TestClock(t *testing.T) {
	at := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	c := NewClock(at)
	c.Add(time.Minute)
	if !c.Now().Equal(at.Add(time.Minute)) {
		t.Errorf("Now = %v", c.Now())
	}
	c.Set(at)
	if !c.Now().Equal(at) {
		t.Errorf("after Set: %v", c.Now())
	}
}

// recorder is a testing.TB that keeps what it was told.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}

// TestAssertNoLeak: 8 characters of a secret anywhere a caller can print
// them is a leak (Msg, Hint, a wrapped error), 7 are not.
func TestAssertNoLeak(t *testing.T) {
	const sec = "0123456789abcdef"
	for _, tc := range []struct {
		name string
		err  error
		leak bool
	}{
		{"clean", &channel.Error{Msg: "nothing here", Hint: "fine"}, false},
		{"seven characters", &channel.Error{Msg: "…" + sec[3:10]}, false},
		{"eight in Msg", &channel.Error{Msg: "…" + sec[3:11] + "…"}, true},
		{"eight in Hint", &channel.Error{Hint: sec[8:]}, true},
		{"wrapped", &channel.Error{Err: fmt.Errorf("dial: %w", errors.New("at "+sec))}, true},
		{"plain error", errors.New(sec), true},
	} {
		r := &recorder{TB: t}
		AssertNoLeak(r, tc.err, sec)
		if got := len(r.errs) > 0; got != tc.leak {
			t.Errorf("%s: leak reported %v, want %v (%v)", tc.name, got, tc.leak, r.errs)
		}
	}
}

func TestBilingual(t *testing.T) {
	for h, want := range map[string]bool{
		"稍后重试。Retry later.":  true,
		"Retry later. 稍后重试。": false,
		"稍后重试。":              false,
		"Retry later.":       false,
		"":                   false,
	} {
		if got := Bilingual(h); got != want {
			t.Errorf("Bilingual(%q) = %v, want %v", h, got, want)
		}
	}
}
