package dingtalktest

import (
	"sync"
	"time"
)

// Clock is a settable clock for tests, safe for concurrent use. One Clock
// can drive the fake robot (WithClock(c.Now)), a dingtalk.Client and a
// notifier's Config.Now, so a test moves every window and lockout at once
// without sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
