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
	if strings.Contains(out.String(), "SEC") {
		t.Error("demo output shows a robot secret")
	}
}
