package connectivity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
	"github.com/pai-notifier/pai-notifier/internal/channel/lark"
	"github.com/pai-notifier/pai-notifier/internal/channel/lark/larktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack/slacktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook/webhooktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/wecom"
	"github.com/pai-notifier/pai-notifier/internal/channel/wecom/wecomtest"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
	"github.com/pai-notifier/pai-notifier/internal/rules"
)

// Credentials of the non-DingTalk targets, distinctive enough that finding a
// run of LeakRun of their characters anywhere can only mean a leak.
const (
	wecomKey   = "6a1f0c3e-wecomkey-4b7d-9e2a-5c8f1d3b7a90"
	larkToken  = "9f8e7d6c-larktoken-5b4a-3c2d-1e0f9a8b7c6d"
	larkSecret = "larkSecretQ7pZ2mW9xK4vB8nR3tY6"
	slackPath  = "T0LEAKTEST/B0LEAKTEST/slackpathXq8Zr2Lm5Vn9Kd3Wt7"
	hookToken  = "rcvTokH3j8Kq2Lz7Wx5Cv9Qp4"
)

// whsec is a fresh Standard Webhooks secret for the receiver.
func whsec(t testing.TB) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// fakeTarget is one service's fake with one working target on it: what the
// table below needs to test it, make it fail, and look for leaks.
type fakeTarget struct {
	typ      string
	hook     string   // the working target's webhook (loopback, so "type" must be given)
	secret   string   // its secret; "" when the service does not sign
	creds    []string // what no answer or log line may hold
	received func() int
	last     func() string // the last accepted message, as the group (or program) sees it
	// badAuth is a request the service refuses as unauthorised, and the
	// errcode and hint text that say so.
	badAuth      func() (hook, secret string)
	authCode     int
	authHint     string
	rateLimited  func() // the next send is told "too fast"
	rateCode     int
	rateHint     string
	serverError  func()   // the next send gets HTTP 500
	hang         func()   // the next send gets no answer
	successHints []string // in the hint of an accepted test
}

