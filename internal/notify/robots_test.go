package notify

import (
	"context"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// Robot ids are computed once per rule in New; deliveries must still carry
// the id of their own rule's webhook.
func TestDeliveriesCarryTheirRulesRobot(t *testing.T) {
	set := benchRules(t, 3)
	p, err := event.NewParser(set.Fields())
	if err != nil {
		t.Fatal(err)
	}
	n := New(Config{Rules: set, Parser: p, Sender: nopSender{}})
	if len(n.robots) != 3 {
		t.Fatalf("%d robot ids cached, want 3", len(n.robots))
	}
	res, err := n.Handle(context.Background(), benchSample(t, "dlc-failed.json"))
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	r := set.Rule(res.Deliveries[0].Rule)
	if got, want := res.Deliveries[0].Robot, dingtalk.RobotID(r.Target.Webhook.Reveal()); got != want || want == "" {
		t.Errorf("delivery robot %q, want %q", got, want)
	}
}
