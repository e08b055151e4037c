package notify

// Benchmarks of the notifier's per-event cost without the network: what one
// warm invocation spends between receiving a payload and handing a signed
// request to the HTTP client. docs/PERFORMANCE.md reports them.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/message"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/state"
	"github.com/pai-notifier/pai-notifier/internal/state/redistest"
)

// benchWorkspace is the workspace of events/dlc-failed.json.
const benchWorkspace = "249407"

// benchRules writes n rules, each on its own workspace and robot, exactly
// one of which (the middle one) is on the sample event's workspace. A
// realistic document names many workspaces, and an event concerns one of
// them: the hot path then renders one message, however many rules there
// are. (A document whose 1,000 rules all match one event renders 1,000
// messages: that is 1,000 notifications' work, not one event's.)
func benchRules(tb testing.TB, n int) *rules.Set {
	tb.Helper()
	rs := make([]string, n)
	for i := range n {
		ws := fmt.Sprintf("ws%d", i)
		if i == n/2 {
			ws = benchWorkspace
		}
		rs[i] = fmt.Sprintf(`{"name":"r%d","source":"dlc","scope":"workspace","workspaceId":%q,"events":"failed",`+
			`"target":{"webhook":"https://oapi.dingtalk.com/robot/send?access_token=tok%04d","secret":"SECbenchsecret%04d"}}`, i, ws, i, i)
	}
	set, err := rules.Parse([]byte(`{"rules":[`+strings.Join(rs, ",")+`]}`), func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

func benchSample(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// hotPath is one event's work: parse, match, render and sign (the signed
// URL and the exact request body) for every matching rule. It returns the
// body bytes produced, so the compiler cannot drop the work.
func hotPath(tb testing.TB, p *event.Parser, set *rules.Set, body []byte, now time.Time, matched []*rules.Rule) ([]*rules.Rule, int) {
	batch, err := p.Parse(body, now)
	if err != nil || len(batch.Tasks) == 0 {
		tb.Fatalf("parse: %v %+v", err, batch)
	}
	n := 0
	for i := range batch.Tasks {
		t := &batch.Tasks[i]
		matched = set.Match(matched[:0], t)
		for _, r := range matched {
			m := message.Render(ding, t, options(r))
			u, err := dingtalk.SignedURL(r.Target.Webhook.Reveal(), r.Target.Secret.Reveal(), now)
			if err != nil {
				tb.Fatal(err)
			}
			b, err := ding.Body(m)
			if err != nil {
				tb.Fatal(err)
			}
			n += len(b) + len(u)
		}
	}
	return matched, n
}

// BenchmarkHotPath is parse + match + render + sign of one DLC failure,
// with 1 to 10,000 rules of which one matches.
func BenchmarkHotPath(b *testing.B) {
	body := benchSample(b, "dlc-failed.json")
	now := time.Date(2026, 1, 6, 8, 2, 12, 0, time.UTC)
	for _, n := range []int{1, 10, 100, 1000, 10000} {
		set := benchRules(b, n)
		p, err := event.NewParser(set.Fields())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			matched := make([]*rules.Rule, 0, 16)
			matches := 0
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				matched, _ = hotPath(b, p, set, body, now, matched)
				matches += len(matched)
			}
			b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
		})
	}
}