// newFakes starts one fake per service, each with a working target.
func newFakes(t *testing.T) []*fakeTarget {
	t.Helper()
	dt := dingtalktest.New()
	wc := wecomtest.New()
	lk := larktest.New()
	sl := slacktest.New()
	sec := whsec(t)
	wh := webhooktest.New(webhooktest.WithSecret(sec))
	for _, c := range []func(){dt.Close, wc.Close, lk.Close, sl.Close, wh.Close} {
		t.Cleanup(c)
	}

	dtHook := dt.AddRobot(testToken, testSecret)
	wcHook := wc.AddRobot(wecomKey)
	lkHook := lk.AddBot(larkToken, larktest.WithSecret(larkSecret))
	slHook := sl.AddHook(slackPath)
	whHook := wh.URL() + "?token=" + hookToken

	return []*fakeTarget{{
		typ: "dingtalk", hook: dtHook, secret: testSecret, creds: []string{testToken, testSecret},
		received: func() int { return len(dt.Messages()) },
		last: func() string {
			ms := dt.Messages()
			return dingtalktest.Render(ms[len(ms)-1])
		},
		badAuth:      func() (string, string) { return dtHook, testSecret[:len(testSecret)-1] + "0" },
		authCode:     310000,
		authHint:     "secret differs",
		rateLimited:  func() { dt.Fault(testToken, 1, dingtalktest.ErrcodeFault(130101, "send too fast")) },
		rateCode:     130101,
		rateHint:     "Test again in 10 minutes",
		serverError:  func() { dt.Fault(testToken, 1, dingtalktest.StatusFault(500)) },
		hang:         func() { dt.Fault(testToken, 1, dingtalktest.HangFault()) },
		successHints: []string{"DingTalk accepted the test message"},
	}, {
		typ: "wecom", hook: wcHook, creds: []string{wecomKey},
		received: func() int { return len(wc.Messages()) },
		last: func() string {
			ms := wc.Messages()
			return wecomtest.Render(ms[len(ms)-1])
		},
		// A key WeCom does not know, as when the robot was removed: the
		// request's key is a credential too.
		badAuth:      func() (string, string) { return strings.Replace(wcHook, wecomKey, strings.ToUpper(wecomKey), 1), "" },
		authCode:     wecom.CodeInvalidWebhook,
		authHint:     "Invalid webhook (errcode 93000)",
		rateLimited:  func() { wc.Fault(wecomKey, 1, wecomtest.ErrcodeFault(wecomtest.CodeTooFast, "api freq out of limit")) },
		rateCode:     wecom.CodeTooFast,
		rateHint:     "Rate limited by WeCom",
		serverError:  func() { wc.Fault(wecomKey, 1, wecomtest.StatusFault(500)) },
		hang:         func() { wc.Fault(wecomKey, 1, wecomtest.HangFault()) },
		successHints: []string{"WeCom accepted the test message"},
	}, {
		typ: "lark", hook: lkHook, secret: larkSecret, creds: []string{larkToken, larkSecret},
		received: func() int { return len(lk.Messages()) },
		last: func() string {
			ms := lk.Messages()
			return larktest.Render(ms[len(ms)-1])
		},
		badAuth:      func() (string, string) { return lkHook, "larkSecretWRONGwrongWRONGwrong1" },
		authCode:     lark.CodeSign,
		authHint:     "Signature check failed",
		rateLimited:  func() { lk.Fault(larkToken, 1, larktest.CodeFault(200, larktest.CodeTooFast, "too many request")) },
		rateCode:     lark.CodeTooFast,
		rateHint:     "Rate limited by Lark",
		serverError:  func() { lk.Fault(larkToken, 1, larktest.StatusFault(500)) },
		hang:         func() { lk.Fault(larkToken, 1, larktest.HangFault()) },
		successHints: []string{"Lark/Feishu accepted the test message"},
	}, {
		typ: "slack", hook: slHook, creds: []string{slackPath, "slackpathXq8Zr2Lm5Vn9Kd3Wt7"},
		received: func() int { return len(sl.Messages()) },
		last: func() string {
			ms := sl.Messages()
			return slacktest.Render(ms[len(ms)-1])
		},
		badAuth:      func() (string, string) { return strings.Replace(slHook, "slackpath", "revokedpath", 1), "" },
		authHint:     "no_service",
		rateLimited:  func() { sl.Fault(slackPath, 1, slacktest.StatusFault(429, slacktest.CodeRateLimited, "30")) },
		rateHint:     "Slack rate-limited the webhook",
		serverError:  func() { sl.Fault(slackPath, 1, slacktest.StatusFault(500, "internal_error", "")) },
		hang:         func() { sl.Fault(slackPath, 1, slacktest.HangFault()) },
		successHints: []string{"Slack accepted the test message"},
	}, {
		typ: "webhook", hook: whHook, secret: sec, creds: []string{hookToken, sec, strings.TrimPrefix(sec, webhook.SecretPrefix)},
		received: func() int { return len(wh.Messages()) },
		last: func() string {
			ms := wh.Messages()
			return string(ms[len(ms)-1].Raw)
		},
		badAuth:      func() (string, string) { return whHook, whsec(t) },
		authHint:     "refused authentication (HTTP 401)",
		rateLimited:  func() { wh.Fault(1, webhooktest.StatusFault(429, "slow down", "30")) },
		rateHint:     "rate limiting (HTTP 429)",
		serverError:  func() { wh.Fault(1, webhooktest.StatusFault(500, "boom", "")) },
		hang:         func() { wh.Fault(1, webhooktest.HangFault()) },
		successHints: []string{"the receiver answered the test message", "signed with the secret"},
	}}
}

// hosts is every fake's host:port, for AllowedHosts.
func hosts(fs []*fakeTarget) []string {
	var out []string
	for _, f := range fs {
		out = append(out, mustHost(f.hook))
	}
	return out
}

