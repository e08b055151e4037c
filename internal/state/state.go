// Package state owns what the notifier remembers between invocations:
// dedupe claims, per-target send budgets, lockouts and gone marks. It lives
// in the instance's memory (the default: each function instance has its
// own), or in Redis, where every instance shares it (NOTIFY_STATE_URL).
//
// A Store never fails its caller: the Redis store falls back to the
// instance's memory when Redis is slow or away, so deliveries go on.
package state

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/rate"
)

// Store is where a notifier's state lives. Targets are named by an id that
// is safe to show (never a token); claim keys are opaque strings. Every
// time is the caller's clock. Safe for concurrent use.
type Store interface {
	// Claim takes key (a delivery about to be made) when it is free, in
	// one step, so that two invocations cannot both take it, and returns
	// the key's state before the call.
	Claim(ctx context.Context, key string) ClaimState
	// Confirm records that the claimed delivery reached its target.
	Confirm(ctx context.Context, key string)
	// Release frees a claim whose delivery did not happen, so that the
	// platform's retry can make it.
	Release(ctx context.Context, key string)

	// Available is how many messages target may still send at now under
	// r, its rate (each target has its own; a zero r means Options.Rate):
	// 0 while it is locked out.
	Available(ctx context.Context, target string, r Rate, now time.Time) int
	// Take spends one message of target's budget under r at now; false
	// when none is left or the target is locked out.
	Take(ctx context.Context, target string, r Rate, now time.Time) (Ticket, bool)
	// Settle moves a taken message to done, when its answer came, so that
	// it leaves the window no earlier than the target's own count of it.
	Settle(ctx context.Context, t Ticket, done time.Time) Ticket
	// Refund gives back a message the target surely did not count.
	Refund(ctx context.Context, t Ticket)
	// Throttle leaves target alone (Available 0, Take false) from now
	// until `until`: it refused us for sending too fast.
	Throttle(ctx context.Context, target string, now, until time.Time)

	// MarkGone records that target said it no longer exists, until m.Until.
	MarkGone(ctx context.Context, target string, now time.Time, m Mark)
	// Gone returns target's gone mark. A mark whose Until has passed is
	// returned once more, then forgotten, so that one caller can say the
	// target is tried again: ok && now.Before(m.Until) means gone.
	Gone(ctx context.Context, target string, now time.Time) (m Mark, ok bool)
}

// ClaimState is what Claim found.
type ClaimState int

const (
	// Claimed: the key was free and is now the caller's to deliver.
	Claimed ClaimState = iota
	// InFlight: another invocation claimed it and has not confirmed it.
	// It may yet fail, or it was cut off (a platform timeout kills an
	// invocation before it can release): treat it as not delivered yet.
	// A shared claim in flight expires after FlightTTL.
	InFlight
	// Delivered: it reached its target.
	Delivered
)

func (c ClaimState) String() string {
	switch c {
	case Claimed:
		return "claimed"
	case InFlight:
		return "in-flight"
	case Delivered:
		return "delivered"
	}
	return "ClaimState(" + strconv.Itoa(int(c)) + ")"
}

// Ticket is one message taken from a target's budget.
type Ticket struct {
	Target string
	At     time.Time // the time it is counted from
	id     string    // its member in a shared window
	local  bool      // taken from the instance's memory while Redis was away
}

// Mark says why a target is gone: its channel's error code and message.
type Mark struct {
	Code   int
	Reason string
	Until  time.Time
}

// Rate is a number of messages allowed per rolling window; package rate owns it.
type Rate = rate.Rate

// DefaultRate is DingTalk's documented custom-robot limit: 20 messages a minute.
var DefaultRate = Rate{N: 20, Per: time.Minute}

// Options configure a Store. Zero values get the defaults.
type Options struct {
	Rate     Rate          // the budget of a target whose caller passes no rate; DefaultRate when zero
	Remember int           // claims an instance's memory keeps; 65536 when zero
	ClaimTTL time.Duration // how long a shared delivered claim lasts; DefaultClaimTTL when zero
	// FlightTTL is how long a shared claim lasts before it is confirmed;
	// DefaultFlightTTL when zero. It must outlast the function's timeout.
	FlightTTL time.Duration
	// OpTimeout bounds one Redis operation; DefaultOpTimeout when zero.
	OpTimeout time.Duration
	// Namespace prefixes every Redis key; "pai-notifier" when empty.
	Namespace string
	Logger    *slog.Logger
	// Now is the clock of the fallback's bookkeeping (WARN once a minute,
	// when to try Redis again); time.Now when nil.
	Now func() time.Time
}

// DefaultClaimTTL outlasts the platforms' retry horizons: EventBridge
// retries an event for up to 24 hours (its default maximum event age), and
// an asynchronous FC or Lambda invocation is retried well within that.
const DefaultClaimTTL = 25 * time.Hour

// DefaultFlightTTL outlasts the descriptors' function timeout (30 s) many
// times over. A claim left in flight (an invocation killed at its timeout,
// or Redis away when it was released) holds back the platform's retries of
// that event for at most this long, never for the whole ClaimTTL.
const DefaultFlightTTL = 5 * time.Minute

// DefaultOpTimeout bounds one Redis operation: a Redis in the function's
// network answers in about a millisecond, and a store slower than this
// costs every notification more than it saves.
const DefaultOpTimeout = 300 * time.Millisecond

func (o *Options) defaults() {
	if o.Rate.N == 0 {
		o.Rate = DefaultRate
	}
	if o.Remember == 0 {
		o.Remember = 1 << 16
	}
	if o.ClaimTTL == 0 {
		o.ClaimTTL = DefaultClaimTTL
	}
	if o.FlightTTL == 0 {
		o.FlightTTL = DefaultFlightTTL
	}
	if o.OpTimeout == 0 {
		o.OpTimeout = DefaultOpTimeout
	}
	if o.Namespace == "" {
		o.Namespace = "pai-notifier"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Open returns the store that url names: the instance's memory when url is
// empty, Redis for redis:// and rediss:// (TLS) URLs. The error names what
// is wrong with the URL, never its password.
func Open(url string, o Options) (Store, error) {
	o.defaults()
	if strings.TrimSpace(url) == "" {
		return NewMemory(o), nil
	}
	return NewRedis(url, o)
}