// BenchmarkHotPathStages splits the hot path at 1,000 rules, plus the
// baseline the parser is compared with: decoding the same event into a
// struct with encoding/json, measured in the same run.
func BenchmarkHotPathStages(b *testing.B) {
	body := benchSample(b, "dlc-failed.json")
	now := time.Date(2026, 1, 6, 8, 2, 12, 0, time.UTC)
	set := benchRules(b, 1000)
	p, err := event.NewParser(set.Fields())
	if err != nil {
		b.Fatal(err)
	}
	batch, err := p.Parse(body, now)
	if err != nil || len(batch.Tasks) != 1 {
		b.Fatal(err, batch)
	}
	task := &batch.Tasks[0]
	matched := set.Match(nil, task)
	if len(matched) != 1 {
		b.Fatalf("%d rules match the sample, want 1", len(matched))
	}
	r := matched[0]
	msg := message.Render(ding, task, options(r))

	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Parse(body, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var ev cloudEvent
			if err := json.Unmarshal(body, &ev); err != nil || ev.Data.Status == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("match", func(b *testing.B) {
		dst := make([]*rules.Rule, 0, 16)
		b.ReportAllocs()
		for b.Loop() {
			dst = set.Match(dst[:0], task)
		}
	})
	b.Run("render", func(b *testing.B) {
		o := options(r)
		b.ReportAllocs()
		for b.Loop() {
			message.Render(ding, task, o)
		}
	})
	b.Run("sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dingtalk.SignedURL(r.Target.Webhook.Reveal(), r.Target.Secret.Reveal(), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("body", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dingtalk.Body(dingtalk.Render(msg)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cloudEvent is events/dlc-failed.json as a Go struct: the encoding/json
// baseline reads every field the parser reads.
type cloudEvent struct {
	SpecVersion        string `json:"specversion"`
	ID                 string `json:"id"`
	Source             string `json:"source"`
	Type               string `json:"type"`
	Subject            string `json:"subject"`
	Time               string `json:"time"`
	DataContentType    string `json:"datacontenttype"`
	AliyunAccountID    string `json:"aliyunaccountid"`
	AliyunPublishTime  string `json:"aliyunpublishtime"`
	AliyunEventBusName string `json:"aliyuneventbusname"`
	AliyunRegionID     string `json:"aliyunregionid"`
	Data               struct {
		JobID         string    `json:"JobId"`
		DisplayName   string    `json:"DisplayName"`
		JobType       string    `json:"JobType"`
		Status        string    `json:"Status"`
		ReasonCode    string    `json:"ReasonCode"`
		ReasonMessage string    `json:"ReasonMessage"`
		WorkspaceID   string    `json:"WorkspaceId"`
		WorkspaceName string    `json:"WorkspaceName"`
		RegionID      string    `json:"RegionId"`
		UserID        string    `json:"UserId"`
		UserName      string    `json:"UserName"`
		GmtCreateTime time.Time `json:"GmtCreateTime"`
		GmtFinishTime time.Time `json:"GmtFinishTime"`
		Event         string    `json:"Event"`
		Message       string    `json:"Message"`
	} `json:"data"`
}

// ding is DingTalk's channel, rendering only.
var ding = dingtalk.NewClient(0)

// nopSender accepts every message without a network.
type nopSender struct{}

func (nopSender) Send(context.Context, channel.Channel, channel.Target, channel.Message) error {
	return nil
}

// BenchmarkHandle is one whole invocation with one event and 1,000 rules:
// the hot path plus the robot id, dedupe claims, rate budget and result,
// with a Sender that does nothing. Every iteration carries a new event (a
// new id and job), so none is suppressed as a duplicate.
func BenchmarkHandle(b *testing.B) {
	sample := string(benchSample(b, "dlc-failed.json"))
	set := benchRules(b, 1000)
	p, err := event.NewParser(set.Fields())
	if err != nil {
		b.Fatal(err)
	}
	const distinct = 1 << 12
	bodies := make([][]byte, distinct)
	for i := range bodies {
		s := strings.Replace(sample, "6f1e2d3c-0000-4a5b-9c8d-000000000001", fmt.Sprintf("6f1e2d3c-0000-4a5b-9c8d-%012d", i), 1)
		bodies[i] = []byte(strings.ReplaceAll(s, "dlc1gbd4p5lft9tx", fmt.Sprintf("dlc%013d", i)))
	}
	n := New(Config{
		Rules: set, Parser: p, Sender: nopSender{},
		Rate:     state.Rate{N: 1 << 20, Per: time.Nanosecond}, // never the limit here
		Remember: 64,                                           // far fewer than distinct: nothing repeats within memory
	})
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		res, err := n.Handle(ctx, bodies[i%distinct])
		if err != nil || res.Sent != 1 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkHandleState is one warm invocation (one event, one delivery,
// no network to the robot) with its state in the instance's memory and in
// a real Redis on loopback: the difference is what shared state costs an
// invocation (claims, gone mark, budget, confirm: eight round trips).
func BenchmarkHandleState(b *testing.B) {
	sample := string(benchSample(b, "dlc-failed.json"))
	set := benchRules(b, 1000)
	p, err := event.NewParser(set.Fields())
	if err != nil {
		b.Fatal(err)
	}
	rate := state.Rate{N: 1 << 20, Per: time.Nanosecond} // never the limit here
	for _, name := range []string{"memory", "redis"} {
		b.Run(name, func(b *testing.B) {
			st := state.Store(state.NewMemory(state.Options{Rate: rate}))
			if name == "redis" {
				srv := redistest.Start(b)
				r, err := state.NewRedis(srv.URL, state.Options{Rate: rate})
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				st = r
			}
			n := New(Config{Rules: set, Parser: p, Sender: nopSender{}, State: st, Rate: rate}) // DingTalk robots use Config.Rate
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				body := strings.ReplaceAll(sample, "dlc1gbd4p5lft9tx", fmt.Sprintf("dlc%013d", i))
				body = strings.Replace(body, "6f1e2d3c-0000-4a5b-9c8d-000000000001", fmt.Sprintf("6f1e2d3c-0000-4a5b-9c8d-%012d", i), 1)
				res, err := n.Handle(ctx, []byte(body))
				if err != nil || res.Sent != 1 {
					b.Fatalf("%+v %v", res, err)
				}
			}
		})
	}
}