// TestChannels: the same scenarios against every service's fake, by
// {"type", "webhook", "secret"}: accepted, refused as unauthorised, rate
// limited, a server error, no answer. Each answer says the type, the
// service's own code, a bilingual hint for this channel and failure family
// (with a tester's word where the channel's hint is written for the
// notifier), and neither it nor the log line holds a credential.
func TestChannels(t *testing.T) {
	type scenario struct {
		name        string
		arrange     func(f *fakeTarget) (hook, secret string)
		ok          bool
		code        func(f *fakeTarget) int
		hints       func(f *fakeTarget) []string
		received    int // messages the fake accepted
		unreachable bool
	}
	const retryNote = "A test is not retried by itself"
	const fieldsNote = `the rule's webhook, secret and keyword above are the request's "webhook", "secret" and "keyword"`
	scenarios := []scenario{{
		name:     "accepted",
		arrange:  func(f *fakeTarget) (string, string) { return f.hook, f.secret },
		ok:       true,
		hints:    func(f *fakeTarget) []string { return f.successHints },
		received: 1,
	}, {
		name:    "unauthorised",
		arrange: func(f *fakeTarget) (string, string) { return f.badAuth() },
		code:    func(f *fakeTarget) int { return f.authCode },
		hints: func(f *fakeTarget) []string {
			if f.typ == "dingtalk" {
				return []string{f.authHint}
			}
			return []string{f.authHint, fieldsNote}
		},
	}, {
		name:    "rate limited",
		arrange: func(f *fakeTarget) (string, string) { f.rateLimited(); return f.hook, f.secret },
		code:    func(f *fakeTarget) int { return f.rateCode },
		hints: func(f *fakeTarget) []string {
			if f.typ == "dingtalk" {
				return []string{f.rateHint}
			}
			return []string{f.rateHint, retryNote}
		},
	}, {
		name:    "server error",
		arrange: func(f *fakeTarget) (string, string) { f.serverError(); return f.hook, f.secret },
		hints: func(f *fakeTarget) []string {
			if f.typ == "dingtalk" {
				return []string{"test again in a few minutes"}
			}
			return []string{"500", retryNote}
		},
	}, {
		name:    "no answer",
		arrange: func(f *fakeTarget) (string, string) { f.hang(); return f.hook, f.secret },
		hints: func(f *fakeTarget) []string {
			if f.typ == "dingtalk" {
				return []string{"Timed out"}
			}
			return []string{retryNote}
		},
		unreachable: true,
	}}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			fs := newFakes(t)
			for _, f := range fs {
				t.Run(f.typ, func(t *testing.T) {
					logs := &runtimetest.SyncBuffer{}
					tester := New(Config{AllowedHosts: hosts(fs), Timeout: 300 * time.Millisecond,
						Logger: slog.New(slog.NewJSONHandler(logs, nil))})
					hook, sec := sc.arrange(f)
					req := map[string]string{"type": f.typ, "webhook": hook}
					if sec != "" {
						req["secret"] = sec
					}
					before := f.received()
					resp := tester.Handle(context.Background(), Request{Method: http.MethodPost, Body: []byte(jsonBody(req))})
					var a answer
					if err := json.Unmarshal(resp.Body, &a); err != nil || resp.Status != 200 {
						t.Fatalf("%d %s", resp.Status, resp.Body)
					}
					t.Logf("answer: %s", resp.Body)
					wantCode := 0
					if sc.code != nil {
						wantCode = sc.code(f)
					}
					if a.OK != sc.ok || a.Type != f.typ || a.ErrCode != wantCode {
						t.Errorf("ok %v type %q errcode %d; want %v %q %d", a.OK, a.Type, a.ErrCode, sc.ok, f.typ, wantCode)
					}
					for _, h := range sc.hints(f) {
						if !strings.Contains(a.Hint, h) {
							t.Errorf("hint lacks %q: %s", h, a.Hint)
						}
					}
					if !channeltest.Bilingual(a.Hint) {
						t.Errorf("hint is not Chinese then English: %q", a.Hint)
					}
					if a.LatencyMs == nil {
						t.Errorf("no latencyMs: %s", resp.Body)
					}
					if n := f.received() - before; n != sc.received {
						t.Errorf("the fake accepted %d messages, want %d", n, sc.received)
					}
					if sc.received > 0 && !strings.Contains(f.last(), "pai-notifier") {
						t.Errorf("the test message does not say it comes from pai-notifier:\n%s", f.last())
					}
					// The request's own webhook and secret (a wrong one, too), less the
					// loopback host, which is no credential.
					creds := append([]string{strings.TrimPrefix(hook, "http://"+mustHost(hook)), sec}, f.creds...)
					assertNoRun(t, "answer", string(resp.Body), creds...)
					assertNoRun(t, "log", logs.String(), creds...)
					checkLogLine(t, logs.String(), a, f.typ, channels.TargetID(f.typ, hook), sc.unreachable)
				})
			}
		})
	}
}

