package notify

import (
	"context"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
)

// A message leaves the budget's window a window after its answer, not its
// start: DingTalk may count it as late as the answer, and a budget ahead of
// DingTalk's window sends one too many and earns a lockout.
func TestBudgetSettlesAtTheAnswer(t *testing.T) {
	b := newBudget(Rate{N: 1, Per: time.Minute})
	t0 := time.Unix(1000, 0)
	if !b.take("r", t0) {
		t.Fatal("first take refused")
	}
	if got := b.settle("r", t0, t0.Add(300*time.Millisecond)); !got.Equal(t0.Add(300 * time.Millisecond)) {
		t.Fatalf("settle kept %v", got)
	}
	if b.take("r", t0.Add(time.Minute)) {
		t.Error("a minute after the start, before a minute after the answer: want refused")
	}
	if !b.take("r", t0.Add(time.Minute+300*time.Millisecond)) {
		t.Error("a minute after the answer: want allowed")
	}
	// Out-of-order answers keep the times sorted.
	b2 := newBudget(Rate{N: 3, Per: time.Minute})
	for _, d := range []time.Duration{0, time.Second, 2 * time.Second} {
		b2.take("r", t0.Add(d))
	}
	b2.settle("r", t0, t0.Add(5*time.Second))
	got := b2.sent["r"]
	for i := 1; i < len(got); i++ {
		if got[i].Before(got[i-1]) {
			t.Fatalf("times out of order after settle: %v", got)
		}
	}
	if avail := b2.available("r", t0.Add(61*time.Second)); avail != 1 {
		t.Errorf("available at +61s = %d, want 1 (the +2s send and the one answered at +5s still count)", avail)
	}
}

// A timeout may come after DingTalk counted the message, so it is not given
// back to the budget; an HTTP 5xx (DingTalk answered, did not count) is.
func TestNetworkErrorsAreNotRefunded(t *testing.T) {
	for _, c := range []struct {
		class dingtalk.Class
		left  int
	}{{dingtalk.ClassNetwork, 0}, {dingtalk.ClassServer, 1}} {
		f := newFixture(t, func(c *Config) { c.Rate = Rate{N: 1, Per: time.Hour} })
		f.sender.script = []error{&dingtalk.Error{Class: c.class, Msg: "x"}}
		// Too short a deadline for a second attempt: the budget shows the first alone.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		res, err := f.n.Handle(ctx, dlcEvent("ev-refund", "dlcrefund", "Failed"))
		cancel()
		if err == nil || f.sender.calls != 1 {
			t.Fatalf("class %v: %+v %v after %d sends, want one failed attempt", c.class, res, err, f.sender.calls)
		}
		robot := dingtalk.RobotID(f.n.cfg.Rules.Rule("dlc-failed").Target.Webhook.Reveal())
		if got := f.n.budget.available(robot, f.clock.Now()); got != c.left {
			t.Errorf("class %v: budget left %d, want %d", c.class, got, c.left)
		}
	}
}
