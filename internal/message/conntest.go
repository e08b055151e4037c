package message

import (
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// Test returns the connectivity-test message: it says it is a test from
// pai-notifier and when it was sent (now), carries the keyword and the
// mentions like any real message, so it passes or fails the robot's checks
// exactly as they will. A non-empty text replaces the body sentence; it is
// outside input, so it stays plain text for the channel to escape, and is
// cut to fit ch.
func Test(ch channel.Channel, o Options, text string, now time.Time) channel.Message {
	l := pickLang(o)
	m := base(o)
	m.Format = "" // a test has no console link for a card's button
	if l.en {
		m.Title = "pai-notifier connectivity test"
	} else {
		m.Title = "pai-notifier 连通性测试"
	}
	raw, cut := capBytes(text, ch.MaxBodyBytes()) // longer never fits: Fit marks the cut
	body := clean(raw)
	if body != "" && cut {
		body += l.truncated
	}
	if body == "" {
		if l.en {
			body = "This is a connectivity test from pai-notifier, sent at " + l.fmtTime(now) + ". " +
				"If you can read it, this robot's webhook, signature and keyword settings work."
		} else {
			body = "这是 pai-notifier 的连通性测试消息，发送于 " + l.fmtTime(now) + "。" +
				"收到即说明机器人的 Webhook、加签和关键词设置可用。"
		}
	}
	m.Footer = body
	return Fit(ch, m, o)
}