// assertNoRun is channeltest's leak rule for text: no run of LeakRun
// characters of a secret, so a cut or re-encoded piece counts too.
func assertNoRun(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, v := range []string{s, url.QueryEscape(s)} {
			for i := 0; i+channeltest.LeakRun <= len(v); i++ {
				if piece := v[i : i+channeltest.LeakRun]; strings.Contains(text, piece) && !harmless(piece) {
					t.Errorf("%s holds %q of a secret:\n%s", where, piece, text)
					break
				}
			}
		}
	}
}

// harmless are pieces of the test webhooks that are not credentials: the
// scheme, loopback host and the services' fixed paths.
func harmless(piece string) bool {
	for _, fixed := range []string{"http://127.0.0.1:", "/cgi-bin/webhook/send?key=", "/open-apis/bot/v2/hook/", "/services/", "/robot/send?access_token=", "/hooks/pai?token=", "whsec_"} {
		if strings.Contains(fixed, piece) {
			return true
		}
	}
	return false
}

// TestChannelRules: {"rule"} tests a rule's target of every service, with
// its own secret; a failing one reports the service's code and the kind of
// failure, never the rule's webhook.
func TestChannelRules(t *testing.T) {
	fs := newFakes(t)
	var doc strings.Builder
	doc.WriteString("rules:\n")
	env := map[string]string{}
	for _, f := range fs {
		doc.WriteString("  - name: " + f.typ + "-rule\n    source: dlc\n    target:\n      type: " + f.typ +
			"\n      webhook: ${HOOK_" + f.typ + "}\n")
		env["HOOK_"+f.typ] = f.hook
		if f.secret != "" {
			doc.WriteString("      secret: ${SECRET_" + f.typ + "}\n")
			env["SECRET_"+f.typ] = f.secret
		}
	}
	// A WeCom robot that was removed from its group, and a Slack webhook
	// whose channel was archived.
	doc.WriteString("  - name: wecom-removed\n    source: dlc\n    target: {type: wecom, webhook: \"${HOOK_wecom_removed}\"}\n")
	env["HOOK_wecom_removed"] = strings.Replace(fs[1].hook, wecomKey, "removed-"+wecomKey, 1)
	env["NOTIFY_RULES"] = doc.String()
	get := func(k string) string { return env[k] }
	cfg := FromEnv(get)
	if cfg.RulesErr != nil {
		t.Fatal(cfg.RulesErr)
	}
	logs := &runtimetest.SyncBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	cfg.Timeout = 5 * time.Second
	tester := New(cfg) // default allow-list: rule tests are not bound by it
	var creds []string
	for _, f := range fs {
		creds = append(creds, f.creds...)
		before := f.received()
		resp := tester.Handle(context.Background(), Request{Method: http.MethodPost, Body: []byte(`{"rule":"` + f.typ + `-rule"}`)})
		var a answer
		_ = json.Unmarshal(resp.Body, &a)
		if resp.Status != 200 || !a.OK || a.Type != f.typ || !strings.Contains(a.Hint, "Connected") {
			t.Errorf("%s rule: %d %s", f.typ, resp.Status, resp.Body)
		}
		if f.received()-before != 1 {
			t.Errorf("%s rule: the fake accepted %d messages, want 1", f.typ, f.received()-before)
		}
	}
	resp := tester.Handle(context.Background(), Request{Method: http.MethodPost, Body: []byte(`{"rule":"wecom-removed"}`)})
	var a answer
	_ = json.Unmarshal(resp.Body, &a)
	if resp.Status != 200 || a.OK || a.Type != "wecom" || a.ErrCode != wecom.CodeInvalidWebhook || !strings.Contains(a.Hint, "Invalid webhook") ||
		strings.Contains(a.Hint, `the request's "webhook"`) {
		t.Errorf("removed robot's rule: %d %s; want errcode 93000 with the rule's hint (no word on request fields)", resp.Status, resp.Body)
	}
	assertNoRun(t, "answer", string(resp.Body), creds...)
	assertNoRun(t, "log", logs.String(), creds...)
	for _, f := range fs {
		if !strings.Contains(logs.String(), `"rule":"`+f.typ+`-rule","type":"`+f.typ+`","robot":"`+channels.TargetID(f.typ, f.hook)+`"`) {
			t.Errorf("no log line names rule %s-rule by type and target id:\n%s", f.typ, logs)
		}
	}
}

