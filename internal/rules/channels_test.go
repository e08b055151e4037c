package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/rate"
)

// Official webhooks of each service, with credentials the leak checks look
// for.
const (
	wecomHook  = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecomkey0123456789"
	larkHook   = "https://open.feishu.cn/open-apis/bot/v2/hook/larktoken0123456789"
	slackHook  = "https://hooks.slack.com/services/T000/B000/slacksecret0123456789"
	genHook    = "https://receiver.example.com/pai/hooktoken0123456789"
	whsec      = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	larkSecret = "larksecret0123456789"
)

// Each service's target in the one validator: its type, the mentions it can
// express (others are errors), its secret (unused ones warn), its host
// (another host warns) and target.rateLimit.
func TestChannelTargets(t *testing.T) {
	rule := func(target, format string) string {
		if format != "" {
			format = "    format: " + format + "\n"
		}
		return "rules:\n  - name: a\n    source: dlc\n" + format + "    target: {" + target + "}\n"
	}
	cases := []struct {
		name     string
		target   string
		typ      string
		errs     []string // substrings, each in the error
		warnings []string // substrings, each in one warning
		rate     []rate.Rate
		format   string
	}{
		{name: "wecom", target: `type: wecom, webhook: "` + wecomHook + `", atMobiles: ["13800000000"], atUserIds: [u1], atAll: true`, typ: "wecom"},
		{name: "wecom inferred from its host", target: `webhook: "` + wecomHook + `"`, typ: "wecom"},
		{name: "wecom secret ignored", target: `type: wecom, webhook: "` + wecomHook + `", secret: ` + larkSecret, typ: "wecom",
			warnings: []string{"target.secret is set but wecom does not sign its webhooks"}},
		{name: "lark signed", target: `type: lark, webhook: "` + larkHook + `", secret: ` + larkSecret + `, atUserIds: [ou_1], atAll: true`, typ: "lark"},
		{name: "larksuite host", target: `type: lark, webhook: "https://open.larksuite.com/open-apis/bot/v2/hook/larktoken0123456789"`, typ: "lark"},
		{name: "lark mobiles", target: `type: lark, webhook: "` + larkHook + `", atMobiles: ["13800000000"]`,
			errs: []string{"target.atMobiles: lark cannot mention people this way"}},
		{name: "slack", target: `type: slack, webhook: "` + slackHook + `", atUserIds: [U123], atAll: true`, typ: "slack"},
		{name: "slack mobiles", target: `type: slack, webhook: "` + slackHook + `", atMobiles: ["13800000000"]`,
			errs: []string{"target.atMobiles: slack cannot mention people this way"}},
		{name: "slack secret ignored", target: `type: slack, webhook: "` + slackHook + `", secret: ` + larkSecret, typ: "slack",
			warnings: []string{"slack does not sign its webhooks"}},
		{name: "slack member ids", target: `type: slack, webhook: "` + slackHook + `", atUserIds: [leilei]`,
			errs: []string{`target: slack: atUserIds[0] "leilei" is not a Slack member id`}},
		{name: "slack on another host", target: `type: slack, webhook: "https://relay.example.com/slack/xyz0123456789"`, typ: "slack",
			warnings: []string{"target.webhook is not slack's official host (hooks.slack.com)"}},
		{name: "webhook signed", target: `type: webhook, webhook: "` + genHook + `", secret: ` + whsec, typ: "webhook"},
		{name: "webhook bad secret", target: `type: webhook, webhook: "` + genHook + `", secret: notwhsec0123456789`,
			errs: []string{"target.secret: not a Standard Webhooks secret"}},
		{name: "webhook mentions", target: `type: webhook, webhook: "` + genHook + `", atUserIds: [u1], atAll: true`,
			errs: []string{"target.atUserIds: webhook cannot mention", "target.atAll: webhook cannot mention"}},
		{name: "webhook over http", target: `type: webhook, webhook: "http://receiver.example.com/hooktoken0123456789"`,
			errs: []string{"target.webhook: must use https"}},
		{name: "rate override", target: `type: lark, webhook: "` + larkHook + `", rateLimit: "10/1m"`, typ: "lark",
			rate: []rate.Rate{{N: 10, Per: time.Minute}}},
		{name: "rate malformed", target: `type: lark, webhook: "` + larkHook + `", rateLimit: "fast"`,
			errs: []string{"target.rateLimit: rate \"fast\""}},
		{name: "actionCard is DingTalk's", target: `type: slack, webhook: "` + slackHook + `"`, format: "actionCard", typ: "slack",
			warnings: []string{"format actionCard is DingTalk's"}},
		{name: "dingtalk at a relay stays dingtalk", target: `webhook: "https://relay.example.com/robot/send?access_token=` + testToken + `"`, typ: "dingtalk",
			warnings: []string{"not dingtalk's official host"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse([]byte(rule(c.target, c.format)), nil)
			if len(c.errs) > 0 {
				if err == nil {
					t.Fatalf("Parse succeeded; want errors %q", c.errs)
				}
				for _, e := range c.errs {
					if !strings.Contains(err.Error(), e) {
						t.Errorf("error %q lacks %q", err, e)
					}
				}
				for _, sec := range []string{"wecomkey0123456789", "larktoken0123456789", "slacksecret0123456789", "hooktoken0123456789", testToken} {
					if strings.Contains(err.Error(), sec) {
						t.Errorf("error carries the credential %q: %s", sec, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := s.Rules()[0]
			if r.Target.Type != c.typ {
				t.Errorf("type %q, want %q", r.Target.Type, c.typ)
			}
			if len(s.Warnings()) != len(c.warnings) {
				t.Errorf("warnings %q, want %d containing %q", s.Warnings(), len(c.warnings), c.warnings)
			}
			for _, w := range c.warnings {
				if !strings.Contains(strings.Join(s.Warnings(), "\n"), w) {
					t.Errorf("warnings %q lack %q", s.Warnings(), w)
				}
			}
			if len(r.Target.Rate) != len(c.rate) || (len(c.rate) > 0 && r.Target.Rate[0] != c.rate[0]) {
				t.Errorf("rate %v, want %v", r.Target.Rate, c.rate)
			}
		})
	}
}

// Without a document, NOTIFY_WEBHOOK is the default rule for any service:
// NOTIFY_TARGET_TYPE when set, else the type of its official host, else
// DingTalk; DINGTALK_WEBHOOK keeps working and NOTIFY_WEBHOOK wins over it.
func TestLoadNotifyWebhook(t *testing.T) {
	cases := []struct {
		env  map[string]string
		typ  string
		hook string
		err  string
	}{
		{env: map[string]string{"NOTIFY_WEBHOOK": larkHook, "NOTIFY_SECRET": larkSecret}, typ: "lark", hook: larkHook},
		{env: map[string]string{"NOTIFY_WEBHOOK": slackHook}, typ: "slack", hook: slackHook},
		{env: map[string]string{"NOTIFY_WEBHOOK": genHook, "NOTIFY_TARGET_TYPE": "webhook", "NOTIFY_SECRET": whsec}, typ: "webhook", hook: genHook},
		{env: map[string]string{"NOTIFY_WEBHOOK": wecomHook, "DINGTALK_WEBHOOK": testHook}, typ: "wecom", hook: wecomHook},
		{env: map[string]string{"DINGTALK_WEBHOOK": testHook, "DINGTALK_SECRET": testSecret}, typ: "dingtalk", hook: testHook},
		{env: map[string]string{"NOTIFY_WEBHOOK": testHook}, typ: "dingtalk", hook: testHook},
		{env: map[string]string{"NOTIFY_WEBHOOK": genHook, "NOTIFY_TARGET_TYPE": "teams"}, err: "NOTIFY_TARGET_TYPE"},
		{env: map[string]string{"NOTIFY_WEBHOOK": slackHook, "NOTIFY_TARGET_TYPE": "slack", "NOTIFY_SECRET": "x"}, typ: "slack", hook: slackHook},
	}
	for _, c := range cases {
		s, err := Load(func(k string) string { return c.env[k] })
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want one naming %s", c.env, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.env, err)
			continue
		}
		r := s.Rules()[0]
		if r.Target.Type != c.typ || r.Target.Webhook.Reveal() != c.hook {
			t.Errorf("%v: type %q, want %q (webhook right: %v)", c.env, r.Target.Type, c.typ, r.Target.Webhook.Reveal() == c.hook)
		}
	}
}
