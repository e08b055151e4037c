package notify

import (
	"fmt"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/state"
)

// Each target has its own budget: its service's default windows (every one
// must have room), target.rateLimit over them, DINGTALK_RATE_LIMIT for
// DingTalk only, and WeCom's follow-up mention message costing a second
// unit. A batch that needs more than the budget becomes digests.
func TestBudgetPerChannel(t *testing.T) {
	const (
		wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecomkey0123456789"
		lark  = "https://open.feishu.cn/open-apis/bot/v2/hook/larktoken0123456789"
		slack = "https://hooks.slack.com/services/T0/B0/slacksecret0123456789"
		ding  = "https://oapi.dingtalk.com/robot/send?access_token=" + testToken
		hook  = "https://receiver.example.com/pai/hooktoken0123456789"
	)
	cases := []struct {
		name    string
		target  string
		rate    state.Rate // the notifier's DINGTALK_RATE_LIMIT
		share   int        // NOTIFY_INSTANCES
		events  int
		sends   int // messages handed to the channel
		digests bool
	}{
		{name: "wecom 20/1m: 20 fit", target: `type: wecom, webhook: "` + wecom + `"`, events: 20, sends: 20},
		{name: "wecom mentioning mobiles costs 2: 10 fit", target: `type: wecom, webhook: "` + wecom + `", atMobiles: ["13800000000"]`, events: 10, sends: 10},
		{name: "wecom mentioning mobiles: 11 need digests", target: `type: wecom, webhook: "` + wecom + `", atMobiles: ["13800000000"]`, events: 11, sends: 1, digests: true},
		{name: "lark 5 a second", target: `type: lark, webhook: "` + lark + `"`, events: 6, sends: 1, digests: true},
		{name: "lark 5 fit", target: `type: lark, webhook: "` + lark + `"`, events: 5, sends: 5},
		{name: "slack 3/3s", target: `type: slack, webhook: "` + slack + `"`, events: 4, sends: 1, digests: true},
		{name: "webhook unlimited", target: `type: webhook, webhook: "` + hook + `"`, events: 40, sends: 40},
		{name: "rateLimit overrides", target: `type: webhook, webhook: "` + hook + `", rateLimit: "2/1m"`, events: 3, sends: 1, digests: true},
		{name: "DINGTALK_RATE_LIMIT for DingTalk", target: `webhook: "` + ding + `"`, rate: state.Rate{N: 2, Per: time.Minute}, events: 3, sends: 1, digests: true},
		{name: "DINGTALK_RATE_LIMIT not for Lark", target: `type: lark, webhook: "` + lark + `"`, rate: state.Rate{N: 2, Per: time.Minute}, events: 3, sends: 3},
		{name: "two instances: wecom 10 each", target: `type: wecom, webhook: "` + wecom + `"`, share: 2, events: 10, sends: 10},
		{name: "two instances: wecom 11 need digests", target: `type: wecom, webhook: "` + wecom + `"`, share: 2, events: 11, sends: 1, digests: true},
		{name: "two instances: lark 2 a second each", target: `type: lark, webhook: "` + lark + `"`, share: 2, events: 3, sends: 1, digests: true},
		{name: "two instances: webhook still unlimited", target: `type: webhook, webhook: "` + hook + `"`, share: 2, events: 40, sends: 40},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := "rules:\n  - name: r\n    source: dlc\n    events: failed\n    target: {" + c.target + "}\n"
			f := newFixtureRules(t, doc, func(cfg *Config) { cfg.Rate, cfg.Instances = c.rate, c.share })
			var evs [][]byte
			for i := range c.events {
				evs = append(evs, dlcEvent(fmt.Sprint("e", i), fmt.Sprint("dlcjob", i), "Failed"))
			}
			res, err := f.n.Handle(ctxWithin(t, 5*time.Second), batch(evs...))
			if err != nil || res.Sent != c.events {
				t.Fatalf("%+v %v; want all %d delivered", res, err, c.events)
			}
			if f.sender.calls != c.sends {
				t.Errorf("%d sends, want %d", f.sender.calls, c.sends)
			}
			digested := 0
			for _, d := range res.Deliveries {
				if d.Outcome == Digested {
					digested++
				}
			}
			if c.digests != (digested == c.events) {
				t.Errorf("%d of %d digested, want digests %v", digested, c.events, c.digests)
			}
		})
	}
}