// TestRateLimitEveryChannel: CONNTEST_RATE_LIMIT holds per target of every
// service (channels.TargetID), by webhook and by rule alike; another target
// of the same service is not held up.
func TestRateLimitEveryChannel(t *testing.T) {
	fs := newFakes(t)
	clock := dingtalktest.NewClock(time.Now())
	var doc strings.Builder
	doc.WriteString("rules:\n")
	for _, f := range fs {
		doc.WriteString("  - name: " + f.typ + "\n    source: dlc\n    target: {type: " + f.typ + ", webhook: \"" + f.hook + "\"")
		if f.secret != "" {
			doc.WriteString(", secret: \"" + f.secret + "\"")
		}
		doc.WriteString("}\n")
	}
	set, err := rules.Parse([]byte(doc.String()), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	tester := New(Config{Rules: set, AllowedHosts: hosts(fs), RateLimit: "2/1m", Now: clock.Now, Timeout: 5 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(&runtimetest.SyncBuffer{}, nil))})
	status := func(body string) int {
		return tester.Handle(context.Background(), Request{Method: http.MethodPost, Body: []byte(body)}).Status
	}
	for _, f := range fs {
		byHook := map[string]string{"type": f.typ, "webhook": f.hook}
		if f.secret != "" {
			byHook["secret"] = f.secret
		}
		steps := []struct {
			name   string
			body   string
			status int
		}{
			{"first", jsonBody(byHook), 200},
			{"by rule shares the count", `{"rule":"` + f.typ + `"}`, 200},
			{"third refused", jsonBody(byHook), 429},
			{"by rule refused", `{"rule":"` + f.typ + `"}`, 429},
		}
		for _, s := range steps {
			if got := status(s.body); got != s.status {
				t.Errorf("%s, %s: status %d, want %d", f.typ, s.name, got, s.status)
			}
		}
		if n := f.received(); n != 2 {
			t.Errorf("%s: the fake accepted %d messages, want 2", f.typ, n)
		}
	}
	// Another WeCom robot on the same host has a window of its own.
	other := map[string]string{"type": "wecom", "webhook": strings.Replace(fs[1].hook, wecomKey, "other-"+wecomKey, 1)}
	if got := status(jsonBody(other)); got != 200 {
		t.Errorf("another wecom robot: status %d, want 200 (its errcode answer)", got)
	}
	clock.Add(time.Minute)
	if got := status(`{"rule":"slack"}`); got != 200 {
		t.Errorf("after the window: status %d, want 200", got)
	}
}

// toFake sends every request to the fake at base, whatever URL it names:
// the official hosts' URLs stay as the caller wrote them up to the last
// moment, which lets a test use them on loopback.
type toFake struct{ base *url.URL }

func (f toFake) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = f.base.Scheme, f.base.Host, f.base.Host
	return http.DefaultTransport.RoundTrip(r)
}

func viaFake(t *testing.T, base string) channel.Option {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return channel.WithHTTPClient(&http.Client{
		Transport:     toFake{u},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	})
}

