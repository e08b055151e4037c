package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDemo runs `make demo` as a test: the built notifier over every sample
// event against the signature-checking robot.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the notifier")
	}
	var out bytes.Buffer
	if err := run(context.Background(), "../../events", &out, false); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	summary := regexp.MustCompile(`demo: (\d+) events, (\d+) matched, (\d+) sent, 0 failed, (\d+) skipped, 1 unreadable, (\d+) suppressed; robot accepted (\d+) signed message\(s\), rejected 0`).FindStringSubmatch(out.String())
	if summary == nil {
		t.Fatalf("no summary line in:\n%s", out.String())
	}
	sent, _ := strconv.Atoi(summary[3])
	accepted, _ := strconv.Atoi(summary[6])
	if sent == 0 || sent != accepted {
		t.Errorf("sent %d, accepted %d", sent, accepted)
	}
	for _, want := range []string{"DLC任务通知", "DLC job", "PAIFlow", "@13800000000", "oss-object-created.json",
		"1 UNREADABLE", "notifier -inspect", "    jobId: data.jobInfo.uuid"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// Every kind, source and fallback reaches a group through the built
	// binary, in PAI's words and the rule's time zone.
	perFile := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(\S+\.json)\s+\d+ event\(s\), \d+ matched, (\d+) sent`).FindAllStringSubmatch(out.String(), -1) {
		perFile[m[1]], _ = strconv.Atoi(m[2])
	}
	for _, f := range []string{"dlc-queuing.json", "dlc-bidding.json", "dlc-env-preparing.json", "dlc-failed-reserving.json",
		"dlc-preempted.json", "dlc-queue-timeout.json", "dlc-fault-tolerance.json", "dlc-status-in-type.json", "dlc-nested-keys.json",
		"dsw-stopped.json", "model-version-approved.json", "aws-sagemaker-training-failed.json"} {
		if perFile[f] == 0 {
			t.Errorf("%s: nothing sent", f)
		}
	}
	for _, want := range []string{"进入排队", "开始竞价", "失败后保留", "被抢占", "超时", "自动容错", "DSW实例通知", "模型版本通知",
		"SageMaker job", "(UTC-4)", "nested-keys-job", "status-only-in-type"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "SEC") || strings.Contains(out.String(), "whsec_") {
		t.Error("demo output shows a robot or webhook secret")
	}

	// Every channel: the notifier sent one notification through each
	// service's rule, its fake accepted it (WeCom's @mobile mention is a
	// second message) and refused nothing, and the group's view is shown.
	line := regexp.MustCompile(`(?m)^every channel: (.*)$`).FindStringSubmatch(out.String())
	if line == nil {
		t.Fatalf("no per-channel summary in:\n%s", out.String())
	}
	for _, c := range []struct {
		typ      string
		accepted int
		view     string // in the group's (or program's) view of the message
	}{
		{"dingtalk", 1, "@13800000000"},
		{"wecom", 2, "@zhangsan"},
		{"lark", 1, "@ou_demo"},
		{"slack", 1, "@U0DEMO"},
		{"webhook", 1, `"type": "pai.task.state"`},
	} {
		want := c.typ + " 1 sent, " + strconv.Itoa(c.accepted) + " accepted, 0 refused"
		if !strings.Contains(line[1], want) {
			t.Errorf("per-channel summary %q lacks %q", line[1], want)
		}
		i := strings.Index(out.String(), "── "+c.typ+" (")
		if i < 0 || !strings.Contains(out.String()[i:], c.view) {
			t.Errorf("no %s message shown with %q", c.typ, c.view)
		}
	}
	for _, want := range []string{"wecom (text: the @mobile mention", "lark (interactive card, signed: true)", "signature verified: true"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}
