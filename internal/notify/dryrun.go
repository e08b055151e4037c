package notify

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// PrintSender is the Sender of a dry run: it prints each message as the
// group would see it and sends nothing. It names the robot by its
// dingtalk.RobotID, never by its webhook.
type PrintSender struct {
	mu sync.Mutex
	w  io.Writer
}

// NewPrintSender prints to w.
func NewPrintSender(w io.Writer) *PrintSender { return &PrintSender{w: w} }

// Send prints m.
func (p *PrintSender) Send(_ context.Context, webhook, _ secret.String, m dingtalk.Message) error {
	var b strings.Builder
	fmt.Fprintf(&b, "----- dry run: message to robot %s (not sent) -----\n", dingtalk.RobotID(webhook.Reveal()))
	if m.Title != "" {
		fmt.Fprintf(&b, "[title] %s\n", m.Title)
	}
	b.WriteString(strings.TrimRight(m.Text, "\n"))
	b.WriteByte('\n')
	if m.Type == dingtalk.TypeActionCard && m.ButtonTitle != "" {
		fmt.Fprintf(&b, "[button] %s -> %s\n", m.ButtonTitle, m.ButtonURL)
	}
	var at []string
	if m.AtAll {
		at = append(at, "@all")
	}
	for _, v := range append(append([]string{}, m.AtMobiles...), m.AtUserIDs...) {
		at = append(at, "@"+v)
	}
	if len(at) > 0 {
		fmt.Fprintf(&b, "[mentions] %s\n", strings.Join(at, " "))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(p.w, b.String())
	return err
}
