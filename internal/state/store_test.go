package state

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/state/redistest"
)

var t0 = time.Date(2026, 1, 6, 8, 0, 0, 0, time.UTC)

// eachStore runs f on the instance's memory and on a real Redis, so that
// both keep the same promises.
func eachStore(t *testing.T, o Options, f func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) { f(t, NewMemory(o)) })
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		r, err := NewRedis(srv.URL, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		f(t, r)
		if r.down {
			t.Error("the Redis store fell back to memory during the test")
		}
	})
}

func TestClaims(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, s Store) {
		ctx := context.Background()
		if got := s.Claim(ctx, "k"); got != Claimed {
			t.Fatalf("first claim = %v, want Claimed", got)
		}
		if got := s.Claim(ctx, "k"); got != InFlight {
			t.Fatalf("second claim before confirm = %v, want InFlight", got)
		}
		if s.Claim(ctx, "other") != Claimed {
			t.Error("claims share one key")
		}
		s.Release(ctx, "k")
		if got := s.Claim(ctx, "k"); got != Claimed {
			t.Errorf("claim after release = %v, want Claimed", got)
		}
		s.Confirm(ctx, "k")
		if got := s.Claim(ctx, "k"); got != Delivered {
			t.Errorf("claim after confirm = %v, want Delivered", got)
		}
	})
}

