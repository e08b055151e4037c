package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/state"
)

// numbers is a JSON array of n numbers, each one a skip.
func numbers(n int) []byte {
	b := []byte{'['}
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(1000000+i), 10)
	}
	return append(b, ']')
}

// camelCase reports the first key of a JSON document that does not start
// with a lower-case letter.
func camelCase(v any) string {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "" || k[0] < 'a' || k[0] > 'z' {
				return k
			}
			if bad := camelCase(e); bad != "" {
				return bad
			}
		}
	case []any:
		for _, e := range v {
			if bad := camelCase(e); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// TestResultStaysSmall: a 1 MB array of 138,887 numbers gave a 7 MB result
// (one skip each), past Lambda's 6 MB response limit, and a log line per
// element. Skips are summarised by reason with a capped sample, and one log
// line says so.
func TestResultStaysSmall(t *testing.T) {
	f := newFixture(t, nil)
	body := numbers(138887)
	res, err := f.n.Handle(ctxWithin(t, 5*time.Second), body)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d-byte payload, %d skipped: result %d bytes, log %d bytes", len(body), res.Skipped, len(js), f.logs.Len())
	if res.Skipped != 138887 || res.Skips == nil || len(res.Skips.ByReason) != 1 || res.Skips.ByReason[0].Count != 138887 {
		t.Fatalf("skips %+v, want 138887 for one reason", res.Skips)
	}
	if len(res.Skips.Sample) != maxSkipSample || res.Skips.Sample[3].Index != 3 {
		t.Errorf("sample %+v, want the first %d", res.Skips.Sample, maxSkipSample)
	}
	if len(js) > 4096 {
		t.Errorf("result is %d bytes, want a summary: %.500s", len(js), js)
	}
	if n, lines := strings.Count(f.logs.String(), `"msg":"events skipped"`), strings.Count(f.logs.String(), "\n"); n != 1 || lines != 2 {
		t.Errorf("%d skip lines in %d log lines, want 1 and 2 (skips, done):\n%.2000s", n, lines, f.logs.String())
	}
	var doc any
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	if bad := camelCase(doc); bad != "" {
		t.Errorf("result key %q is not camelCase: %s", bad, js)
	}
}

// TestSkipReasonsAreCapped: a batch whose every element is skipped for its
// own reason (a different source each) still gives a bounded summary.
func TestSkipReasonsAreCapped(t *testing.T) {
	f := newFixture(t, nil)
	var evs [][]byte
	for i := range 500 {
		evs = append(evs, fmt.Appendf(nil, `{"specversion":"1.0","id":"x%d","source":"acs.src%d%s","type":"t","data":{}}`, i, i, strings.Repeat("s", 1000)))
	}
	res, err := f.n.Handle(ctxWithin(t, 5*time.Second), batch(evs...))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Skips
	if s == nil || len(s.ByReason) != maxSkipReasons+1 || s.ByReason[maxSkipReasons].Reason != otherReasons || s.ByReason[maxSkipReasons].Count != 500-maxSkipReasons {
		t.Fatalf("byReason has %d entries, want %d and %q", len(s.ByReason), maxSkipReasons+1, otherReasons)
	}
	for _, c := range s.ByReason {
		if len(c.Reason) > maxReasonBytes+3 {
			t.Errorf("reason of %d bytes is not cut", len(c.Reason))
		}
	}
	if js, _ := json.Marshal(res); len(js) > 16<<10 {
		t.Errorf("result is %d bytes", len(js))
	}
}

// TestResultListsNotDeliveredFirst: past maxListed deliveries the JSON
// result lists the failed ones first and counts the rest; the counters
// cover all.
func TestResultListsNotDeliveredFirst(t *testing.T) {
	var res Result
	for i := range 3 * maxListed {
		d := Delivery{Rule: "r", EventID: strconv.Itoa(i), Outcome: Digested}
		if i%100 == 99 {
			d.Outcome = Failed
		}
		res.Deliveries = append(res.Deliveries, d)
	}
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Deliveries []Delivery
		Omitted    int `json:"deliveriesOmitted"`
	}
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Deliveries) != maxListed || got.Omitted != 2*maxListed {
		t.Fatalf("listed %d, omitted %d; want %d and %d", len(got.Deliveries), got.Omitted, maxListed, 2*maxListed)
	}
	for i, d := range got.Deliveries[:30] {
		if d.Outcome != Failed || d.EventID != strconv.Itoa(100*i+99) {
			t.Fatalf("deliveries[%d] = %+v, want the failures first, in order", i, d)
		}
	}
}

// TestLargeBatchKeepsFewDeliveries: a batch of several chunks holds at most
// maxListed delivery records, those not delivered first, while the counters
// and the retry's pending count still cover every notification.
func TestLargeBatchKeepsFewDeliveries(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Rate = state.Rate{N: 1, Per: time.Hour} })
	const n = chunkTasks + chunkTasks/2
	events := make([][]byte, n)
	for i := range events {
		events[i] = dlcEvent(fmt.Sprintf("ev-%d", i), fmt.Sprintf("dlc%05d", i), "Failed")
	}
	res, err := f.n.Handle(ctxWithin(t, time.Minute), batch(events...))
	var re *RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RetryableError (one message an hour cannot name %d jobs)", err, n)
	}
	if res.Matched != n || res.Sent+re.Pending != n || res.Sent == 0 {
		t.Fatalf("matched %d, sent %d, pending %d: want every one of %d counted", res.Matched, res.Sent, re.Pending, n)
	}
	if len(res.Deliveries) != maxListed || res.DeliveriesOmitted != n-maxListed {
		t.Fatalf("holds %d deliveries, omitted %d; want %d and %d", len(res.Deliveries), res.DeliveriesOmitted, maxListed, n-maxListed)
	}
	for _, d := range res.Deliveries {
		if d.Outcome != Retry {
			t.Fatalf("kept a %q delivery while %d were left for retry: those not delivered come first", d.Outcome, re.Pending)
		}
	}
}
