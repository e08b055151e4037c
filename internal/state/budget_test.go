package state

import (
	"testing"
	"time"
)

// A message leaves the budget's window a window after its answer, not its
// start: DingTalk may count it as late as the answer, and a budget ahead of
// DingTalk's window sends one too many and earns a lockout.
func TestBudgetSettlesAtTheAnswer(t *testing.T) {
	b := newBudget(Rate{N: 1, Per: time.Minute})
	t0 := time.Unix(1000, 0)
	if !b.take("r", Rate{}, t0) {
		t.Fatal("first take refused")
	}
	if got := b.settle("r", t0, t0.Add(300*time.Millisecond)); !got.Equal(t0.Add(300 * time.Millisecond)) {
		t.Fatalf("settle kept %v", got)
	}
	if b.take("r", Rate{}, t0.Add(time.Minute)) {
		t.Error("a minute after the start, before a minute after the answer: want refused")
	}
	if !b.take("r", Rate{}, t0.Add(time.Minute+300*time.Millisecond)) {
		t.Error("a minute after the answer: want allowed")
	}
	// Out-of-order answers keep the times sorted.
	b2 := newBudget(Rate{N: 3, Per: time.Minute})
	for _, d := range []time.Duration{0, time.Second, 2 * time.Second} {
		b2.take("r", Rate{}, t0.Add(d))
	}
	b2.settle("r", t0, t0.Add(5*time.Second))
	got := b2.sent["r"]
	for i := 1; i < len(got); i++ {
		if got[i].Before(got[i-1]) {
			t.Fatalf("times out of order after settle: %v", got)
		}
	}
	if avail := b2.available("r", Rate{}, t0.Add(61*time.Second)); avail != 1 {
		t.Errorf("available at +61s = %d, want 1 (the +2s send and the one answered at +5s still count)", avail)
	}
}

func TestMemoryIsBounded(t *testing.T) {
	m := newMemory(3)
	for _, k := range []string{"a", "b", "c", "d"} {
		if m.claim(k) != Claimed {
			t.Fatalf("claim(%s) = false on first sight", k)
		}
	}
	if m.len() != 3 || m.has("a") || !m.has("d") {
		t.Errorf("len %d, has(a) %v, has(d) %v: want 3, false, true", m.len(), m.has("a"), m.has("d"))
	}
	if m.claim("d") == Claimed {
		t.Error("claim(d) twice = true")
	}
	m.forget("d")
	if m.claim("d") != Claimed {
		t.Error("claim after forget = false")
	}
}

func TestBudgetWindow(t *testing.T) {
	b := newBudget(Rate{N: 2, Per: time.Minute})
	t0 := time.Unix(0, 0)
	if !b.take("r", Rate{}, t0) || !b.take("r", Rate{}, t0.Add(time.Second)) || b.take("r", Rate{}, t0.Add(2*time.Second)) {
		t.Fatal("want exactly two takes in the window")
	}
	if got := b.available("r", Rate{}, t0.Add(60*time.Second+500*time.Millisecond)); got != 1 {
		t.Errorf("available after the first left the window = %d, want 1", got)
	}
	if !b.take("other", Rate{}, t0) {
		t.Error("robots share a budget")
	}
	b.throttle("r", t0.Add(12*time.Minute))
	if b.available("r", Rate{}, t0.Add(5*time.Minute)) != 0 || b.available("r", Rate{}, t0.Add(13*time.Minute)) != 2 {
		t.Error("lockout not honoured")
	}
}
