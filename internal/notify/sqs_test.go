package notify

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// sqsRecords wraps bodies as an SQS delivery, record i with messageId ids[i].
func sqsRecords(ids []string, bodies ...[]byte) []byte {
	var recs []string
	for i, b := range bodies {
		q, _ := json.Marshal(string(b))
		recs = append(recs, `{"messageId":"`+ids[i]+`","eventSource":"aws:sqs","body":`+string(q)+`}`)
	}
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

// Fed by SQS, an invocation whose notifications were partly left for retry
// succeeds and names only the records to deliver again (Lambda's partial
// batch response); the redelivery of those records sends what was left and
// nothing twice. Any other delivery still fails whole.
func TestSQSPartialBatchResponse(t *testing.T) {
	tooFast := dtErr(130101, "send too fast")
	ids := []string{"rec-a", "rec-bc", "rec-d"}
	bodies := [][]byte{
		dlcEvent("ea", "dlcA", "Failed"),
		batch(dlcEvent("eb", "dlcB", "Failed"), dlcEvent("ec", "dlcC", "Failed")),
		dlcEvent("ed", "dlcD", "Failed"),
	}

	f := newFixture(t, nil)
	// A and B reach the group; DingTalk then says "too fast", so C and D
	// wait (the robot is locked out).
	f.sender.script = []error{nil, nil, tooFast}
	res, err := f.n.Handle(ctxWithin(t, 5*time.Second), sqsRecords(ids, bodies...))
	if err != nil {
		t.Fatalf("Handle failed the whole batch: %v", err)
	}
	js, _ := json.Marshal(res)
	if want := `"batchItemFailures":[{"itemIdentifier":"rec-bc"},{"itemIdentifier":"rec-d"}]`; !strings.Contains(string(js), want) {
		t.Errorf("result %s\nwant it to contain %s", js, want)
	}
	if !res.Incomplete() {
		t.Error("Incomplete() = false with notifications left for retry")
	}

	// Lambda delivers the two failed records again, after the lockout.
	f.clock.Add(11 * time.Minute)
	f.sender.script = nil
	res, err = f.n.Handle(ctxWithin(t, 5*time.Second), sqsRecords(ids[1:], bodies[1:]...))
	if err != nil || len(res.BatchItemFailures) != 0 {
		t.Fatalf("redelivery: err %v, batchItemFailures %v; want none", err, res.BatchItemFailures)
	}
	if res.Sent != 2 || res.Suppressed != 1 {
		t.Errorf("redelivery sent %d, suppressed %d; want 2 (C, D) and 1 (B)", res.Sent, res.Suppressed)
	}
	if js, _ := json.Marshal(res); strings.Contains(string(js), "batchItemFailures") {
		t.Errorf("a complete batch carries batchItemFailures: %s", js)
	}
	for _, job := range []string{"dlcA", "dlcB", "dlcC", "dlcD"} {
		n := 0
		for _, m := range f.sender.got {
			if strings.Contains(m.Text, "job "+job) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s named in %d messages, want 1", job, n)
		}
	}

	// The same events as an FC batch: no record to name, so the invocation
	// fails and the platform retries it whole.
	g := newFixture(t, nil)
	g.sender.script = []error{nil, nil, tooFast}
	res, err = g.n.Handle(ctxWithin(t, 5*time.Second), batch(bodies[0], dlcEvent("eb", "dlcB", "Failed"), dlcEvent("ec", "dlcC", "Failed"), bodies[2]))
	var re *RetryableError
	if !errors.As(err, &re) || re.Pending != 2 || len(res.BatchItemFailures) != 0 {
		t.Errorf("FC batch: err %v, batchItemFailures %v; want a RetryableError for 2 and none", err, res.BatchItemFailures)
	}
}
