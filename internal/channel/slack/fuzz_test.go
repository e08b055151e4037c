package slack_test

import (
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack"
)

// FuzzBody: whatever job text a message holds, its body is one the fake
// Slack accepts within every limit, job text never mentions anyone or
// broadcasts, and the only links are the message's own http(s) URLs.
func FuzzBody(f *testing.F) {
	f.Add(hostile, hostile, "https://pai.example/jobs/1?a=<b>|c", 3)
	f.Add("名字", strings.Repeat("&", 4000), "javascript:alert(1)", 60)
	f.Add("", "", "", 0)
	f.Fuzz(func(t *testing.T, title, text, url string, n int) {
		n = min(max(n, 0), 300)
		m := channel.Message{Title: title, Fields: []channel.Field{{Label: text, Value: text}}, Footer: text, LinkText: text, LinkURL: url}
		for range n {
			m.Items = append(m.Items, channel.Item{Text: text, URL: url})
		}
		body, err := slack.Body(m)
		if err != nil {
			t.Fatal(err)
		}
		got := checkLimits(t, body)
		if len(got.Mentions) != 0 || len(got.Broadcasts) != 0 {
			t.Fatalf("job text notified: %v %v in %s", got.Mentions, got.Broadcasts, body)
		}
		for _, l := range got.Links {
			if !strings.HasPrefix(l.URL, "http://") && !strings.HasPrefix(l.URL, "https://") {
				t.Fatalf("link to %q", l.URL)
			}
		}
	})
}

func BenchmarkBody(b *testing.B) {
	for _, name := range []string{"failed", "digest"} {
		m := samples[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := slack.Body(m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
