package main

// The end-to-end suite DingTalk passes, through the BUILT notifier and the
// FC and Lambda runtime APIs, for every channel against its fake service:
// deliver, retry after HTTP 500, redelivery suppressed, a burst folded into
// digests within the channel's budget, a permanent error with a hint, and no
// credential in logs or results. One table over channels, not five copies.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel/lark/larktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack/slacktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook/webhooktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/wecom/wecomtest"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
)

// fake is one channel's fake service as the suite drives it.
type fake struct {
	typ       string
	hook      string   // the webhook URL the rule names
	secret    string   // target.secret ("" for none)
	secrets   []string // what must never appear in logs or results
	fail500   func(n int)
	permanent func() // the next send fails for good (bad key, signature, gone)
	texts     func() []string
	budget    int // the most messages a burst may cost at once
}

const (
	larkSecret = "larke2esecret0123456789"
	whsec      = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

var fakes = []struct {
	typ   string
	start func(t *testing.T) fake
}{
	{"dingtalk", func(t *testing.T) fake {
		s := dingtalktest.New()
		t.Cleanup(s.Close)
		return fake{typ: "dingtalk", hook: s.AddRobot(token, secret), secret: secret, secrets: []string{token, secret}, budget: 20,
			fail500:   func(n int) { s.Fault(token, n, dingtalktest.StatusFault(500)) },
			permanent: func() { s.Fault(token, 1, dingtalktest.ErrcodeFault(310000, "sign not match")) },
			texts: func() (out []string) {
				for _, m := range s.Messages() {
					out = append(out, m.Text)
				}
				return out
			}}
	}},
	{"wecom", func(t *testing.T) fake {
		s := wecomtest.New()
		t.Cleanup(s.Close)
		const key = "wecome2ekey0123456789abcdef"
		return fake{typ: "wecom", hook: s.AddRobot(key), secrets: []string{key}, budget: 20,
			fail500:   func(n int) { s.Fault(key, n, wecomtest.StatusFault(500)) },
			permanent: func() { s.Fault(key, 1, wecomtest.ErrcodeFault(93000, "invalid webhook url")) },
			texts: func() (out []string) {
				for _, m := range s.Messages() {
					out = append(out, m.Content)
				}
				return out
			}}
	}},
	{"lark", func(t *testing.T) fake {
		s := larktest.New()
		t.Cleanup(s.Close)
		const tok = "larke2etoken0123456789"
		return fake{typ: "lark", hook: s.AddBot(tok, larktest.WithSecret(larkSecret)), secret: larkSecret, secrets: []string{tok, larkSecret}, budget: 5,
			fail500: func(n int) { s.Fault(tok, n, larktest.StatusFault(500)) },
			permanent: func() {
				s.Fault(tok, 1, larktest.CodeFault(200, 19021, "sign match fail or timestamp is not within one hour from current time"))
			},
			texts: func() (out []string) {
				for _, m := range s.Messages() {
					out = append(out, larktest.Render(m))
				}
				return out
			}}
	}},
	{"slack", func(t *testing.T) fake {
		s := slacktest.New()
		t.Cleanup(s.Close)
		const path = "T0E2E/B0E2E/slacke2esecret0123456789"
		return fake{typ: "slack", hook: s.AddHook(path), secrets: []string{"slacke2esecret0123456789"}, budget: 3,
			fail500:   func(n int) { s.Fault(path, n, slacktest.StatusFault(500, "", "")) },
			permanent: func() { s.Fault(path, 1, slacktest.StatusFault(403, "invalid_token", "")) },
			texts: func() (out []string) {
				for _, m := range s.Messages() {
					out = append(out, slacktest.Render(m))
				}
				return out
			}}
	}},
	{"webhook", func(t *testing.T) fake {
		s := webhooktest.New(webhooktest.WithSecret(whsec))
		t.Cleanup(s.Close)
		return fake{typ: "webhook", hook: s.URL(), secret: whsec, secrets: []string{whsec, strings.TrimPrefix(whsec, "whsec_")}, budget: 1 << 30,
			fail500:   func(n int) { s.Fault(n, webhooktest.StatusFault(500, "", "")) },
			permanent: func() { s.Fault(1, webhooktest.StatusFault(410, "gone", "")) },
			texts: func() (out []string) {
				for _, m := range s.Messages() {
					out = append(out, string(m.Data))
				}
				return out
			}}
	}},
}

// startChannel runs the built notifier for kind with one rule (every failed
// DLC job) to f.
func startChannel(t *testing.T, kind runtimetest.Kind, f fake) *runtimetest.Runtime {
	t.Helper()
	target := map[string]string{"type": f.typ, "webhook": f.hook}
	if f.secret != "" {
		target["secret"] = "${TARGET_SECRET}"
	}
	tj, _ := json.Marshal(target)
	rules := `{"rules":[{"name":"dlc-failed","source":"dlc","scope":"workspace","events":"failed","target":` + string(tj) + `}]}`
	bin := runtimetest.Build(t, "./functions/notifier", kind)
	return runtimetest.Start(t, kind, bin, []string{"NOTIFY_RULES=" + rules, "TARGET_SECRET=" + f.secret, "DINGTALK_TIMEOUT=2s"})
}

func TestEveryChannelEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the notifier")
	}
	for _, fc := range fakes {
		for _, kind := range kinds { // FC, Lambda and AWS's runtime interface emulator
			t.Run(fc.typ+"/"+string(kind), func(t *testing.T) {
				f := fc.start(t)
				rt := startChannel(t, kind, f)
				e := &env{t: t, rt: rt}
				var results []string
				keep := func(r result) {
					b, _ := json.Marshal(r)
					results = append(results, string(b))
				}
				named := func(id string) int {
					n := 0
					for _, s := range f.texts() {
						if strings.Contains(s, id) {
							n++
						}
					}
					return n
				}

				// Deliver, after two HTTP 500s, once.
				f.fail500(2)
				r, ferr := e.invoke(dlcFailed("ev-1", "dlcjob1"))
				keep(r)
				if ferr != nil || r.Sent != 1 || r.Retried != 2 {
					t.Fatalf("result %+v, error %v; want 1 sent after 2 retries\n%s", r, ferr, rt.Logs())
				}
				if n := named("dlcjob1"); n != 1 {
					t.Fatalf("the group has %d messages naming the job, want 1: %q", n, f.texts())
				}
				// A redelivery is suppressed.
				r, ferr = e.invoke(dlcFailed("ev-1", "dlcjob1"))
				keep(r)
				if ferr != nil || r.Suppressed != 1 || r.Sent != 0 || named("dlcjob1") != 1 {
					t.Fatalf("redelivery: %+v, %v; want 1 suppressed and no second message", r, ferr)
				}

				// A burst of 30 in one invocation: every job named exactly once,
				// within the channel's budget (digests when it is small).
				before := len(f.texts())
				var evs, ids []string
				for i := range 30 {
					id := fmt.Sprintf("dlcburst%02d", i)
					ids = append(ids, id)
					evs = append(evs, string(dlcFailed(fmt.Sprintf("burst-%d", i), id)))
				}
				r, ferr = e.invoke([]byte("[" + strings.Join(evs, ",") + "]"))
				keep(r)
				if ferr != nil || r.Sent != 30 {
					t.Fatalf("burst: %+v, %v; want all 30 delivered\n%s", r, ferr, rt.Logs())
				}
				if n := len(f.texts()) - before; n == 0 || n > min(30, f.budget) {
					t.Errorf("burst took %d messages, want 1..%d", n, min(30, f.budget))
				}
				for _, id := range ids {
					if n := named(id); n != 1 {
						t.Errorf("job %s named %d times, want once", id, n)
					}
				}

				// A permanent failure: reported with a hint, not retried.
				f.permanent()
				r, ferr = e.invoke(dlcFailed("ev-p", "dlcjobp"))
				keep(r)
				if ferr != nil || r.Failed != 1 || len(r.Deliveries) != 1 || r.Deliveries[0].Hint == "" || r.Retried != 0 {
					t.Fatalf("permanent failure: %+v, %v; want 1 failed with a hint, no retry", r, ferr)
				}

				waitLogs(rt, "dlcjobp")
				for _, s := range f.secrets {
					if strings.Contains(rt.Logs(), s) {
						t.Errorf("the function's logs hold the credential %q", s)
					}
					for _, res := range results {
						if strings.Contains(res, s) {
							t.Errorf("a result holds the credential %q: %s", s, res)
						}
					}
				}
			})
		}
	}
}
