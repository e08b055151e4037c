package notify

import (
	"encoding/json"
	"slices"

	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// The result stays small whatever comes in: Lambda refuses a response over
// 6 MB (the runtime exits and the instance's dedupe memory with it), and a
// 1 MB array of 138,887 numbers is 138,887 skips. Skips are summarised by
// reason with a few examples; a JSON result lists at most maxListed
// deliveries, those not delivered first.
const (
	maxSkipSample  = 10  // skips shown one by one
	maxSkipReasons = 20  // distinct reasons counted one by one; the rest are "other reasons"
	maxReasonBytes = 200 // a reason may quote event data (a source name...)
	maxListed      = 1000
)

// Skips summarises the events and elements of a delivery that gave no task.
type Skips struct {
	ByReason []SkipCount `json:"byReason"`
	Sample   []Skip      `json:"sample"` // the first maxSkipSample
}

// SkipCount is how many were skipped for one reason.
type SkipCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// Skip is one event or element that gave no task.
type Skip struct {
	Index   int    `json:"index"` // position in the delivery, counting events and elements from 0
	EventID string `json:"eventId,omitempty"`
	Reason  string `json:"reason"`
}

const otherReasons = "other reasons"

// summarise folds skips into counts by reason (in order of first
// appearance) and the first few. Reasons are redacted and cut: they can
// quote event data.
func summarise(skips []event.Skip) *Skips {
	if len(skips) == 0 {
		return nil
	}
	var red secret.Redactor
	s := &Skips{}
	pos := map[string]int{}
	for _, sk := range skips {
		i, ok := pos[sk.Reason]
		if !ok {
			if len(s.ByReason) < maxSkipReasons {
				i = len(s.ByReason)
				s.ByReason = append(s.ByReason, SkipCount{Reason: red.Cut(sk.Reason, maxReasonBytes)})
			} else {
				i, ok = pos[otherReasons]
				if !ok {
					i = len(s.ByReason)
					s.ByReason = append(s.ByReason, SkipCount{Reason: otherReasons})
				}
				sk.Reason = otherReasons
			}
			pos[sk.Reason] = i
		}
		s.ByReason[i].Count++
		if len(s.Sample) < maxSkipSample {
			s.Sample = append(s.Sample, Skip{Index: sk.Index, EventID: red.Cut(sk.EventID, maxReasonBytes), Reason: s.ByReason[i].Reason})
		}
	}
	return s
}

// keepListed bounds r.Deliveries to maxListed, keeping those not delivered
// (failed, retry) first and the order among them, and counts what it drops
// in DeliveriesOmitted. Handle calls it after every chunk, so that a batch
// of 100,000 events never holds 100,000 delivery records; the counters
// always cover all of them.
func (r *Result) keepListed() {
	n := len(r.Deliveries)
	if n <= maxListed {
		return
	}
	kept := make([]Delivery, 0, maxListed)
	for _, notDelivered := range []bool{true, false} {
		for _, d := range r.Deliveries {
			if len(kept) == maxListed {
				break
			}
			if (d.Outcome == Failed || d.Outcome == Retry) == notDelivered {
				kept = append(kept, d)
			}
		}
	}
	r.Deliveries, r.DeliveriesOmitted = kept, r.DeliveriesOmitted+n-len(kept)
}

// MarshalJSON lists at most maxListed deliveries (keepListed) and
// explanations, and says how many it left out.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result // without this method
	r.keepListed()
	out := struct {
		plain
		ExplainOmitted int `json:"explainOmitted,omitempty"`
	}{plain: plain(r)}
	if len(r.Explain) > maxListed {
		out.Explain, out.ExplainOmitted = slices.Clip(r.Explain[:maxListed]), len(r.Explain)-maxListed
	}
	return json.Marshal(out)
}

// Incomplete reports whether a notification matched but did not reach its
// group: failed for good, or left for the platform's retry. Local mode
// exits non-zero on it (platform.Incomplete).
func (r Result) Incomplete() bool {
	return r.Failed > 0 || r.Sent+r.Suppressed < r.Matched
}
