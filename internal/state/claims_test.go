package state

import (
	"fmt"
	"testing"
)

// Claims that are forgotten (deliveries that failed and wait for the
// platform's retry) must not push delivered keys out: the load test lost
// that race when forgotten claims kept their places.
func TestForgottenClaimsDoNotShortenTheHorizon(t *testing.T) {
	m := newMemory(8)
	for i := range 4 {
		if m.claim(fmt.Sprint("delivered", i)) != Claimed {
			t.Fatal("first claim refused")
		}
	}
	for i := range 1000 {
		k := fmt.Sprint("failed", i)
		if m.claim(k) != Claimed {
			t.Fatal("first claim refused")
		}
		m.forget(k)
	}
	for i := range 4 {
		if !m.has(fmt.Sprint("delivered", i)) {
			t.Errorf("delivered%d was pushed out by forgotten claims", i)
		}
	}
	// Oldest first once really full.
	for i := range 5 {
		m.claim(fmt.Sprint("more", i))
	}
	if m.has("delivered0") || !m.has("delivered1") || m.len() != 8 {
		t.Errorf("has(delivered0) %v, has(delivered1) %v, len %d: want false, true, 8", m.has("delivered0"), m.has("delivered1"), m.len())
	}
	for i := range 8 { // everything forgotten leaves an empty, reusable memory
		m.forget(fmt.Sprint("more", i))
		m.forget(fmt.Sprint("delivered", i))
	}
	if m.len() != 0 || m.head != -1 || m.tail != -1 {
		t.Errorf("len %d head %d tail %d after forgetting everything", m.len(), m.head, m.tail)
	}
	if m.claim("again") != Claimed || !m.has("again") {
		t.Error("claim after emptying failed")
	}
}

// has reports whether key is remembered.
func (m *memory) has(key string) bool {
	_, ok := m.state(key)
	return ok
}

func (m *memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.index)
}
