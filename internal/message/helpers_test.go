package message

import (
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// dt is the DingTalk channel: most tests read the messages as a DingTalk
// group sees them (dingtalk.Render of the neutral message).
var dt = dingtalk.NewClient(0)

func render(t *event.Task, o Options) dingtalk.Message { return dingtalk.Render(Render(dt, t, o)) }

func testMsg(o Options, text string, now time.Time) dingtalk.Message {
	return dingtalk.Render(Test(dt, o, text, now))
}

func alarm(o Options, count int, id string, paths []string, now time.Time) dingtalk.Message {
	return dingtalk.Render(UnreadableAlarm(dt, o, count, id, paths, now))
}

func digestDT(ts []*event.Task, o Options) []dingtalk.Message {
	var out []dingtalk.Message
	for _, m := range Digest(dt, ts, o) {
		out = append(out, dingtalk.Render(m))
	}
	return out
}

func digestAtMost(ts []*event.Task, o Options, max int) []DigestPart {
	return DigestAtMost(dt, ts, o, max)
}
