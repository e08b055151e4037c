package message

import (
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
)

// Test returns the connectivity-test message: it says it is a test from
// pai-notifier and when it was sent (now), carries the keyword and the
// mentions like any real message, so it passes or fails the robot's checks
// exactly as they will. A non-empty text replaces the body sentence; it is
// outside input, so it is sanitised like event text and cut to fit.
func Test(o Options, text string, now time.Time) dingtalk.Message {
	l := pickLang(o)
	title := titlePrefix(o.Keyword)
	if l.en {
		title += "pai-notifier connectivity test"
	} else {
		title += "pai-notifier 连通性测试"
	}
	raw, _ := capBytes(text, dingtalk.MaxBodyBytes) // longer never fits: the cut below marks it
	body := inline(raw)
	if body == "" {
		if l.en {
			body = "This is a connectivity test from pai-notifier, sent at " + l.fmtTime(now) + ".  \n" +
				"If you can read it, this robot's webhook, signature and keyword settings work."
		} else {
			body = "这是 pai-notifier 的连通性测试消息，发送于 " + l.fmtTime(now) + "。  \n" +
				"收到即说明机器人的 Webhook、加签和关键词设置可用。"
		}
	}
	line, mobiles, users := mentions(&o)
	tail := ""
	if line != "" {
		tail = "\n\n" + line
	}
	m := dingtalk.Message{
		Type:      dingtalk.TypeMarkdown,
		Title:     title,
		AtMobiles: mobiles,
		AtUserIDs: users,
		AtAll:     o.AtAll,
	}
	head := "#### " + title + "\n\n"
	m.Text = head + body + tail
	if excess := bodySize(m) - dingtalk.MaxBodyBytes; excess > 0 {
		body = cutJSON(body, jsonLen(body)-excess-jsonLen(l.truncated)) + l.truncated
		m.Text = head + body + tail
	}
	return m
}
