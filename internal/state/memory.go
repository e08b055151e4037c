package state

import (
	"context"
	"sync"
	"time"
)

// Memory keeps the state in the instance's own memory: what one instance
// knows, lost when the platform recycles it. It is the default store and
// the Redis store's fallback.
type Memory struct {
	claims *memory
	budget *budget
	gone   *goneMarks
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty instance-memory store.
func NewMemory(o Options) *Memory {
	o.defaults()
	return &Memory{claims: newMemory(o.Remember), budget: newBudget(o.Rate), gone: &goneMarks{marks: map[string]Mark{}}}
}

func (m *Memory) Claim(_ context.Context, key string) ClaimState { return m.claims.claim(key) }
func (m *Memory) Confirm(_ context.Context, key string)          { m.claims.confirm(key) }
func (m *Memory) Release(_ context.Context, key string)          { m.claims.forget(key) }

// state is key's claim state here without claiming it (the Redis store
// asks it about claims made while Redis was away).
func (m *Memory) state(key string) (ClaimState, bool) { return m.claims.state(key) }

func (m *Memory) Available(_ context.Context, target string, r Rate, now time.Time) int {
	return m.budget.available(target, r, now)
}

func (m *Memory) Take(_ context.Context, target string, r Rate, now time.Time) (Ticket, bool) {
	if !m.budget.take(target, r, now) {
		return Ticket{}, false
	}
	return Ticket{Target: target, At: now, local: true}, true
}

func (m *Memory) Settle(_ context.Context, t Ticket, done time.Time) Ticket {
	t.At = m.budget.settle(t.Target, t.At, done)
	return t
}

func (m *Memory) Refund(_ context.Context, t Ticket) { m.budget.refund(t.Target, t.At) }

func (m *Memory) Throttle(_ context.Context, target string, _, until time.Time) {
	m.budget.throttle(target, until)
}

func (m *Memory) MarkGone(_ context.Context, target string, _ time.Time, mk Mark) {
	m.gone.set(target, mk)
}

func (m *Memory) Gone(_ context.Context, target string, now time.Time) (Mark, bool) {
	return m.gone.get(target, now)
}

// goneMarks remembers targets that said they no longer exist (group
// dissolved, robot disabled or removed), bounded in a long-lived instance.
type goneMarks struct {
	mu    sync.Mutex
	marks map[string]Mark
}

func (g *goneMarks) get(target string, now time.Time) (Mark, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, ok := g.marks[target]
	if ok && !now.Before(m.Until) {
		delete(g.marks, target) // returned once after it expired
	}
	return m, ok
}

func (g *goneMarks) set(target string, m Mark) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.marks[target]; ok || len(g.marks) < 10000 {
		g.marks[target] = m
	}
}
