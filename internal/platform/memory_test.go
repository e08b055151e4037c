package platform

import (
	"runtime/debug"
	"testing"
)

// gcPercent reads the GC percent (SetGCPercent is the only reader).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestCollectEagerlyRestores: overlapping large invocations keep the heap
// tight until the last one ends, then the setting they found is back.
func TestCollectEagerlyRestores(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	end1 := collectEagerly()
	end2 := collectEagerly()
	if p := gcPercent(); p != 25 {
		t.Fatalf("during: GC percent %d, want 25", p)
	}
	end1()
	if p := gcPercent(); p != 25 {
		t.Fatalf("one still in flight: GC percent %d, want 25", p)
	}
	end2()
	if p := gcPercent(); p != 100 {
		t.Fatalf("after: GC percent %d, want 100 restored", p)
	}
	debug.SetGCPercent(10) // an operator's lower GOGC is kept
	collectEagerly()()
	if p := gcPercent(); p != 10 {
		t.Fatalf("GOGC=10 became %d", p)
	}
}
