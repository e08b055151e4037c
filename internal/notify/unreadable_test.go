package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/rules"
)

// A PAI event in a shape the parser cannot read is counted as unreadable and
// logged at WARN with its key paths and id, never its values; the invocation
// succeeds (a retry would read it no better) and nothing is sent.
func TestUnreadableIsCountedAndLoudButNeverLeaksValues(t *testing.T) {
	f := newFixture(t, nil)
	body := batch(
		[]byte(`{"id":"ev-unread","source":"acs.pai","aliyuneventbusname":"pai-system-ws","data":{"task":{"ref":"VALUE-ref-42","life":"VALUE-FAILED"}}}`),
		dlcEvent("e1", "dlc1", "Failed"),
		[]byte(`{"id":"oss-1","source":"acs.oss","data":{"key":"VALUE-oss"}}`),
	)
	res, err := f.n.Handle(ctxWithin(t, 5*time.Second), body)
	if err != nil {
		t.Fatalf("Handle: %v (an unreadable event must not fail the invocation)", err)
	}
	if res.Unreadable != 1 || res.Skipped != 1 || res.Events != 1 || res.Sent != 1 {
		t.Fatalf("result = %+v, want 1 unreadable, 1 skipped, 1 event sent", res)
	}
	out, _ := json.Marshal(res)
	if !strings.Contains(string(out), `"unreadable":1`) {
		t.Errorf("result JSON lacks the unreadable count: %s", out)
	}

	var warn map[string]any
	for _, line := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["level"] == "WARN" && m["eventId"] == "ev-unread" {
			warn = m
		}
	}
	if warn == nil {
		t.Fatalf("no WARN line for the unreadable event:\n%s", f.logs)
	}
	paths, _ := json.Marshal(warn["keyPaths"])
	if string(paths) != `["id","source","aliyuneventbusname","data.task.ref","data.task.life"]` {
		t.Errorf("keyPaths = %s", paths)
	}
	if strings.Contains(f.logs.String(), "VALUE") {
		t.Errorf("an event value reached the log:\n%s", f.logs)
	}
}

// -explain also says which key each field was read from.
func TestExplainShowsFieldPaths(t *testing.T) {
	n := FromEnv(func(k string) string {
		if k == "NOTIFY_RULES" {
			return testRules
		}
		return ""
	}, nil, Flags{Explain: true})
	n.cfg.Sender = &scriptedSender{}
	res, err := n.Handle(ctxWithin(t, 5*time.Second), []byte(`{"id":"e1","source":"acs.pai","type":"pai:DLC:X","data":{"job":{"JobId":"dlc1","state":"Running"}}}`))
	if err != nil || len(res.Explain) != 1 {
		t.Fatalf("Handle = %+v, %v", res, err)
	}
	b, _ := json.Marshal(res.Explain[0])
	if !strings.Contains(string(b), `"fields":{"jobId":"data.job.JobId","status":"data.job.state"}`) {
		t.Errorf("explanation %s lacks the field paths", b)
	}
}

// atOwner: the job's creator is mentioned when mentions: maps them, and
// nobody more when it does not.
func TestAtOwnerReachesTheMessage(t *testing.T) {
	doc := `
mentions:
  u-owner: {dingtalk: {atMobiles: ["13800000001"]}}
rules:
  - name: owner
    source: dlc
    atOwner: true
    target: {webhook: "https://oapi.dingtalk.com/robot/send?access_token=` + testToken + `"}
`
	set, err := rules.Parse([]byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *Config) { c.Rules = set })
	event := func(id, creator string) []byte {
		return []byte(`{"id":"` + id + `","source":"acs.pai","type":"pai:DLC:X","data":{"JobId":"` + id + `","Status":"Failed","UserId":"` + creator + `"}}`)
	}
	if _, err := f.n.Handle(ctxWithin(t, 5*time.Second), event("dlc-a", "u-owner")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.n.Handle(ctxWithin(t, 5*time.Second), event("dlc-b", "u-other")); err != nil {
		t.Fatal(err)
	}
	if len(f.sender.got) != 2 {
		t.Fatalf("sent %d messages", len(f.sender.got))
	}
	if m := f.sender.got[0]; len(m.AtMobiles) != 1 || m.AtMobiles[0] != "13800000001" || !strings.Contains(m.Text, "@13800000001") {
		t.Errorf("owner not mentioned: %+v", m)
	}
	if m := f.sender.got[1]; len(m.AtMobiles) != 0 || m.AtAll || strings.Contains(m.Text, "@") {
		t.Errorf("unmapped creator: %+v", m)
	}
}

// The opt-in alarm: the named rule's robot hears of unreadable events at
// most once an hour per instance, with key paths and never values.
func TestUnreadableAlarm(t *testing.T) {
	doc := "unreadableAlarm: ops\n" + testRules + `
  - name: ops
    source: dlc
    events: [running]
    target:
      webhook: https://oapi.dingtalk.com/robot/send?access_token=ops` + testToken + `
`
	set, err := rules.Parse([]byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *Config) { c.Rules = set })
	unreadable := []byte(`{"id":"ev-u","source":"acs.pai","data":{"task":{"ref":"VALUE-1","life":"VALUE-2"}}}`)
	handle := func() {
		t.Helper()
		if _, err := f.n.Handle(ctxWithin(t, 5*time.Second), unreadable); err != nil {
			t.Fatal(err)
		}
	}
	handle()
	handle() // within the hour: no second alarm
	f.clock.Add(59 * time.Minute)
	handle()
	if len(f.sender.got) != 1 {
		t.Fatalf("%d alarms within an hour, want 1", len(f.sender.got))
	}
	m := f.sender.got[0]
	if f.sender.webhook[0] != set.Rule("ops").Target.Webhook.Reveal() || !strings.Contains(m.Title, "无法读取的 PAI 事件") ||
		!strings.Contains(m.Text, "data.task.life") || !strings.Contains(m.Text, "notifier -inspect") || strings.Contains(m.Text, "VALUE") {
		t.Errorf("alarm %+v", m)
	}
	f.clock.Add(2 * time.Minute)
	handle()
	if len(f.sender.got) != 2 {
		t.Errorf("%d alarms after the hour, want 2", len(f.sender.got))
	}
	// Without the setting, no alarm at all.
	g := newFixture(t, nil)
	if _, err := g.n.Handle(ctxWithin(t, 5*time.Second), unreadable); err != nil || len(g.sender.got) != 0 {
		t.Errorf("alarm without the setting: %v, %d sent", err, len(g.sender.got))
	}
}
