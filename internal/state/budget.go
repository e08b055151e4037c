package state

import (
	"slices"
	"sync"
	"time"
)

// budget is a per-robot rolling-window send budget, so that one instance
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

func newBudget(r Rate) *budget {
	return &budget{rate: r, sent: map[string][]time.Time{}, lockout: map[string]time.Time{}, maxRobot: 10000}
}

// pruneLocked drops send times that left the window and returns the rest.
func (b *budget) pruneLocked(robot string, now time.Time) []time.Time {
	times := b.sent[robot]
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-b.rate.Per)) {
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

// available returns how many messages robot may still take now.
func (b *budget) available(robot string, now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until, ok := b.lockout[robot]; ok {
		if now.Before(until) {
			return 0
		}
		delete(b.lockout, robot)
	}
	return b.rate.N - len(b.pruneLocked(robot, now))
}

// take spends one message of robot's budget, reporting false when none is left.
func (b *budget) take(robot string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until, ok := b.lockout[robot]; ok && now.Before(until) {
		return false
	}
	times := b.pruneLocked(robot, now)
	if len(times) >= b.rate.N {
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
		b.pruneLocked(robot, now)
	}
	for robot, until := range b.lockout {
		if !now.Before(until) {
			delete(b.lockout, robot)
		}
	}
}
