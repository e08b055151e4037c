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
	if strings.Contains(out.String(), "SEC") {
		t.Error("demo output shows a robot secret")
	}
}
