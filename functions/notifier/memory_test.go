package main

// Peak memory of the BUILT notifier on one large batch, and the size of its
// result: what Lambda's 6 MB response limit and the descriptors' memorySize
// have to hold. Each payload runs in a fresh process, whose VmHWM (peak RSS
// since start) /proc reports after the one invocation.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
)

// batchOf builds a JSON array of DLC "Failed" events of about size bytes
// in all, about 220 bytes each (a 21 MB batch is about 100,000 events),
// spread over 50 workspaces.
func batchOf(size int) ([]byte, int) {
	b := make([]byte, 0, size+1024)
	b = append(b, '[')
	n := 0
	for len(b) < size {
		if n > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"specversion":"1.0","id":"mem-ev-%06d","source":"acs.pai","type":"pai:DLC:JobStatusChanged","aliyunregionid":"cn-hangzhou",`+
			`"data":{"JobId":"dlcmem%06d","DisplayName":"t-%06d","Status":"Failed","WorkspaceId":"ws%02d"}}`, n, n, n, n%50)
		n++
	}
	return append(b, ']'), n
}

// vmHWM is the process's peak resident set size in KiB.
func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// TestPeakRSSOfLargeBatches: peak RSS within 3x the payload plus 30 MB for
// payloads up to FC's 32 MB synchronous limit, every event matching a rule
// (the worst case: each one is a delivery), and a result under Lambda's
// 6 MB response limit. The figures are logged for docs/PERFORMANCE.md.
func TestPeakRSSOfLargeBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the notifier on 6-32 MB batches")
	}
	for _, tc := range cases() {
		kind, mb := tc.kind, tc.mb
		t.Run(fmt.Sprintf("%s/%dMB", kind, mb), func(t *testing.T) {
			bin := runtimetest.Build(t, "./functions/notifier", kind)
			robot := dingtalktest.New(dingtalktest.WithLimit(1 << 30))
			t.Cleanup(robot.Close)
			webhook := robot.AddRobot(token, secret)
			rules := fmt.Sprintf(`{"rules":[{"name":"all-failed","source":"dlc","scope":"workspace","events":"failed","target":{"webhook":%q,"secret":%q}}]}`, webhook, secret)
			rt := runtimetest.Start(t, kind, bin, []string{"NOTIFY_RULES=" + rules, "LOG_LEVEL=error"})
			payload, events := batchOf(mb<<20 - 1024)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := rt.Invoke(ctx, payload, runtimetest.WithTimeout(90*time.Second))
			if err != nil {
				t.Fatalf("invoke: %v\n%s", err, tail(rt.Logs()))
			}
			hwm := vmHWM(t, rt.PID()) // the process is idle again: its peak is this invocation's
			bound := 3*len(payload)/1024 + 30<<10
			answer := len(res.Payload) // the result, or the error when the batch is left for retry
			if res.Err != nil {
				answer = len(res.Err.Message) + len(res.Err.Type)
			}
			t.Logf("%d events, %d-byte payload: peak RSS %d KiB (bound %d KiB), answer %d bytes",
				events, len(payload), hwm, bound, answer)
			if hwm > bound {
				t.Errorf("peak RSS %d KiB, over 3x the payload + 30 MB = %d KiB", hwm, bound)
			}
			if answer > 64<<10 {
				t.Errorf("the answer is %d bytes; it must stay small (Lambda's limit is 6 MB)", answer)
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

type memCase struct {
	kind runtimetest.Kind
	mb   int
}

// cases are the payload sizes measured, up to each platform's limit: FC's
// synchronous payload limit is 32 MB, Lambda's 6 MB.
func cases() []memCase {
	return []memCase{{runtimetest.FC, 6}, {runtimetest.FC, 21}, {runtimetest.FC, 32}, {runtimetest.Lambda, 6}}
}

// TestDescriptorsFitTheLargestPayload: the notifier's memory size in each
// descriptor holds the peak RSS bound (3x the payload + 30 MB) of the
// largest payload its platform delivers, which TestPeakRSSOfLargeBatches
// holds the binary to.
func TestDescriptorsFitTheLargestPayload(t *testing.T) {
	for _, d := range []struct {
		file, key string
		payloadMB int
		platform  string
	}{
		{"s.yaml", "memorySize", 32, "FC"},
		{"template.yml", "MemorySize", 6, "Lambda"},
	} {
		raw, err := os.ReadFile(filepath.Join("..", "..", d.file))
		if err != nil {
			t.Fatal(err)
		}
		// The notifier is the first function in both descriptors.
		m := regexp.MustCompile(`(?m)^\s+` + d.key + `:\s*(\d+)`).FindSubmatch(raw)
		if m == nil {
			t.Fatalf("%s: no %s", d.file, d.key)
		}
		size, _ := strconv.Atoi(string(m[1]))
		if need := 3*d.payloadMB + 30; size < need {
			t.Errorf("%s: notifier %s %d MB, under the %d MB a %d MB %s payload may take", d.file, d.key, size, need, d.payloadMB, d.platform)
		}
	}
}
