package message

import (
	"strconv"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
)

// maxAlarmPaths bounds the key paths an alarm lists: enough to recognise
// PAI's layout, short enough to read on a phone.
const maxAlarmPaths = 40

// UnreadableAlarm is the message that tells a group PAI events are arriving
// in a shape the notifier cannot read: how many, one event's id and key
// paths (names only: the caller never passes values), and what to run next.
// It carries the keyword and mentions like any message, and fits.
func UnreadableAlarm(o Options, count int, eventID string, paths []string, now time.Time) dingtalk.Message {
	l := pickLang(o)
	title := titlePrefix(o.Keyword)
	var b strings.Builder
	if l.en {
		title += "pai-notifier: PAI events it cannot read"
		b.WriteString("PAI events are arriving in a shape the notifier cannot read, so no one is told about those jobs. ")
		b.WriteString(strconv.Itoa(count) + " in the last invocation, at " + l.fmtTime(now) + ".  \n")
		b.WriteString("**Event id**: " + shorten(inline(eventID), maxField) + "  \n")
		b.WriteString("**Its keys**: ")
	} else {
		title += "pai-notifier：收到无法读取的 PAI 事件"
		b.WriteString("PAI 事件的格式与 notifier 能读取的不一致，相关任务的通知不会发出。")
		b.WriteString("最近一次调用中有 " + strconv.Itoa(count) + " 个，时间 " + l.fmtTime(now) + "。  \n")
		b.WriteString("**事件ID**：" + shorten(inline(eventID), maxField) + "  \n")
		b.WriteString("**事件的键**：")
	}
	for i, p := range paths {
		if i == maxAlarmPaths {
			b.WriteString(" …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("`" + shorten(inline(p), 160) + "`")
	}
	if l.en {
		b.WriteString("  \n**Next**: save one such event to a file and run `notifier -inspect event.json`; paste the `fields:` block it prints into the rules document. This alarm repeats at most once an hour.")
	} else {
		b.WriteString("  \n**下一步**：把一个这样的事件保存为文件，运行 `notifier -inspect event.json`，把它给出的 `fields:` 配置粘贴到规则文档中。本告警每小时最多发送一次。")
	}
	line, mobiles, users := mentions(&o)
	if line != "" {
		b.WriteString("\n\n" + line)
	}
	m := dingtalk.Message{Type: dingtalk.TypeMarkdown, Title: title, AtMobiles: mobiles, AtUserIDs: users, AtAll: o.AtAll}
	m.Text = "#### " + title + "\n\n" + b.String()
	if excess := bodySize(m) - dingtalk.MaxBodyBytes; excess > 0 { // only a giant keyword or mention list gets here
		m.Text = cutJSON(m.Text, jsonLen(m.Text)-excess-jsonLen(l.truncated)) + l.truncated
	}
	return m
}
