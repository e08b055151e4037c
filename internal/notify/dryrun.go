package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
)

// PrintSender is the Sender of a dry run: it prints each message as the
// target's group would see it and sends nothing: DingTalk's markdown as
// text, every other channel's request body as indented JSON (what the
// service renders). It names the target by its channels.TargetID, never by
// its webhook.
type PrintSender struct {
	mu sync.Mutex
	w  io.Writer
}

// NewPrintSender prints to w.
func NewPrintSender(w io.Writer) *PrintSender { return &PrintSender{w: w} }

// Send prints m as ch renders it.
func (p *PrintSender) Send(_ context.Context, ch channel.Channel, t channel.Target, m channel.Message) error {
	var b strings.Builder
	fmt.Fprintf(&b, "----- dry run: %s message to %s (not sent) -----\n", ch.Name(), channels.TargetID(ch.Name(), t.Webhook.Reveal()))
	if ch.Name() == dingtalk.Name {
		printDingTalk(&b, dingtalk.Render(m))
	} else {
		body, err := ch.Body(m)
		if err != nil {
			return err
		}
		var out bytes.Buffer
		if json.Indent(&out, body, "", "  ") != nil {
			out.Reset()
			out.Write(body)
		}
		b.WriteString(strings.TrimRight(out.String(), "\n"))
		b.WriteByte('\n')
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(p.w, b.String())
	return err
}

func printDingTalk(b *strings.Builder, m dingtalk.Message) {
	if m.Title != "" {
		fmt.Fprintf(b, "[title] %s\n", m.Title)
	}
	b.WriteString(strings.TrimRight(m.Text, "\n"))
	b.WriteByte('\n')
	if m.Type == dingtalk.TypeActionCard && m.ButtonTitle != "" {
		fmt.Fprintf(b, "[button] %s -> %s\n", m.ButtonTitle, m.ButtonURL)
	}
	var at []string
	if m.AtAll {
		at = append(at, "@all")
	}
	for _, v := range append(append([]string{}, m.AtMobiles...), m.AtUserIDs...) {
		at = append(at, "@"+v)
	}
	if len(at) > 0 {
		fmt.Fprintf(b, "[mentions] %s\n", strings.Join(at, " "))
	}
}
