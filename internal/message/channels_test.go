package message

import (
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// Fitting works for every channel, each with its own limit and markup: a
// giant reason is cut (and marked) until the channel's own body fits, and a
// digest of 500 long lines names every task once in parts that fit.
func TestFitsEveryChannel(t *testing.T) {
	giant := sampleC()
	giant.ReasonMessage = strings.Repeat(`Traceback "显存不足" <@x> `, 3000)
	hostile := sampleC()
	hostile.JobName = strings.Repeat("名\"<@&*_`[", 4000)
	for _, s := range channels.All {
		ch := s.New(0)
		t.Run(s.Name, func(t *testing.T) {
			for _, task := range []*event.Task{giant, hostile} {
				for _, o := range []Options{zhMD, {Lang: "en", Keyword: "PAI", AtUserIDs: []string{"U0LEILEI"}}} {
					m := Render(ch, task, o)
					body := mustFit(t, ch, m)
					if task == giant && !strings.Contains(strings.Join(fieldValues(m), "\n"), pickLang(o).truncated) {
						t.Errorf("%d-byte body: nothing marked as cut", len(body))
					}
				}
			}
			ts := manyTasks(500)
			parts := DigestAtMost(ch, ts, zhMD, 1000)
			named := map[int]int{}
			for _, p := range parts {
				mustFit(t, ch, p.Message)
				if len(p.Message.Items) != len(p.Tasks) || len(p.Message.Tasks) != len(p.Tasks) {
					t.Errorf("a part has %d items, %d task data, %d tasks", len(p.Message.Items), len(p.Message.Tasks), len(p.Tasks))
				}
				for _, i := range p.Tasks {
					named[i]++
				}
			}
			if len(named) != 500 {
				t.Errorf("%d of 500 tasks named in %d parts", len(named), len(parts))
			}
			for i, n := range named {
				if n != 1 {
					t.Errorf("task %d named %d times", i, n)
				}
			}
		})
	}
}

func mustFit(t *testing.T, ch channel.Channel, m channel.Message) []byte {
	t.Helper()
	b, err := ch.Body(m)
	if err != nil {
		t.Fatalf("%s: Body: %v", ch.Name(), err)
	}
	if len(b) > ch.MaxBodyBytes() {
		t.Fatalf("%s: body %d bytes, over %d", ch.Name(), len(b), ch.MaxBodyBytes())
	}
	return b
}

func fieldValues(m channel.Message) []string {
	out := []string{m.Title, m.Footer}
	for _, f := range m.Fields {
		out = append(out, f.Value)
	}
	return out
}
