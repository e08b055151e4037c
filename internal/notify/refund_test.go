package notify

import (
	"context"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/state"
)

// A timeout may come after DingTalk counted the message, so it is not given
// back to the budget; an HTTP 5xx (DingTalk answered, did not count) is.
func TestNetworkErrorsAreNotRefunded(t *testing.T) {
	for _, c := range []struct {
		class dingtalk.Class
		left  int
	}{{dingtalk.ClassNetwork, 0}, {dingtalk.ClassServer, 1}} {
		f := newFixture(t, func(c *Config) { c.Rate = state.Rate{N: 1, Per: time.Hour} })
		f.sender.script = []error{&dingtalk.Error{Class: c.class, Msg: "x"}}
		// Too short a deadline for a second attempt: the budget shows the first alone.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		res, err := f.n.Handle(ctx, dlcEvent("ev-refund", "dlcrefund", "Failed"))
		cancel()
		if err == nil || f.sender.calls != 1 {
			t.Fatalf("class %v: %+v %v after %d sends, want one failed attempt", c.class, res, err, f.sender.calls)
		}
		robot := dingtalk.RobotID(f.n.cfg.Rules.Rule("dlc-failed").Target.Webhook.Reveal())
		if got := f.n.state.Available(context.Background(), robot, state.Rate{}, f.clock.Now()); got != c.left {
			t.Errorf("class %v: budget left %d, want %d", c.class, got, c.left)
		}
	}
}
