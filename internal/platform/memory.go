package platform

import (
	"runtime"
	"runtime/debug"
	"sync"
)

// largePayload is the payload size from which an invocation keeps the heap
// tight (collectEagerly).
const largePayload = 4 << 20

// eager counts the invocations in flight that want the heap kept tight.
var eager struct {
	sync.Mutex
	n       int
	percent int // the GC percent to restore when the last one ends
}

// collectEagerly keeps peak memory near what a large payload really needs,
// until the returned function is called. Reading the payload left garbage
// as large as it (the runtime API client's buffer grew by doubling), and by
// default the collector lets the heap grow to twice what is live before it
// runs again: a 21 MB batch peaked at 115 MB. It collects now, and runs the
// collector at 25% growth instead of 100% meanwhile (21 MB: 80 MB). The
// notifier's steady heap is a few MB, so the extra collections cost
// milliseconds, and only while a large invocation is in flight.
func collectEagerly() (restore func()) {
	eager.Lock()
	if eager.n == 0 {
		eager.percent = debug.SetGCPercent(25)
		if eager.percent < 25 { // GOGC already lower, or off (-1): leave it
			debug.SetGCPercent(eager.percent)
		}
	}
	eager.n++
	eager.Unlock()
	runtime.GC()
	return func() {
		eager.Lock()
		defer eager.Unlock()
		if eager.n--; eager.n == 0 {
			debug.SetGCPercent(eager.percent)
		}
	}
}