// A claim never confirmed nor released (an invocation killed at its
// timeout) holds back the event's retries for FlightTTL, not for the
// whole ClaimTTL: then the retry delivers it.
func TestRedisClaimInFlightExpires(t *testing.T) {
	srv := redistest.Start(t)
	r, err := NewRedis(srv.URL, Options{FlightTTL: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if r.Claim(ctx, "k") != Claimed || r.Claim(ctx, "k") != InFlight {
		t.Fatal("want Claimed then InFlight")
	}
	r.local.Release(ctx, "k") // another instance: it never saw the claim
	ttl, err := r.rdb.PTTL(ctx, r.claimKey("k")).Result()
	if err != nil || ttl <= 0 || ttl > 100*time.Millisecond {
		t.Fatalf("in-flight claim TTL %v %v, want at most FlightTTL", ttl, err)
	}
	r.Confirm(ctx, "d")
	if ttl, _ := r.rdb.PTTL(ctx, r.claimKey("d")).Result(); ttl < DefaultClaimTTL-time.Minute {
		t.Errorf("delivered claim TTL %v, want about ClaimTTL (%v)", ttl, DefaultClaimTTL)
	}
}

func TestWindow(t *testing.T) {
	eachStore(t, Options{Rate: Rate{N: 2, Per: time.Minute}}, func(t *testing.T, s Store) {
		ctx := context.Background()
		_, ok1 := s.Take(ctx, "r", Rate{}, t0)
		_, ok2 := s.Take(ctx, "r", Rate{}, t0.Add(time.Second))
		_, ok3 := s.Take(ctx, "r", Rate{}, t0.Add(2*time.Second))
		if !ok1 || !ok2 || ok3 {
			t.Fatalf("takes %v %v %v, want exactly two in the window", ok1, ok2, ok3)
		}
		if got := s.Available(ctx, "r", Rate{}, t0.Add(time.Minute-time.Millisecond)); got != 0 {
			t.Errorf("available just before the first left the window = %d, want 0", got)
		}
		if got := s.Available(ctx, "r", Rate{}, t0.Add(time.Minute)); got != 1 {
			t.Errorf("available when the first left the window = %d, want 1", got)
		}
		if _, ok := s.Take(ctx, "other", Rate{}, t0); !ok {
			t.Error("targets share a budget")
		}
		s.Throttle(ctx, "r", t0.Add(2*time.Minute), t0.Add(12*time.Minute))
		if s.Available(ctx, "r", Rate{}, t0.Add(5*time.Minute)) != 0 {
			t.Error("available during the lockout")
		}
		if _, ok := s.Take(ctx, "r", Rate{}, t0.Add(5*time.Minute)); ok {
			t.Error("take during the lockout")
		}
		if got := s.Available(ctx, "r", Rate{}, t0.Add(12*time.Minute)); got != 2 {
			t.Errorf("available after the lockout = %d, want 2", got)
		}
	})
}

// Each target has its own rate, given per call, in memory and in Redis: a
// fast target (5 a second) and a slow one (2 a minute) beside the store's
// default (3 a minute).
func TestRatePerTarget(t *testing.T) {
	eachStore(t, Options{Rate: Rate{N: 3, Per: time.Minute}}, func(t *testing.T, s Store) {
		ctx := context.Background()
		fast, slow := Rate{N: 5, Per: time.Second}, Rate{N: 2, Per: time.Minute}
		takes := func(target string, r Rate, at time.Time, n int) int {
			ok := 0
			for i := range n {
				if _, took := s.Take(ctx, target, r, at.Add(time.Duration(i)*time.Millisecond)); took {
					ok++
				}
			}
			return ok
		}
		if got := takes("fast", fast, t0, 8); got != 5 {
			t.Errorf("fast target took %d in its first second, want 5", got)
		}
		if got := s.Available(ctx, "fast", fast, t0.Add(1100*time.Millisecond)); got != 5 {
			t.Errorf("fast target has %d a second later, want its 5 again", got)
		}
		if got := takes("slow", slow, t0, 4); got != 2 {
			t.Errorf("slow target took %d, want 2", got)
		}
		if got := s.Available(ctx, "slow", slow, t0.Add(30*time.Second)); got != 0 {
			t.Errorf("slow target has %d within its minute, want 0", got)
		}
		if got := takes("default", Rate{}, t0, 4); got != 3 {
			t.Errorf("a target without a rate took %d, want the default 3", got)
		}
	})
}

// A message leaves the window a window after its answer, not its start, and
// a refunded one leaves at once.
func TestSettleAndRefund(t *testing.T) {
	eachStore(t, Options{Rate: Rate{N: 1, Per: time.Minute}}, func(t *testing.T, s Store) {
		ctx := context.Background()
		tk, ok := s.Take(ctx, "r", Rate{}, t0)
		if !ok {
			t.Fatal("first take refused")
		}
		if tk = s.Settle(ctx, tk, t0.Add(300*time.Millisecond)); !tk.At.Equal(t0.Add(300 * time.Millisecond)) {
			t.Fatalf("settled at %v", tk.At)
		}
		if _, ok := s.Take(ctx, "r", Rate{}, t0.Add(time.Minute)); ok {
			t.Error("a minute after the start, before a minute after the answer: want refused")
		}
		tk, ok = s.Take(ctx, "r", Rate{}, t0.Add(time.Minute+300*time.Millisecond))
		if !ok {
			t.Fatal("a minute after the answer: want allowed")
		}
		s.Refund(ctx, tk)
		if _, ok := s.Take(ctx, "r", Rate{}, t0.Add(time.Minute+time.Second)); !ok {
			t.Error("take after a refund refused")
		}
	})
}

func TestGoneMarks(t *testing.T) {
	eachStore(t, Options{}, func(t *testing.T, s Store) {
		ctx := context.Background()
		if _, ok := s.Gone(ctx, "r", t0); ok {
			t.Fatal("a mark before any was set")
		}
		s.MarkGone(ctx, "r", t0, Mark{Code: 400102, Reason: "robot disabled", Until: t0.Add(3 * time.Minute)})
		m, ok := s.Gone(ctx, "r", t0.Add(2*time.Minute))
		if !ok || m.Code != 400102 || m.Reason != "robot disabled" || !m.Until.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("Gone = %+v %v", m, ok)
		}
		// Expired: returned once more (the caller logs it), then forgotten.
		if m, ok := s.Gone(ctx, "r", t0.Add(3*time.Minute)); !ok || t0.Add(3*time.Minute).Before(m.Until) {
			t.Errorf("expired mark: %+v %v, want it once with Until passed", m, ok)
		}
		if _, ok := s.Gone(ctx, "r", t0.Add(3*time.Minute)); ok {
			t.Error("an expired mark was returned twice")
		}
	})
}

// Two instances (two stores on one Redis) racing: one claim wins, and the
// budget is spent exactly once across both.
func TestRedisIsSharedAcrossInstances(t *testing.T) {
	srv := redistest.Start(t)
	var stores []*Redis
	for range 2 {
		r, err := NewRedis(srv.URL, Options{Rate: Rate{N: 20, Per: time.Minute}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		stores = append(stores, r)
	}
	ctx := context.Background()
	var claims, takes atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		s := stores[i%2]
		wg.Go(func() {
			if s.Claim(ctx, "same") == Claimed {
				claims.Add(1)
			}
			if _, ok := s.Take(ctx, "robot", Rate{}, t0.Add(time.Duration(i)*time.Millisecond)); ok {
				takes.Add(1)
			}
		})
	}
	wg.Wait()
	if claims.Load() != 1 || takes.Load() != 20 {
		t.Errorf("claims won %d, takes %d; want 1 and 20", claims.Load(), takes.Load())
	}
	for _, s := range stores {
		if s.down {
			t.Error("a store fell back to memory")
		}
	}
}

// Keys are namespaced, bounded and name targets by the id they were given.
func TestRedisKeys(t *testing.T) {
	srv := redistest.Start(t)
	r, err := NewRedis(srv.URL, Options{Namespace: "ns"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	r.Claim(ctx, "e\x00acs.pai\x00event-id\x00rule name with spaces")
	r.Take(ctx, "robot1", Rate{}, t0)
	r.Throttle(ctx, "robot1", t0, t0.Add(time.Minute))
	r.MarkGone(ctx, "robot2", t0, Mark{Code: 1, Reason: "x", Until: t0.Add(time.Minute)})
	keys, err := r.rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 {
		t.Errorf("keys %q, want 4", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "ns:") || len(k) > 64 || strings.Contains(k, "rule name") {
			t.Errorf("key %q: want ns: prefixed, short, the claim key hashed", k)
		}
	}
}

// Redis killed mid-test: every operation still answers, from the
// instance's memory; the WARN comes at most once a minute; when Redis is
// back, the store uses it again (after retryRedisAfter) and says so.
func TestRedisFallsBackToMemory(t *testing.T) {
	srv := redistest.Start(t)
	clock := dingtalktest.NewClock(t0)
	var logs bytes.Buffer
	r, err := NewRedis(srv.URL, Options{Rate: Rate{N: 3, Per: time.Minute}, Now: clock.Now, OpTimeout: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	if r.Claim(ctx, "before") != Claimed {
		t.Fatal("claim on a live Redis refused")
	}
	srv.Kill()
	start := time.Now()
	if r.Claim(ctx, "during") != Claimed || r.Claim(ctx, "during") != InFlight {
		t.Error("claims during the outage: want the first taken, the second refused (from memory)")
	}
	r.Confirm(ctx, "during")
	var taken int
	for i := range 5 {
		if _, ok := r.Take(ctx, "robot", Rate{}, t0.Add(time.Duration(i)*time.Second)); ok {
			taken++
		}
	}
	if taken != 3 {
		t.Errorf("took %d during the outage, want the budget of 3 from memory", taken)
	}
	r.MarkGone(ctx, "gone", t0, Mark{Code: 1, Reason: "x", Until: t0.Add(time.Minute)})
	if _, ok := r.Gone(ctx, "gone", t0); !ok {
		t.Error("gone mark lost during the outage")
	}
	t.Logf("12 operations during the outage took %v", time.Since(start))
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
		t.Errorf("%d WARN lines in the first minute of the outage, want 1:\n%s", n, logs.String())
	}
	clock.Add(time.Minute)
	r.Claim(ctx, "later")
	if n := strings.Count(logs.String(), "level=WARN"); n != 2 {
		t.Errorf("%d WARN lines after a minute, want 2", n)
	}

	srv.Restart(t) // empty: what was claimed in Redis before is gone with it
	clock.Add(retryRedisAfter)
	if got := r.Claim(ctx, "during"); got != Delivered {
		t.Errorf("a delivery confirmed in memory during the outage: Claim after it = %v, want Delivered", got)
	}
	if v, _ := r.rdb.Get(ctx, r.claimKey("during")).Result(); v != "done" {
		t.Errorf("after the outage Redis holds %q for it, want done", v)
	}
	if !strings.Contains(logs.String(), "Redis answers again") {
		t.Error("the store did not say Redis is back")
	}
	if r.Claim(ctx, "after") != Claimed || r.down {
		t.Error("the store did not go back to Redis")
	}
	if n, _ := r.rdb.Exists(ctx, r.claimKey("after")).Result(); n != 1 {
		t.Error("a claim after the outage is not in Redis")
	}
}

// A Redis that accepts connections and never answers costs each operation
// at most OpTimeout, then the store serves from memory.
func TestRedisThatHangsIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	r, err := NewRedis("redis://"+ln.Addr().String()+"/0", Options{OpTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	if r.Claim(context.Background(), "k") != Claimed {
		t.Error("claim refused")
	}
	if _, ok := r.Take(context.Background(), "robot", Rate{}, t0); !ok {
		t.Error("take refused")
	}
	t.Logf("two operations on a Redis that never answers took %v (OpTimeout 50ms, then memory)", time.Since(start))
	if !r.down {
		t.Error("the store did not notice the hang")
	}
}

// Neither a bad URL's error nor the WARN of a refused AUTH shows the
// password.
func TestRedisPasswordNeverShown(t *testing.T) {
	const pw = "hunter2-redis-password"
	_, err := Open("redis://user:"+pw+"@127.0.0.1:1/notanumber", Options{})
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("bad URL: err = %v, want an error without the password", err)
	}
	if _, err := Open("http://user:"+pw+"@127.0.0.1:1/0", Options{}); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("wrong scheme: err = %v, want an error without the password", err)
	}
	srv := redistest.Start(t)
	var logs bytes.Buffer
	s, err := Open(strings.Replace(srv.URL, "redis://", "redis://user:"+pw+"@", 1), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.(*Redis).Close()
	s.Claim(context.Background(), "k")
	if !strings.Contains(logs.String(), "WARN") || strings.Contains(logs.String(), pw) {
		t.Errorf("logs: want a WARN without the password:\n%s", logs.String())
	}
}

func TestOpen(t *testing.T) {
	if s, err := Open("", Options{}); err != nil || fmt.Sprintf("%T", s) != "*state.Memory" {
		t.Errorf("Open(\"\") = %T, %v; want the instance's memory", s, err)
	}
	for _, u := range []string{"redis://127.0.0.1:6379/0", "rediss://user:pw@redis.example:6380/1"} {
		s, err := Open(u, Options{})
		if err != nil {
			t.Errorf("Open(%q): %v", u, err)
			continue
		}
		if _, ok := s.(*Redis); !ok {
			t.Errorf("Open(%q) = %T, want *state.Redis", u, s)
		}
		s.(*Redis).Close()
	}
}

func BenchmarkRedis(b *testing.B) {
	srv := redistest.Start(b)
	r, err := NewRedis(srv.URL, Options{Rate: Rate{N: 1 << 30, Per: time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	b.Run("claim", func(b *testing.B) {
		for i := range b.N {
			r.Claim(ctx, fmt.Sprint("k", i))
		}
	})
	b.Run("take+settle", func(b *testing.B) {
		now := t0
		for range b.N {
			now = now.Add(time.Microsecond)
			tk, _ := r.Take(ctx, "robot", Rate{}, now)
			r.Settle(ctx, tk, now.Add(time.Millisecond))
		}
	})
	b.Run("ping", func(b *testing.B) {
		for range b.N {
			r.rdb.Ping(ctx)
		}
	})
	if r.down {
		b.Fatal("fell back to memory")
	}
}
