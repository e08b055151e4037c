package state

import (
	"slices"
	"sync"
	"time"
)

// budget is a per-robot rolling-window send budget, each robot's rate given
// by the caller (the default when zero), so that one instance
// never knowingly exceeds a robot's limit (DingTalk locks a robot out for
// about ten minutes when it does). It also holds robots that DingTalk has
// already throttled until their lockout is over.
type budget struct {
	mu       sync.Mutex
	rate     Rate
	sent     map[string][]time.Time // robot -> send times within the window, oldest first
	lockout  map[string]time.Time   // robot -> throttled until
	maxRobot int
}

// maxWindow is the longest window eviction keeps send times for: rates
// are per target, and no service counts over more than an hour.
const maxWindow = time.Hour

func newBudget(r Rate) *budget {
	return &budget{rate: r, sent: map[string][]time.Time{}, lockout: map[string]time.Time{}, maxRobot: 10000}
}

// rateOr is r, or the budget's default when r is zero.
func (b *budget) rateOr(r Rate) Rate {
	if r.N <= 0 || r.Per <= 0 {
		return b.rate
	}
	return r
}

// pruneLocked drops send times that left the window per and returns the
// rest.
func (b *budget) pruneLocked(robot string, per time.Duration, now time.Time) []time.Time {
	times := b.sent[robot]
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-per)) {
		cut++
	}
	times = times[cut:]
	if len(times) == 0 {
		delete(b.sent, robot)
		return nil
	}
	b.sent[robot] = times
	return times
}

// available returns how many messages robot may still take now under r
// (the default rate when r is zero).
func (b *budget) available(robot string, r Rate, now time.Time) int {
	r = b.rateOr(r)
	b.mu.Lock()
	defer b.mu.Unlock()
	if until, ok := b.lockout[robot]; ok {
		if now.Before(until) {
			return 0
		}
		delete(b.lockout, robot)
	}
	return r.N - len(b.pruneLocked(robot, r.Per, now))
}

// take spends one message of robot's budget under r, reporting false when
// none is left.
func (b *budget) take(robot string, r Rate, now time.Time) bool {
	r = b.rateOr(r)
	b.mu.Lock()
	defer b.mu.Unlock()
	if until, ok := b.lockout[robot]; ok && now.Before(until) {
		return false
	}
	times := b.pruneLocked(robot, r.Per, now)
	if len(times) >= r.N {
		return false
	}
	if len(b.sent) >= b.maxRobot && times == nil {
		b.evictLocked(now)
	}
	b.sent[robot] = append(times, now)
	return true
}

// refund gives back a message taken at `at` that never reached DingTalk's
// counter (the request failed in the network or at an HTTP 5xx).
func (b *budget) refund(robot string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	times := b.sent[robot]
	for i := len(times) - 1; i >= 0; i-- {
		if times[i].Equal(at) {
			b.sent[robot] = append(times[:i], times[i+1:]...)
			return
		}
	}
}

// settle moves a message taken at `at` to `done`, when its answer came, so
// that it leaves the window no earlier than DingTalk's own count of it. It
// returns the time the message is now kept under.
func (b *budget) settle(robot string, at, done time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	times := b.sent[robot]
	i := slices.IndexFunc(times, func(t time.Time) bool { return t.Equal(at) })
	if i < 0 || !done.After(at) {
		return at
	}
	times = slices.Delete(times, i, i+1)
	// Keep the times in order: pruneLocked drops from the front.
	j, _ := slices.BinarySearchFunc(times, done, func(t, d time.Time) int { return t.Compare(d) })
	b.sent[robot] = slices.Insert(times, j, done)
	return done
}

// throttle leaves robot alone until `until`: it refused us for sending too fast.
func (b *budget) throttle(robot string, until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lockout[robot] = until
}

// evictLocked keeps the robot map bounded in a long-lived instance.
func (b *budget) evictLocked(now time.Time) {
	for robot := range b.sent {
		b.pruneLocked(robot, maxWindow, now)
	}
	for robot, until := range b.lockout {
		if !now.Before(until) {
			delete(b.lockout, robot)
		}
	}
}
