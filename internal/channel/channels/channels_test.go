package channels

import (
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
)

func TestEveryServiceIsRegisteredOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range All {
		if seen[s.Name] {
			t.Errorf("%s registered twice", s.Name)
		}
		seen[s.Name] = true
		ch := s.New(0)
		if ch.Name() != s.Name {
			t.Errorf("%s: New gives a channel named %q", s.Name, ch.Name())
		}
		if ch.MaxBodyBytes() <= 0 {
			t.Errorf("%s: MaxBodyBytes %d", s.Name, ch.MaxBodyBytes())
		}
		if got, ok := Lookup(" " + s.Name + " "); !ok || got.Name != s.Name {
			t.Errorf("Lookup(%q) = %q %v", s.Name, got.Name, ok)
		}
		for _, h := range s.Hosts {
			if got := Infer("https://" + h + "/x?key=1"); got != s.Name {
				t.Errorf("Infer(%s) = %q, want %q", h, got, s.Name)
			}
		}
	}
	for _, want := range []string{"dingtalk", "wecom", "lark", "slack", "webhook"} {
		if !seen[want] {
			t.Errorf("%s not registered", want)
		}
	}
	if _, ok := Lookup("teams"); ok {
		t.Error("Lookup(teams) found a service")
	}
	if s, ok := Lookup(""); !ok || s.Name != Default {
		t.Errorf("Lookup(\"\") = %q, want the default %q", s.Name, Default)
	}
	if got := Infer("https://relay.example.com/hook"); got != "" {
		t.Errorf("Infer(relay) = %q, want none", got)
	}
	if got := len(OfficialHosts()); got != 5 {
		t.Errorf("%d official hosts, want 5", got)
	}
}

func TestDefaultLimits(t *testing.T) {
	want := map[string]string{"dingtalk": "[20/1m0s]", "wecom": "[20/1m0s]", "lark": "[100/1m0s 5/1s]", "slack": "[3/3s]", "webhook": "[]"}
	for _, s := range All {
		if got := fmtLimits(s); got != want[s.Name] {
			t.Errorf("%s limits %s, want %s", s.Name, got, want[s.Name])
		}
	}
}

func fmtLimits(s Spec) string {
	out := "["
	for i, r := range s.Limits {
		if i > 0 {
			out += " "
		}
		out += r.String()
	}
	return out + "]"
}

func TestCost(t *testing.T) {
	wecom, _ := Lookup("wecom")
	ding, _ := Lookup("dingtalk")
	mob := channel.Message{Mentions: channel.Mentions{Mobiles: []string{"13800000000"}}}
	all := channel.Message{Mentions: channel.Mentions{All: true}}
	ids := channel.Message{Mentions: channel.Mentions{UserIDs: []string{"u1"}}}
	for _, c := range []struct {
		s    Spec
		m    channel.Message
		want int
	}{{wecom, mob, 2}, {wecom, all, 2}, {wecom, ids, 1}, {ding, mob, 1}} {
		if got := c.s.CostOf(c.m); got != c.want {
			t.Errorf("%s cost of %+v = %d, want %d", c.s.Name, c.m.Mentions, got, c.want)
		}
	}
}

func TestTargetID(t *testing.T) {
	dt := "https://oapi.dingtalk.com/robot/send?access_token=abc"
	if TargetID("dingtalk", dt) != dingtalk.RobotID(dt) || TargetID("", dt) != dingtalk.RobotID(dt) {
		t.Error("DingTalk's target id changed: shared state would lose its keys")
	}
	a := TargetID("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1")
	b := TargetID("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k2")
	if a == b || len(a) != 12 {
		t.Errorf("two WeCom keys share id %q / %q", a, b)
	}
	if TargetID("slack", "https://hooks.slack.com/services/T/B/x") == TargetID("webhook", "https://hooks.slack.com/services/T/B/x") {
		t.Error("the same URL as two types shares an id")
	}
}