// TestOfficialHostsInferred: with CONNTEST_ALLOWED_HOSTS unset, a webhook on
// a service's official host is allowed and needs no "type"; a generic
// webhook's host is refused until the operator lists it.
func TestOfficialHostsInferred(t *testing.T) {
	wc := wecomtest.New()
	lk := larktest.New()
	sl := slacktest.New()
	wh := webhooktest.New()
	for _, c := range []func(){wc.Close, lk.Close, sl.Close, wh.Close} {
		t.Cleanup(c)
	}
	wc.AddRobot(wecomKey)
	lk.AddBot(larkToken)
	sl.AddHook(slackPath)
	chans := map[string]channel.Channel{
		"wecom":   wecom.New(viaFake(t, wc.URL())),
		"lark":    lark.New(viaFake(t, lk.URL())),
		"slack":   slack.New(viaFake(t, sl.URL())),
		"webhook": webhook.New(viaFake(t, wh.URL())),
	}
	logs := &runtimetest.SyncBuffer{}
	cfg := Config{Channels: chans, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	tests := []struct {
		hook, typ string
		status    int
		wantType  string
		want      string // in the hint or the error
	}{
		{"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + wecomKey, "", 200, "wecom", "WeCom accepted"},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/" + larkToken, "", 200, "lark", "Lark/Feishu accepted"},
		{"https://open.larksuite.com/open-apis/bot/v2/hook/" + larkToken, "", 200, "lark", "Lark/Feishu accepted"},
		{"https://hooks.slack.com/services/" + slackPath, "", 200, "slack", "Slack accepted"},
		{"https://hooks.slack.com/services/" + slackPath, "slack", 200, "slack", "Slack accepted"},
		{"https://hooks.example.com/pai?token=" + hookToken, "webhook", 400, "", "CONNTEST_ALLOWED_HOSTS"},
		{"https://qyapi.weixin.qq.com:8443/cgi-bin/webhook/send?key=" + wecomKey, "", 400, "", "not ones this function may call"},
	}
	run := func(tester *Tester, hook, typ string) (Response, answer) {
		req := map[string]string{"webhook": hook}
		if typ != "" {
			req["type"] = typ
		}
		resp := tester.Handle(context.Background(), Request{Method: http.MethodPost, Body: []byte(jsonBody(req))})
		var a answer
		_ = json.Unmarshal(resp.Body, &a)
		return resp, a
	}
	tester := New(cfg)
	for _, tc := range tests {
		resp, a := run(tester, tc.hook, tc.typ)
		if resp.Status != tc.status || a.Type != tc.wantType || !strings.Contains(a.Hint+a.Error, tc.want) {
			t.Errorf("%s (type %q): %d %s; want %d type %q containing %q", mustHost(tc.hook), tc.typ, resp.Status, resp.Body, tc.status, tc.wantType, tc.want)
		}
		assertNoRun(t, "answer", string(resp.Body), wecomKey, larkToken, slackPath, hookToken)
	}
	// The operator lists the receiver's host (it replaces the default list).
	cfg.AllowedHosts = []string{"hooks.example.com"}
	listed := New(cfg)
	if resp, a := run(listed, "https://hooks.example.com/pai?token="+hookToken, "webhook"); resp.Status != 200 || !a.OK || a.Type != "webhook" ||
		strings.Contains(a.Hint, "signed with the secret") {
		t.Errorf("listed receiver, no secret: %d %s; want ok, and no word of signing", resp.Status, resp.Body)
	}
	if resp, _ := run(listed, "https://hooks.slack.com/services/"+slackPath, ""); resp.Status != 400 {
		t.Errorf("slack after the list replaced the default: %d %s, want 400", resp.Status, resp.Body)
	}
	if n := len(wh.Messages()); n != 1 {
		t.Errorf("receiver accepted %d messages, want 1", n)
	}
	assertNoRun(t, "log", logs.String(), wecomKey, larkToken, slackPath, hookToken)
}

// TestSecretNotes: what the answer says about a secret, per service.
func TestSecretNotes(t *testing.T) {
	fs := newFakes(t)
	tester := New(Config{AllowedHosts: hosts(fs), Timeout: 5 * time.Second, Logger: slog.New(slog.NewJSONHandler(discard{}, nil))})
	tests := []struct {
		f      *fakeTarget
		secret string
		ok     bool
		want   string
	}{
		{fs[1], "SECsomething0123456789", true, "WeCom webhooks are not signed"},
		{fs[3], "anything-at-all-0123", true, "Slack webhooks are not signed"},
		{fs[2], "https://open.feishu.cn/open-apis/bot/v2/hook/" + larkToken, false, "was the webhook pasted into secret"},
		{fs[4], "not-a-whsec-secret", false, "signing secret is malformed"},
		{fs[4], "", false, "refused authentication (HTTP 401)"},
	}
	for _, tc := range tests {
		req := map[string]string{"type": tc.f.typ, "webhook": tc.f.hook}
		if tc.secret != "" {
			req["secret"] = tc.secret
		}
		resp := tester.Handle(context.Background(), Request{Method: http.MethodPost, Body: []byte(jsonBody(req))})
		var a answer
		_ = json.Unmarshal(resp.Body, &a)
		if resp.Status != 200 || a.OK != tc.ok || !strings.Contains(a.Hint, tc.want) {
			t.Errorf("%s with secret %q: %d %s; want ok %v and %q", tc.f.typ, tc.secret, resp.Status, resp.Body, tc.ok, tc.want)
		}
		assertNoRun(t, "answer", string(resp.Body), tc.secret, larkToken, hookToken, wecomKey, slackPath)
	}
}
