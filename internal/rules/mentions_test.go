package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

func TestAtOwner(t *testing.T) {
	d := `
mentions:
  "211790764591639068":
    dingtalk: {atMobiles: ["13800000001"], atUserIds: [leilei01]}
  zhangsan:
    dingtalk: {atUserIds: [zs01, team-lead]}
rules:
  - name: owner
    source: dlc
    atOwner: true
    target: {webhook: "` + testHook + `", atUserIds: [team-lead]}
  - name: plain
    source: dlc
    target: {webhook: "` + testHook + `", atMobiles: ["13900000000"]}
`
	s := mustParse(t, d, nil)
	owner, plain := s.Rule("owner"), s.Rule("plain")
	for _, c := range []struct {
		name          string
		r             *Rule
		task          event.Task
		mobiles, uids []string
	}{
		{"creator by id", owner, event.Task{CreatorID: "211790764591639068", CreatorName: "leilei"}, []string{"13800000001"}, []string{"team-lead", "leilei01"}},
		{"creator by name", owner, event.Task{CreatorID: "999", CreatorName: "zhangsan"}, nil, []string{"team-lead", "zs01"}},
		{"creator without a mapping: no one more, never @all", owner, event.Task{CreatorID: "42", CreatorName: "someone"}, nil, []string{"team-lead"}},
		{"no creator", owner, event.Task{}, nil, []string{"team-lead"}},
		{"rule without atOwner", plain, event.Task{CreatorID: "211790764591639068"}, []string{"13900000000"}, nil},
	} {
		m, u := c.r.Mentions(&c.task)
		if !slices.Equal(m, c.mobiles) || !slices.Equal(u, c.uids) {
			t.Errorf("%s: mentions %q %q, want %q %q", c.name, m, u, c.mobiles, c.uids)
		}
		if c.r.Target.AtAll {
			t.Errorf("%s: atAll", c.name)
		}
	}
	// Mentions does not write into the target's lists.
	if !slices.Equal(owner.Target.AtUserIDs, []string{"team-lead"}) {
		t.Errorf("target changed: %q", owner.Target.AtUserIDs)
	}
}

func TestMentionErrors(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"mentions:\n  u1: {dingtalk: {}}\n", `line 2: mentions.u1: nobody to mention`},
		{"mentions:\n  u1: {teams: {atUserIds: [x]}}\n", `line 2: mentions.u1: unknown key "teams"`},
		{"mentions:\n  u1: {lark: {atMobiles: [\"13800000000\"]}}\n", `mentions.u1.lark.atMobiles: lark cannot mention people by mobile`},
		{"mentions:\n  u1: {dingtalk: {atPhones: [x]}}\n", `mentions.u1.dingtalk: unknown key "atPhones"`},
		{"mentions:\n  u1: {dingtalk: {atUserIds: [\"\"]}}\n", `mentions.u1.dingtalk.atUserIds[0]: empty`},
	} {
		_, err := Parse([]byte(c.doc+doc("  - name: a\n    source: dlc\n    atOwner: true\n", okTarget)), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.doc, err, c.want)
		}
	}
	if _, err := Parse([]byte(doc("  - name: a\n    source: dlc\n    atOwner: maybe\n", okTarget)), nil); err == nil ||
		!strings.Contains(err.Error(), "atOwner: want true or false") {
		t.Errorf("atOwner maybe: %v", err)
	}
	s := mustParse(t, doc("  - name: a\n    source: dlc\n    atOwner: true\n", okTarget), nil)
	if w := s.Warnings(); len(w) != 1 || !strings.Contains(w[0], "no mentions: section") {
		t.Errorf("warnings %q", w)
	}
}

func TestUnreadableAlarm(t *testing.T) {
	s := mustParse(t, "unreadableAlarm: ops\n"+doc("  - name: a\n    source: dlc\n", okTarget, "  - name: ops\n    source: dlc\n", okTarget), nil)
	if s.UnreadableAlarm() != s.Rule("ops") {
		t.Errorf("UnreadableAlarm() = %v", s.UnreadableAlarm())
	}
	if s := mustParse(t, doc("  - name: a\n    source: dlc\n", okTarget), nil); s.UnreadableAlarm() != nil {
		t.Error("an alarm without the setting")
	}
	_, err := Parse([]byte("unreadableAlarm: opz\n"+doc("  - name: a\n    source: dlc\n", okTarget)), nil)
	if err == nil || err.Error() != `line 1: unreadableAlarm: no rule is named "opz" (want one of: a)` {
		t.Errorf("unknown rule: %v", err)
	}
}

// atOwner mentions the creator as the rule's channel knows them: a Slack
// rule uses the creator's slack: entry, never their DingTalk ids.
func TestAtOwnerPerChannel(t *testing.T) {
	d := `
mentions:
  leilei:
    dingtalk: {atMobiles: ["13800000001"]}
    slack: {atUserIds: [U0LEILEI]}
  zhangsan:
    dingtalk: {atUserIds: [zs01]}
rules:
  - name: slack
    source: dlc
    atOwner: true
    target: {type: slack, webhook: "https://hooks.slack.com/services/T0/B0/slacksecret0123456789"}
`
	s := mustParse(t, d, nil)
	r := s.Rule("slack")
	if m, u := r.Mentions(&event.Task{CreatorName: "leilei"}); len(m) != 0 || !slices.Equal(u, []string{"U0LEILEI"}) {
		t.Errorf("leilei on slack: %q %q, want only U0LEILEI", m, u)
	}
	if m, u := r.Mentions(&event.Task{CreatorName: "zhangsan"}); len(m)+len(u) != 0 {
		t.Errorf("zhangsan has no slack entry: %q %q, want nobody", m, u)
	}
}
