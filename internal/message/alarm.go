package message

import (
	"strconv"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// maxAlarmPaths bounds the key paths an alarm lists: enough to recognise
// PAI's layout, short enough to read on a phone.
const maxAlarmPaths = 40

// UnreadableAlarm is the message that tells a group PAI events are arriving
// in a shape the notifier cannot read: how many, one event's id and key
// paths (names only: the caller never passes values), and what to run next.
// It carries the keyword and mentions like any message, and fits ch.
func UnreadableAlarm(ch channel.Channel, o Options, count int, eventID string, paths []string, now time.Time) channel.Message {
	l := pickLang(o)
	m := base(o)
	m.Tone = channel.ToneBad
	var keys strings.Builder
	for i, p := range paths {
		if i == maxAlarmPaths {
			keys.WriteString(" …")
			break
		}
		if i > 0 {
			keys.WriteString(", ")
		}
		keys.WriteString(shorten(clean(p), 160))
	}
	if l.en {
		m.Title = "pai-notifier: PAI events it cannot read"
		m.Fields = []channel.Field{
			{Label: "What", Value: "PAI events are arriving in a shape the notifier cannot read, so no one is told about those jobs. " +
				strconv.Itoa(count) + " in the last invocation, at " + l.fmtTime(now) + "."},
			{Label: "Event id", Value: shorten(clean(eventID), maxField)},
			{Label: "Its keys", Value: keys.String()},
			{Label: "Next", Value: "save one such event to a file and run `notifier -inspect event.json`; paste the `fields:` block it prints into the rules document."},
		}
		m.Footer = "This alarm repeats at most once an hour."
	} else {
		m.Title = "pai-notifier：收到无法读取的 PAI 事件"
		m.Fields = []channel.Field{
			{Label: "情况", Value: "PAI 事件的格式与 notifier 能读取的不一致，相关任务的通知不会发出。最近一次调用中有 " +
				strconv.Itoa(count) + " 个，时间 " + l.fmtTime(now) + "。"},
			{Label: "事件ID", Value: shorten(clean(eventID), maxField)},
			{Label: "事件的键", Value: keys.String()},
			{Label: "下一步", Value: "把一个这样的事件保存为文件，运行 `notifier -inspect event.json`，把它给出的 `fields:` 配置粘贴到规则文档中。"},
		}
		m.Footer = "本告警每小时最多发送一次。"
	}
	return Fit(ch, m, o)
}
