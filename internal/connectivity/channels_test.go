package connectivity

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel/lark/larktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack/slacktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook/webhooktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/wecom/wecomtest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
)

// The connectivity test works for every service: {"type","webhook",
// "secret"} against each fake (the type given, or inferred from an official
// host, which the fakes are not), a success the group receives, a
// permanent failure with the channel's hint, and no credential in answers or
// logs.
func TestEveryChannel(t *testing.T) {
	const (
		larkSecret = "larkconnsecret0123456789"
		whsec      = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	)
	type fake struct {
		hook, secret string
		secrets      []string
		received     func() int
		fail         func()
	}
	cases := []struct {
		typ   string
		start func(t *testing.T) fake
	}{
		{"wecom", func(t *testing.T) fake {
			s := wecomtest.New()
			t.Cleanup(s.Close)
			const key = "wecomconnkey0123456789"
			return fake{hook: s.AddRobot(key), secrets: []string{key}, received: func() int { return len(s.Messages()) },
				fail: func() { s.Fault(key, 1, wecomtest.ErrcodeFault(93000, "invalid webhook url")) }}
		}},
		{"lark", func(t *testing.T) fake {
			s := larktest.New()
			t.Cleanup(s.Close)
			const tok = "larkconntoken0123456789"
			return fake{hook: s.AddBot(tok, larktest.WithSecret(larkSecret)), secret: larkSecret, secrets: []string{tok, larkSecret},
				received: func() int { return len(s.Messages()) },
				fail:     func() { s.Fault(tok, 1, larktest.CodeFault(200, 19021, "sign match fail")) }}
		}},
		{"slack", func(t *testing.T) fake {
			s := slacktest.New()
			t.Cleanup(s.Close)
			const path = "T0C/B0C/slackconnsecret0123456789"
			return fake{hook: s.AddHook(path), secrets: []string{"slackconnsecret0123456789"}, received: func() int { return len(s.Messages()) },
				fail: func() { s.Fault(path, 1, slacktest.StatusFault(403, "invalid_token", "")) }}
		}},
		{"webhook", func(t *testing.T) fake {
			s := webhooktest.New(webhooktest.WithSecret(whsec))
			t.Cleanup(s.Close)
			return fake{hook: s.URL(), secret: whsec, secrets: []string{whsec}, received: func() int { return len(s.Messages()) },
				fail: func() { s.Fault(1, webhooktest.StatusFault(410, "gone", "")) }}
		}},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			fk := c.start(t)
			host := strings.SplitN(strings.TrimPrefix(fk.hook, "http://"), "/", 2)[0]
			logs := &runtimetest.SyncBuffer{}
			tester := New(Config{AllowedHosts: []string{host}, RateLimit: "100/1m", Logger: slog.New(slog.NewJSONHandler(logs, nil))})
			body := jsonBody(map[string]string{"type": c.typ, "webhook": fk.hook, "secret": fk.secret})
			f := &fixture{t: t, tester: tester, logs: logs}

			resp, a := f.post(body)
			if resp.Status != http.StatusOK || !a.OK || fk.received() != 1 {
				t.Fatalf("test message: %d %+v, %d received; want ok and one message", resp.Status, a, fk.received())
			}
			fk.fail()
			resp, a = f.post(body)
			if resp.Status != http.StatusOK || a.OK || a.Hint == "" || fk.received() != 1 {
				t.Errorf("failing test: %d %+v; want not ok with a hint", resp.Status, a)
			}
			// Without "type", a fake's host is no service's: DingTalk's check
			// refuses a webhook without access_token.
			if _, a := f.post(jsonBody(map[string]string{"webhook": fk.hook})); a.OK || !strings.Contains(a.Error, "access_token") {
				t.Errorf("untyped fake webhook: %+v, want DingTalk's refusal", a)
			}
			assertNoLeak(t, "answers and logs", string(resp.Body)+logs.String(), fk.secrets...)
		})
	}
	// An unknown type is refused, naming the known ones.
	f := newFixture(t, fixtureOpts{})
	if resp, a := f.post(`{"type":"teams","webhook":"https://example.com/x"}`); resp.Status != http.StatusBadRequest || !strings.Contains(a.Error, "dingtalk, wecom, lark, slack, webhook") {
		t.Errorf("unknown type: %d %+v", resp.Status, a)
	}
}
