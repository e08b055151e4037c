// Package channeltest is what the fake chat services (wecomtest, larktest,
// slacktest, webhooktest) and the channels' tests share: a loopback HTTP
// server whose Close releases held requests and waits for its handlers,
// scripted faults, a record of what arrived, a settable clock, and the
// checks that no error text leaks a credential. Each fake keeps only what
// its real service checks (auth, signature, limits, codes, Render).
package channeltest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxHang bounds a held request when neither the client gives up
// nor the server closes.
const DefaultMaxHang = 30 * time.Second

// Server is a fake's HTTP endpoint on a real listener. Safe for concurrent
// use.
type Server struct {
	ln     net.Listener
	hs     *http.Server // set by Serve
	url    string
	closed chan struct{}
	once   sync.Once

	mu      sync.Mutex
	cond    *sync.Cond
	running int  // handlers running
	shut    bool // no handler starts after Close
}

// Listen listens on addr ("127.0.0.1:0" for a free port; the demo uses a
// fixed one). Serve starts answering: the fake keeps the Server first, so
// no request finds it half built.
func Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{ln: ln, url: "http://" + ln.Addr().String(), closed: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	return s, nil
}

// Serve answers requests with h, in the background, until Close.
func (s *Server) Serve(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs != nil || s.shut {
		return
	}
	s.hs = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.hs.Serve(s.ln) }()
}

// URL is the server's base URL, e.g. http://127.0.0.1:40123.
func (s *Server) URL() string { return s.url }

// Enter counts a running handler; call the returned function when it
// returns (defer s.Enter()()). After Close it drops the connection instead.
func (s *Server) Enter() (leave func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shut {
		panic(http.ErrAbortHandler)
	}
	s.running++
	return func() {
		s.mu.Lock()
		if s.running--; s.running == 0 {
			s.cond.Broadcast()
		}
		s.mu.Unlock()
	}
}

// Close stops the server, releases held requests (Hold) and waits for every
// handler to return.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.shut = true // no handler starts, and Serve does nothing, after this
		hs := s.hs
		s.mu.Unlock()
		close(s.closed) // releases held requests
		if hs != nil {
			_ = hs.Close()
		} else {
			_ = s.ln.Close()
		}
		s.mu.Lock()
		for s.running > 0 {
			s.cond.Wait()
		}
		s.mu.Unlock()
	})
}

// Shutdown is Close honouring ctx (for the demo's signal handling).
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// How a held request ended.
const (
	GaveUp   = "client gave up"
	Closed   = "server closed"
	HangDone = "hang ended"
)

// Hold holds r without answering until the client gives up, the server
// closes, or max passes, and says which came first. On GaveUp and Closed
// the caller records it and drops the connection (panic with
// http.ErrAbortHandler) rather than send an empty 200; on HangDone it
// answers (the fakes send 504 "hang ended").
func (s *Server) Hold(r *http.Request, max time.Duration) string {
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return GaveUp
	case <-s.closed:
		return Closed
	case <-t.C:
		return HangDone
	}
}

// Write sends an answer: status, the Content-Type when not "", a
// Retry-After header when not "", and body.
func Write(w http.ResponseWriter, status int, contentType, body, retryAfter string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Log is an append-only record (requests, messages), safe for concurrent
// use. A request is added on arrival, so a held one is visible, and
// updated with its answer.
type Log[T any] struct {
	mu    sync.Mutex
	items []T
}

// Add appends v and returns its index.
func (l *Log[T]) Add(v T) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.items = append(l.items, v)
	return len(l.items) - 1
}

// Update changes the item at i.
func (l *Log[T]) Update(i int, f func(*T)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(&l.items[i])
}

// All returns a copy of the items, oldest first.
func (l *Log[T]) All() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]T(nil), l.items...)
}

// Count returns how many items match.
func (l *Log[T]) Count(match func(T) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, v := range l.items {
		if match(v) {
			n++
		}
	}
	return n
}

// Script is a queue of scripted faults, each for one key (a robot's key, a
// bot's token, a webhook's path) or for any key (""), used up in the order
// they were scripted. Safe for concurrent use.
type Script[F any] struct {
	mu      sync.Mutex
	pending []scripted[F]
}

type scripted[F any] struct {
	key   string
	left  int
	fault F
}

// Add makes the next n requests for key (any key when "") take f.
func (s *Script[F]) Add(key string, n int, f F) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.pending = append(s.pending, scripted[F]{key: key, left: n, fault: f})
	s.mu.Unlock()
}

// Take consumes the first fault scripted for key or for any key.
func (s *Script[F]) Take(key string) (F, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.pending {
		p := &s.pending[i]
		if p.key == "" || p.key == key {
			f := p.fault
			if p.left--; p.left == 0 {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
			}
			return f, true
		}
	}
	var zero F
	return zero, false
}

// Clock is a settable clock for a fake and a channel to share: tests move
// it instead of sleeping. The zero Clock reads the zero time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
