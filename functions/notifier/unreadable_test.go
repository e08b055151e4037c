package main

// The BUILT notifier on a PAI event in a shape it cannot read: local mode
// counts it and logs it loudly (names only), and -inspect maps it.

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
)

const unknownKeys = "../../events/pai-unknown-keys.json"

func TestBuiltUnreadableIsLoud(t *testing.T) {
	rules := `{"rules":[{"name":"all","source":"dlc","events":"failed","target":{"webhook":"http://127.0.0.1:9/robot/send?access_token=x"}}]}`
	out, logs, code := runLocal(t, []string{"NOTIFY_RULES=" + rules}, nil, unknownKeys)
	if code != 0 {
		t.Fatalf("exit %d: an unreadable event must not fail the invocation\n%s\n%s", code, out, logs)
	}
	var res struct{ Events, Unreadable, Skipped int }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Unreadable != 1 || res.Events != 0 || res.Skipped != 0 {
		t.Fatalf("result %q (%v), want unreadable 1", out, err)
	}
	var warned bool
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, `"eventId":"6f1e2d3c-0000-4a5b-9c8d-0000000000aa"`) &&
			strings.Contains(line, `"data.jobInfo.lifecycle.current"`) {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no WARN line with the event id and key paths:\n%s", logs)
	}
	body, _ := os.ReadFile(unknownKeys)
	for _, v := range []string{"dlc7unknownkeys", "llm-pretrain-13b", "FAILED", "211790764591639068", "leilei", "249407"} {
		if !bytes.Contains(body, []byte(v)) {
			t.Fatalf("sample lost value %q", v)
		}
		if strings.Contains(logs, v) {
			t.Errorf("the value %q reached the log:\n%s", v, logs)
		}
	}
}

// The opt-in alarm, through the built binary: the named rule's robot (which
// checks signatures as DingTalk does) hears of the unreadable event, with its
// key paths and none of its values.
func TestBuiltUnreadableAlarm(t *testing.T) {
	robot := dingtalktest.New()
	t.Cleanup(robot.Close)
	hook := robot.AddRobot("alarmtoken0123456789", secret)
	rules := `{"unreadableAlarm":"ops","rules":[{"name":"ops","source":"dlc","target":{"webhook":"` + hook + `","secret":"${ROBOT_SECRET}"}}]}`
	out, logs, code := runLocal(t, []string{"NOTIFY_RULES=" + rules, "ROBOT_SECRET=" + secret}, nil, unknownKeys)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, logs)
	}
	msgs := robot.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Title, "无法读取的 PAI 事件") || !strings.Contains(msgs[0].Text, "data.jobInfo.lifecycle.current") {
		t.Fatalf("robot got %+v\n%s", msgs, logs)
	}
	for _, v := range []string{"dlc7unknownkeys", "llm-pretrain-13b", "FAILED", "211790764591639068", "leilei"} {
		if strings.Contains(msgs[0].Text, v) || strings.Contains(logs, v) {
			t.Errorf("the value %q reached the alarm or the log", v)
		}
	}
}

func TestBuiltInspect(t *testing.T) {
	out, errs, code := runLocal(t, nil, nil, "-inspect", unknownKeys)
	if code != 1 {
		t.Errorf("exit %d, want 1 (an event gave no task)\n%s", code, errs)
	}
	for _, s := range []string{"unreadable: ", "missing: jobId (required), status (required)",
		"fields:\n  dlc:\n    jobId: data.jobInfo.uuid\n    status: data.jobInfo.lifecycle.current\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("-inspect output lacks %q:\n%s", s, out)
		}
	}
}
