package connectivity

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
	"github.com/pai-notifier/pai-notifier/internal/rate"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Credentials distinctive enough that finding them anywhere in an answer or
// a log line can only mean a leak.
const (
	testToken  = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	testSecret = "SECf00dfeedcafebabe0123456789abcdef0123456789abcdef0123456789ab"
	testBearer = "bearer-token-7c1e52"
)

// fixture is a Tester wired to a fake robot, with its log captured.
type fixture struct {
	t      *testing.T
	robot  *dingtalktest.Server
	tester *Tester
	logs   *runtimetest.SyncBuffer
	host   string // the fake robot's 127.0.0.1:port
}

type fixtureOpts struct {
	serverOpts []dingtalktest.Option
	cfg        func(*Config)
	timeout    time.Duration
}

func newFixture(t *testing.T, o fixtureOpts) *fixture {
	t.Helper()
	f := &fixture{t: t, logs: &runtimetest.SyncBuffer{}}
	f.robot = dingtalktest.New(o.serverOpts...)
	t.Cleanup(f.robot.Close)
	f.host = strings.TrimPrefix(f.robot.URL(), "http://")
	timeout := o.timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	cfg := Config{
		Timeout:      timeout,
		AllowedHosts: []string{f.host},
		Logger:       slog.New(slog.NewJSONHandler(f.logs, nil)),
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	f.tester = New(cfg)
	return f
}

// answer is the union of the two JSON answers.
type answer struct {
	OK        bool   `json:"ok"`
	Type      string `json:"type"`
	Error     string `json:"error"`
	ErrCode   int    `json:"errcode"`
	ErrMsg    string `json:"errmsg"`
	Hint      string `json:"hint"`
	LatencyMs *int64 `json:"latencyMs"`
}

func (f *fixture) do(method string, headers map[string]string, body string) (Response, answer) {
	f.t.Helper()
	resp := f.tester.Handle(context.Background(), Request{Method: method, Headers: headers, Body: []byte(body)})
	var a answer
	if err := json.Unmarshal(resp.Body, &a); err != nil {
		f.t.Fatalf("answer is not JSON: %v\n%s", err, resp.Body)
	}
	if got := resp.Headers["content-type"]; !strings.HasPrefix(got, "application/json") {
		f.t.Errorf("content-type = %q, want application/json", got)
	}
	return resp, a
}

func (f *fixture) post(body string) (Response, answer) {
	f.t.Helper()
	return f.do(http.MethodPost, nil, body)
}

func jsonBody(fields map[string]string) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

// assertNoLeak is Alertmanager's AssertNotifyLeaksNoSecret for this
// function: no answer and no log line may hold the token or the secret, in
// any spelling.
func assertNoLeak(t *testing.T, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 8 || s == "-" {
			continue // the tests' secrets are long; short ones are "none"
		}
		for _, v := range []string{s, url.QueryEscape(s)} {
			if strings.Contains(text, v) {
				t.Errorf("%s leaks a secret %q:\n%s", where, v[:8]+"...", text)
			}
		}
	}
}

func TestRefusals(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	hook := func(tail string) string { return "http://" + f.host + "/robot/send" + tail }
	good := hook("?access_token=" + testToken)
	tests := []struct {
		name   string
		method string
		body   string
		status int
		want   string // in the error
	}{
		{"get", http.MethodGet, "", 405, "method GET is not allowed"},
		{"put", http.MethodPut, jsonBody(map[string]string{"webhook": good}), 405, "POST"},
		{"weird method", "g\x00t", "", 405, "(unusual)"},
		{"too large", "POST", `{"message":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, 413, "over the 65536-byte limit"},
		{"empty", "POST", "", 400, "request body is empty"},
		{"blank", "POST", " \n", 400, "request body is empty"},
		{"not json", "POST", "webhook=" + good, 400, "not JSON"},
		{"truncated", "POST", `{"webhook": "` + good, 400, "not JSON"},
		{"array", "POST", `["` + good + `"]`, 400, "want an object"},
		{"number field", "POST", `{"webhook": 42}`, 400, `field "webhook" is JSON number`},
		{"two objects", "POST", `{"rule":"a"} {"rule":"b"}`, 400, "extra data"},
		{"unknown field", "POST", `{"webhook":"` + good + `","secert":"` + testSecret + `"}`, 400, `unknown field "secert"`},
		{"neither", "POST", `{"message":"hi"}`, 400, "names no target"},
		{"null fields", "POST", `{"webhook":null,"rule":null}`, 400, "names no target"},
		{"both", "POST", jsonBody(map[string]string{"webhook": good, "rule": "default"}), 400, "both"},
		{"rule with secret", "POST", jsonBody(map[string]string{"rule": "default", "secret": testSecret}), 400, "uses the rule's own target"},
		{"rule with type", "POST", jsonBody(map[string]string{"rule": "default", "type": "slack"}), 400, "uses the rule's own target"},
		{"unknown type", "POST", jsonBody(map[string]string{"type": "teams", "webhook": good}), 400, `unknown "type": want one of dingtalk, wecom, lark, slack, webhook`},
		{"type against official host", "POST", jsonBody(map[string]string{"type": "slack", "webhook": "https://oapi.dingtalk.com/robot/send?access_token=" + testToken}), 400, `"type" is slack but the webhook names dingtalk's official host`},
		{"type number", "POST", `{"type": 1, "webhook": "` + good + `"}`, 400, `field "type" is JSON number`},
		{"wecom not a url", "POST", jsonBody(map[string]string{"type": "wecom", "webhook": "key=" + testToken}), 400, "webhook: not an http(s) URL"},
		{"wecom http elsewhere", "POST", jsonBody(map[string]string{"type": "wecom", "webhook": "http://qyapi.weixin.qq.com:443/cgi-bin/webhook/send?key=" + testToken}), 400, "not ones this function may call"},
		{"slack userinfo", "POST", jsonBody(map[string]string{"type": "slack", "webhook": "http://" + f.host + "@10.0.0.1/services/" + testToken}), 400, "user name or password"},
		{"webhook not listed", "POST", jsonBody(map[string]string{"type": "webhook", "webhook": "https://hooks.example.com/pai?token=" + testToken}), 400, "not ones this function may call"},
		{"no rules", "POST", `{"rule":"default"}`, 400, "no rules configured"},
		{"not a url", "POST", jsonBody(map[string]string{"webhook": "robot please"}), 400, "webhook: not a URL"},
		{"bare token", "POST", jsonBody(map[string]string{"webhook": testToken}), 400, "looks like a bare access token"},
		{"bad url", "POST", jsonBody(map[string]string{"webhook": "https://oapi.dingtalk.com:xx/robot/send?access_token=" + testToken}), 400, "not a valid URL"},
		{"default host not allowed here", "POST", jsonBody(map[string]string{"webhook": "https://oapi.dingtalk.com/robot/send?access_token=" + testToken}), 400, "not ones this function may call"},
		{"private host", "POST", jsonBody(map[string]string{"webhook": "http://169.254.169.254/latest/meta-data?access_token=" + testToken}), 400, "not ones this function may call"},
		{"other port", "POST", jsonBody(map[string]string{"webhook": "http://127.0.0.1:1/robot/send?access_token=" + testToken}), 400, "not ones this function may call"},
		{"localhost alias", "POST", jsonBody(map[string]string{"webhook": strings.Replace(good, "127.0.0.1", "localhost", 1)}), 400, "not ones this function may call"},
		{"userinfo", "POST", jsonBody(map[string]string{"webhook": "http://" + f.host + "@10.0.0.1/robot/send?access_token=" + testToken}), 400, "user name or password"},
		{"userinfo on allowed host", "POST", jsonBody(map[string]string{"webhook": "http://u:" + testSecret + "@" + f.host + "/robot/send?access_token=" + testToken}), 400, "user name or password"},
		{"ftp", "POST", jsonBody(map[string]string{"webhook": "ftp://" + f.host + "/robot/send?access_token=" + testToken}), 400, "must use https"},
		{"no token", "POST", jsonBody(map[string]string{"webhook": hook("")}), 400, "no access_token"},
		{"empty token", "POST", jsonBody(map[string]string{"webhook": hook("?access_token=&x=1")}), 400, "no access_token"},
		{"url pasted as token", "POST", jsonBody(map[string]string{"webhook": hook("?access_token=https://oapi.dingtalk.com/robot/send?access_token=" + testToken)}), 400, "whole webhook was pasted"},
		{"encoded url pasted as token", "POST", jsonBody(map[string]string{"webhook": hook("?access_token=" + url.QueryEscape("https://oapi.dingtalk.com/robot/send?access_token="+testToken))}), 400, "whole webhook was pasted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.robot.Requests())
			resp, a := f.do(tc.method, nil, tc.body)
			if resp.Status != tc.status {
				t.Fatalf("status = %d, want %d (%s)", resp.Status, tc.status, resp.Body)
			}
			if a.OK || !strings.Contains(a.Error, tc.want) {
				t.Errorf("answer = %s, want ok false and error containing %q", resp.Body, tc.want)
			}
			if a.LatencyMs != nil {
				t.Errorf("a refusal has latencyMs: %s", resp.Body)
			}
			if n := len(f.robot.Requests()) - before; n != 0 {
				t.Errorf("refused request still sent %d request(s) to the robot", n)
			}
			if tc.status == 405 && resp.Headers["allow"] != "POST" {
				t.Errorf("405 without Allow: POST: %v", resp.Headers)
			}
			assertNoLeak(t, "answer", string(resp.Body), testToken, testSecret)
		})
	}
	assertNoLeak(t, "log", f.logs.String(), testToken, testSecret)
	if strings.Contains(f.logs.String(), "/robot/send") {
		t.Errorf("log names the webhook URL:\n%s", f.logs)
	}
}

func TestAuth(t *testing.T) {
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.Token = testBearer }})
	hook := f.robot.AddRobot(testToken, testSecret)
	body := jsonBody(map[string]string{"webhook": hook, "secret": testSecret})
	tests := []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"none", nil, 401},
		{"empty", map[string]string{"authorization": ""}, 401},
		{"basic", map[string]string{"authorization": "Basic " + testBearer}, 401},
		{"no scheme", map[string]string{"authorization": testBearer}, 401},
		{"wrong", map[string]string{"authorization": "Bearer " + testBearer + "x"}, 401},
		{"prefix", map[string]string{"authorization": "Bearer " + testBearer[:5]}, 401},
		{"bearer only", map[string]string{"authorization": "Bearer"}, 401},
		{"other header", map[string]string{"x-authorization": "Bearer " + testBearer}, 401},
		{"right", map[string]string{"authorization": "Bearer " + testBearer}, 200},
		{"scheme case", map[string]string{"authorization": "bearer " + testBearer}, 200},
		{"header case", map[string]string{"Authorization": "Bearer  " + testBearer + " "}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.robot.Requests())
			resp, a := f.do(http.MethodPost, tc.headers, body)
			if resp.Status != tc.status {
				t.Fatalf("status = %d, want %d (%s)", resp.Status, tc.status, resp.Body)
			}
			sent := len(f.robot.Requests()) - before
			if tc.status == 401 {
				if sent != 0 || a.OK || resp.Headers["www-authenticate"] == "" {
					t.Errorf("401 answer %s headers %v, sent %d", resp.Body, resp.Headers, sent)
				}
				if strings.Contains(string(resp.Body), testBearer) {
					t.Errorf("401 answer quotes the token: %s", resp.Body)
				}
			} else if !a.OK || sent != 1 {
				t.Errorf("authorised request: %s, sent %d", resp.Body, sent)
			}
		})
	}
	// Method is checked before the token: a GET learns nothing either way.
	if resp, _ := f.do(http.MethodGet, nil, ""); resp.Status != 405 {
		t.Errorf("GET without token: status %d, want 405", resp.Status)
	}
	assertNoLeak(t, "log", f.logs.String(), testToken, testSecret, testBearer)
}

func TestBadAllowedHosts(t *testing.T) {
	for _, hosts := range [][]string{{"https://oapi.dingtalk.com"}, {" , "}, {"oapi.dingtalk.com/robot"}, {"u@host"},
		{"host:"}, {"host:0"}, {"host:65536"}, {"host:08"}, {"host:x"}, {":443"}, {"[]"}, {"[::1]:"}} {
		var logs runtimetest.SyncBuffer
		f := newFixture(t, fixtureOpts{cfg: func(c *Config) {
			c.AllowedHosts = hosts
			c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		}})
		resp, a := f.post(`{"rule":"x"}`)
		if resp.Status != 500 || !strings.Contains(a.Error, "CONNTEST_ALLOWED_HOSTS") {
			t.Errorf("AllowedHosts %q: %d %s, want 500 naming CONNTEST_ALLOWED_HOSTS", hosts, resp.Status, resp.Body)
		}
		if h := strings.TrimSpace(hosts[0]); h != "," && strings.Contains(a.Error, h) {
			t.Errorf("AllowedHosts %q: the answer quotes the configured entry: %s", hosts, resp.Body)
		}
		if !strings.Contains(logs.String(), "CONNTEST_ALLOWED_HOSTS") {
			t.Errorf("AllowedHosts %q: the log does not say what is wrong: %s", hosts, logs.String())
		}
	}
}

func TestAllowedHostsMatchExactly(t *testing.T) {
	tests := []struct {
		list, url string
		ok        bool
	}{
		{"oapi.dingtalk.com", "https://oapi.dingtalk.com/robot/send?access_token=t", true},
		{"OAPI.DingTalk.com", "https://oapi.DINGTALK.com/robot/send?access_token=t", true},
		{"oapi.dingtalk.com", "https://oapi.dingtalk.com:443/robot/send?access_token=t", true},
		{"oapi.dingtalk.com:443", "https://oapi.dingtalk.com/robot/send?access_token=t", true},
		{"oapi.dingtalk.com", "https://oapi.dingtalk.com:8443/robot/send?access_token=t", false},
		{"oapi.dingtalk.com:8443", "https://oapi.dingtalk.com/robot/send?access_token=t", false},
		{"oapi.dingtalk.com", "https://oapi.dingtalk.com.evil.example/robot/send?access_token=t", false},
		{"oapi.dingtalk.com", "https://evil.example/oapi.dingtalk.com?access_token=t", false},
		{"oapi.dingtalk.com", "https://oapi.dingtalk.com./robot/send?access_token=t", false},
		{"oapi.dingtalk.com", "https://oapi.dingtalk.com@evil.example/robot/send?access_token=t", false},
		{"oapi.dingtalk.com", "http://oapi.dingtalk.com/robot/send?access_token=t", false},
		{"oapi.dingtalk.com", "https://10.0.0.1/robot/send?access_token=t", false},
		{"10.0.0.1", "https://10.0.0.1/robot/send?access_token=t", true},
		{"10.0.0.1", "http://10.0.0.1/robot/send?access_token=t", false},
		{"127.0.0.1", "http://127.0.0.1/robot/send?access_token=t", false}, // a bare host is port 443, http's is 80
		{"127.0.0.1:80", "http://127.0.0.1/robot/send?access_token=t", true},
		{"[::1]:8080", "http://[::1]:8080/robot/send?access_token=t", true},
		{"[::1]:8080", "http://[::1]:8081/robot/send?access_token=t", false},
		{"::1", "https://[::1]/robot/send?access_token=t", true},
		{"[::1]", "https://[::1]:443/robot/send?access_token=t", true},
		{"localhost:9", "http://localhost:9/robot/send?access_token=t", true},
		{"proxy.internal:8443, oapi.dingtalk.com", "https://proxy.internal:8443/robot/send?access_token=t", true},
	}
	for _, tc := range tests {
		hs, err := parseHosts(tc.list)
		if err != nil {
			t.Fatalf("parseHosts(%q): %v", tc.list, err)
		}
		err = checkWebhook("dingtalk", tc.url, hs)
		if (err == nil) != tc.ok {
			t.Errorf("allowed %q, webhook %q: err = %v, want ok %v", tc.list, tc.url, err, tc.ok)
		}
	}
}

// send is one test against the fake robot that DingTalk answers (or not).
type sendCase struct {
	name       string
	robotOpts  []dingtalktest.RobotOption
	secret     string // sent in the request; defaults to the robot's
	robotSec   string // the robot's; "-" for none
	keyword    string
	message    string
	fault      *dingtalktest.Fault
	serverOpts []dingtalktest.Option
	timeout    time.Duration
	webhook    func(f *fixture, hook string) string

	ok          bool
	errcode     int
	errmsg      string // substring
	hint        string // substring
	received    int    // messages the group got
	unreachable bool   // no answer at all: logged as unreachable rather than rejected
}

func TestSend(t *testing.T) {
	skewed := func() time.Time { return time.Now().Add(2 * time.Hour) }
	fault := func(f dingtalktest.Fault) *dingtalktest.Fault { return &f }
	tests := []sendCase{
		{name: "success", ok: true, errmsg: "ok", hint: "Connected", received: 1},
		{name: "success custom text", message: "hello from the test", ok: true, hint: "Connected", received: 1},
		{name: "success keyword", robotOpts: []dingtalktest.RobotOption{dingtalktest.WithKeywords("PAI")}, keyword: "PAI", ok: true, received: 1},
		{name: "unsigned robot", robotSec: "-", secret: "-", ok: true, received: 1},
		{name: "secret without SEC", robotSec: "notSECprefixed-secret", secret: "notSECprefixed-secret", ok: true, hint: "does not start with SEC", received: 1},
		{name: "secret is a URL", secret: "https://oapi.dingtalk.com/robot/send?access_token=zzzz", errcode: 310000, hint: "was the webhook pasted into secret"},
		{name: "unknown token", webhook: func(f *fixture, _ string) string {
			return "http://" + f.host + "/robot/send?access_token=" + strings.Repeat("0", 64)
		}, errcode: 300001, errmsg: "token is not exist", hint: "whole Webhook URL"},
		{name: "sign missing", secret: "-", errcode: 310000, errmsg: "sign not match", hint: "carried no secret"},
		{name: "sign wrong", secret: testSecret[:len(testSecret)-1] + "0", errcode: 310000, errmsg: "sign not match", hint: "secret differs"},
		{name: "keyword missing", robotOpts: []dingtalktest.RobotOption{dingtalktest.WithKeywords("PAI")}, errcode: 310000, errmsg: "keywords not in content", hint: `Add "keyword"`},
		{name: "keyword wrong", robotOpts: []dingtalktest.RobotOption{dingtalktest.WithKeywords("PAI")}, keyword: "训练", errcode: 310000, hint: "carried a keyword, which is not one"},
		{name: "timestamp", serverOpts: []dingtalktest.Option{dingtalktest.WithClock(skewed)}, errcode: 310000, errmsg: "invalid timestamp", hint: "this function's clock, which reads"},
		{name: "ip allow-list", robotOpts: []dingtalktest.RobotOption{dingtalktest.WithAllowedIPs("203.0.113.0/24")}, errcode: 310000, errmsg: "whitelist", hint: "IP allow-list"},
		{name: "dissolved", robotOpts: []dingtalktest.RobotOption{dingtalktest.Dissolved()}, errcode: 400013, hint: "dissolved"},
		{name: "disabled", robotOpts: []dingtalktest.RobotOption{dingtalktest.Disabled()}, errcode: 400102, hint: "disabled"},
		{name: "removed", robotOpts: []dingtalktest.RobotOption{dingtalktest.Removed()}, errcode: 400106, hint: "removed"},
		{name: "rate limited", serverOpts: []dingtalktest.Option{dingtalktest.WithLimit(0)}, errcode: 130101, errmsg: "send too fast", hint: "Test again in 10 minutes"},
		{name: "rate limited 410100", fault: fault(dingtalktest.ErrcodeFault(410100, "发送速度太快而限流")), errcode: 410100, hint: "Rate-limited"},
		{name: "body too large", fault: fault(dingtalktest.ErrcodeFault(460101, "message too long, exceed 20000 bytes")), errcode: 460101, hint: `shorten "message"`},
		{name: "external group", fault: fault(dingtalktest.ErrcodeFault(300005, "token is not exist")), errcode: 300005, hint: "external"},
		{name: "new-style sign message", fault: fault(dingtalktest.ErrcodeFault(310000, "description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中")), errcode: 310000, hint: "secret differs"},
		{name: "http 500", fault: fault(dingtalktest.StatusFault(500)), errmsg: "HTTP 500", hint: "test again in a few minutes"},
		{name: "not dingtalk", fault: fault(dingtalktest.BodyFault("<html>proxy</html>")), errmsg: "not DingTalk JSON", hint: "a proxy answered for DingTalk"},
		{name: "timeout", fault: fault(dingtalktest.HangFault()), timeout: 100 * time.Millisecond, errmsg: "timeout", hint: "Timed out", unreachable: true},
		{name: "closed port", webhook: func(f *fixture, hook string) string {
			return strings.Replace(hook, f.host, closedPort(t), 1)
		}, errmsg: "refused", hint: "Could not reach DingTalk (refused)", unreachable: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSend(t, tc)
		})
	}
}

func runSend(t *testing.T, tc sendCase) {
	f := newFixture(t, fixtureOpts{serverOpts: tc.serverOpts, timeout: tc.timeout})
	robotSec := testSecret
	if tc.robotSec == "-" {
		robotSec = ""
	} else if tc.robotSec != "" {
		robotSec = tc.robotSec
	}
	hook := f.robot.AddRobot(testToken, robotSec, tc.robotOpts...)
	if tc.webhook != nil {
		// The test's webhook may name another host (the closed port): allow it.
		hook = tc.webhook(f, hook)
		f.tester = New(Config{Timeout: f.tester.timeout, Logger: f.tester.log, AllowedHosts: []string{f.host, mustHost(hook)}})
	}
	if tc.fault != nil {
		f.robot.Fault(testToken, 1, *tc.fault)
	}
	sec := tc.secret
	switch sec {
	case "":
		sec = testSecret
	case "-":
		sec = ""
	}
	req := map[string]string{"webhook": hook}
	if sec != "" {
		req["secret"] = sec
	}
	if tc.keyword != "" {
		req["keyword"] = tc.keyword
	}
	if tc.message != "" {
		req["message"] = tc.message
	}
	resp, a := f.post(jsonBody(req))
	t.Logf("answer: %s", resp.Body)
	if resp.Status != 200 {
		t.Fatalf("status = %d, want 200: %s", resp.Status, resp.Body)
	}
	if a.OK != tc.ok || a.ErrCode != tc.errcode {
		t.Errorf("ok, errcode = %v, %d; want %v, %d\n%s", a.OK, a.ErrCode, tc.ok, tc.errcode, resp.Body)
	}
	if !strings.Contains(a.ErrMsg, tc.errmsg) {
		t.Errorf("errmsg = %q, want it to contain %q", a.ErrMsg, tc.errmsg)
	}
	if !strings.Contains(a.Hint, tc.hint) {
		t.Errorf("hint = %q, want it to contain %q", a.Hint, tc.hint)
	}
	if !a.OK && !hasHan(a.Hint) {
		t.Errorf("hint has no Chinese: %q", a.Hint)
	}
	if a.LatencyMs == nil || *a.LatencyMs < 0 {
		t.Errorf("latencyMs missing or negative: %s", resp.Body)
	}
	msgs := f.robot.Messages()
	if len(msgs) != tc.received {
		t.Fatalf("group received %d messages, want %d", len(msgs), tc.received)
	}
	for _, m := range msgs {
		if !strings.Contains(m.Title, "pai-notifier") {
			t.Errorf("test message title %q does not say pai-notifier", m.Title)
		}
		if tc.message != "" && !strings.Contains(m.Text, tc.message) {
			t.Errorf("test message text %q lacks the override %q", m.Text, tc.message)
		}
		if tc.keyword != "" && !strings.Contains(m.Title+m.Text, tc.keyword) {
			t.Errorf("test message lacks keyword %q", tc.keyword)
		}
	}
	logs := f.logs.String()
	assertNoLeak(t, "answer", string(resp.Body), testToken, testSecret, tc.secret)
	assertNoLeak(t, "log", logs, testToken, testSecret, tc.secret)
	checkLogLine(t, logs, a, "dingtalk", dingtalk.RobotID(hook), tc.unreachable)
}

// checkLogLine: one JSON line per request, with outcome, errcode, latency,
// type and robot id, and no URL.
func checkLogLine(t *testing.T, logs string, a answer, typ, robot string, unreachable bool) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line per request, got %d:\n%s", len(lines), logs)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("log line is not JSON: %v", err)
	}
	want := "ok"
	switch {
	case !a.OK && unreachable:
		want = "unreachable"
	case !a.OK:
		want = "rejected"
	}
	if rec["outcome"] != want || rec["type"] != typ || rec["robot"] != robot || rec["errcode"] != float64(a.ErrCode) || rec["latencyMs"] == nil {
		t.Errorf("log line %s: want outcome %q, type %q, robot %q, errcode %d, latencyMs", lines[0], want, typ, robot, a.ErrCode)
	}
	if strings.Contains(logs, "access_token") || strings.Contains(logs, "/robot/send") {
		t.Errorf("log line names the webhook: %s", logs)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func mustHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u.Host
}

// closedPort returns 127.0.0.1:<port> where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRule(t *testing.T) {
	robot := dingtalktest.New()
	defer robot.Close()
	hook := robot.AddRobot(testToken, testSecret, dingtalktest.WithKeywords("PAI"))
	gone := robot.AddRobot("gone-"+testToken[:20], "", dingtalktest.Removed())
	doc := `
rules:
  - name: team
    source: dlc
    lang: en
    target:
      webhook: ${HOOK}
      secret: ${SEC}
      keyword: PAI
  - name: nokeyword
    source: dlc
    target:
      webhook: ${HOOK}
      secret: ${SEC}
  - name: gone
    source: dlc
    target:
      webhook: ${GONE}
`
	env := map[string]string{"NOTIFY_RULES": doc, "HOOK": hook, "SEC": testSecret, "GONE": gone,
		"CONNTEST_ALLOWED_HOSTS": "oapi.dingtalk.com"}
	cfg := FromEnv(func(k string) string { return env[k] })
	if cfg.RulesErr != nil {
		t.Fatalf("rules: %v", cfg.RulesErr)
	}
	logs := &runtimetest.SyncBuffer{}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	tester := New(cfg)
	tests := []struct {
		rule    string
		status  int
		ok      bool
		errcode int
		want    string // in error or hint
	}{
		// The rule's webhook is the operator's, so the allowed-host list (here
		// only oapi.dingtalk.com) does not apply to it.
		{"team", 200, true, 0, "Connected"},
		{"nokeyword", 200, false, 310000, "for a rule, set keyword in the rule's target"},
		{"gone", 200, false, 400106, "removed"},
		{"nope", 400, false, 0, `unknown rule "nope"`},
	}
	for _, tc := range tests {
		resp := tester.Handle(context.Background(), Request{Method: "POST", Body: []byte(`{"rule":"` + tc.rule + `"}`)})
		var a answer
		_ = json.Unmarshal(resp.Body, &a)
		if resp.Status != tc.status || a.OK != tc.ok || a.ErrCode != tc.errcode || !strings.Contains(a.Error+a.Hint, tc.want) {
			t.Errorf("rule %q: %d %s; want %d ok=%v errcode %d containing %q", tc.rule, resp.Status, resp.Body, tc.status, tc.ok, tc.errcode, tc.want)
		}
		assertNoLeak(t, "answer", string(resp.Body), testToken, testSecret)
	}
	msgs := robot.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Title, "PAI") || !strings.Contains(msgs[0].Title, "connectivity test") {
		t.Errorf("messages %+v, want one English test message carrying keyword PAI", msgs)
	}
	assertNoLeak(t, "log", logs.String(), testToken, testSecret)
	if !strings.Contains(logs.String(), `"rule":"team"`) {
		t.Errorf("log does not name the rule: %s", logs)
	}
}

func TestRulesFailedToLoad(t *testing.T) {
	env := map[string]string{"NOTIFY_RULES": "rules:\n  - name: x\n    source: dlcc\n    target:\n      webhook: https://oapi.dingtalk.com/robot/send?access_token=" + testToken + "\n"}
	cfg := FromEnv(func(k string) string { return env[k] })
	if cfg.RulesErr == nil {
		t.Fatal("want a rules error")
	}
	var buf runtimetest.SyncBuffer
	cfg.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	tester := New(cfg)
	resp := tester.Handle(context.Background(), Request{Method: "POST", Body: []byte(`{"rule":"x"}`)})
	var a answer
	_ = json.Unmarshal(resp.Body, &a)
	if resp.Status != 500 || !strings.Contains(a.Error, "rules failed to load") || strings.Contains(a.Error, "dlcc") || strings.Contains(a.Error, `"x"`) {
		t.Errorf("broken rules: %d %s; want 500 saying so, without the rules' problems (they name rules)", resp.Status, resp.Body)
	}
	if !strings.Contains(buf.String(), "dlcc") {
		t.Errorf("the log does not say what is wrong with the rules: %s", buf.String())
	}
	assertNoLeak(t, "answer", string(resp.Body), testToken)
	// Webhook tests still work: a bad rules document must not take the
	// connectivity test down with it.
	resp = tester.Handle(context.Background(), Request{Method: "POST", Body: []byte(`{"webhook":"http://127.0.0.1:1/x"}`)})
	if resp.Status != 400 || !strings.Contains(string(resp.Body), "not ones this function may call") {
		t.Errorf("webhook test with broken rules: %d %s", resp.Status, resp.Body)
	}
	if !strings.Contains(buf.String(), `"level":"WARN","msg":"rules failed to load`) {
		t.Errorf("New did not warn about the rules once: %s", buf.String())
	}
	if !strings.Contains(buf.String(), `"outcome":"config-error"`) || !strings.Contains(buf.String(), `"level":"ERROR"`) {
		t.Errorf("config error not logged as an error: %s", buf.String())
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{"CONNTEST_TOKEN": " tok ", "CONNTEST_ALLOWED_HOSTS": "a.example, B.example:8443", "CONNTEST_RATE_LIMIT": "2/10s"}
	cfg := FromEnv(func(k string) string { return env[k] })
	if cfg.Token.Reveal() != "tok" || len(cfg.AllowedHosts) != 2 || cfg.RateLimit != "2/10s" {
		t.Errorf("FromEnv = %#v", cfg)
	}
	if !errors.Is(cfg.RulesErr, rules.ErrNoRules) || cfg.Rules != nil {
		t.Errorf("no rules: Rules %v, RulesErr %v", cfg.Rules, cfg.RulesErr)
	}
	tester := New(cfg)
	if !tester.allowed.allows("b.example", "8443") || !tester.allowed.allows("a.example", "443") || tester.allowed.allows("oapi.dingtalk.com", "443") {
		t.Errorf("allowed = %v: CONNTEST_ALLOWED_HOSTS must replace the default", tester.allowed)
	}
	if tester.limit.rate != (rate.Rate{N: 2, Per: 10 * time.Second}) {
		t.Errorf("limit = %v, want CONNTEST_RATE_LIMIT's 2/10s", tester.limit.rate)
	}
	// The default list is the five official hosts, port 443, and nothing else.
	official := []string{"oapi.dingtalk.com", "qyapi.weixin.qq.com", "open.feishu.cn", "open.larksuite.com", "hooks.slack.com"}
	d := New(FromEnv(func(string) string { return "" }))
	if len(d.allowed) != len(official) || d.hasToken || d.limit.rate != (rate.Rate{N: 5, Per: time.Minute}) {
		t.Errorf("defaults: allowed %v, hasToken %v, limit %v", d.allowed, d.hasToken, d.limit.rate)
	}
	for _, h := range official {
		if !d.allowed.allows(h, "443") || d.allowed.allows(h, "8443") {
			t.Errorf("default allowed %v: want %s on port 443 only", d.allowed, h)
		}
	}
}

func TestScrub(t *testing.T) {
	hook := secret.String("https://oapi.dingtalk.com/robot/send?access_token=" + testToken)
	in := "a " + hook.Reveal() + " b " + testToken + " c " + url.QueryEscape(testSecret) + " d " + testSecret
	out := scrub(in, hook, testSecret)
	assertNoLeak(t, "scrubbed", out, testToken, testSecret)
	if !strings.HasPrefix(out, "a <secret> b <secret>") {
		t.Errorf("scrub = %q", out)
	}
	// Every service keeps its credential somewhere else in the URL: a
	// quote of any piece of it is scrubbed, and the words around it stay.
	for _, tc := range []struct{ hook, sec, cred string }{
		{"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + wecomKey, "", wecomKey},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/" + larkToken, larkSecret, larkToken},
		{"https://hooks.slack.com/services/" + slackPath, "", "slackpathXq8Zr2Lm5Vn9Kd3Wt7"},
		{"https://hooks.example.com/pai?token=" + hookToken, "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", hookToken},
		{"https://u:pa55w0rd-xyz@hooks.example.com/pai", "", "pa55w0rd-xyz"},
	} {
		in := "answer quoted " + tc.cred + " and " + tc.sec + "; robot send hook"
		out := scrub(in, secret.String(tc.hook), secret.String(tc.sec))
		assertNoRun(t, "scrubbed", out, tc.cred, tc.sec)
		if !strings.Contains(out, "robot send hook") {
			t.Errorf("scrub took ordinary words: %q", out)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		`{"webhook":"https://oapi.dingtalk.com/robot/send?access_token=abc","secret":"SECabc"}`,
		`{"rule":"team","message":"hi"}`,
		`{"webhook":1}`, `[]`, `null`, `{"a":`, "", `{"rule":"x"} 1`,
	} {
		f.Add([]byte(s))
	}
	hosts := hostList{{"oapi.dingtalk.com", "443"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := parseRequest(body)
		if err != nil {
			if r != (testRequest{}) {
				t.Errorf("error %v with a non-zero request", err)
			}
			return
		}
		if r.Webhook.IsZero() == (r.Rule == "") {
			t.Errorf("accepted a request with webhook set %v and rule %q", !r.Webhook.IsZero(), r.Rule)
		}
		if werr := checkWebhook("dingtalk", r.Webhook.Reveal(), hosts); werr == nil {
			u, err := url.Parse(r.Webhook.Reveal())
			if err != nil || u.Scheme != "https" || !strings.EqualFold(u.Hostname(), "oapi.dingtalk.com") || (u.Port() != "" && u.Port() != "443") ||
				u.User != nil || u.Query().Get("access_token") == "" {
				t.Errorf("checkWebhook accepted a webhook it should refuse")
			}
		} else if tok := accessToken(r.Webhook.Reveal()); len(tok) >= 4 && strings.Contains(werr.Error(), tok) {
			t.Errorf("refusal quotes the access token")
		}
	})
}

// FuzzHandle drives the whole handler with arbitrary bodies: it must answer
// JSON with a known status and never panic. No robot is reachable, so a
// body that passes every check fails to connect.
func FuzzHandle(f *testing.F) {
	f.Add([]byte(`{"webhook":"http://127.0.0.1:1/robot/send?access_token=abcd","secret":"SECx"}`))
	f.Add([]byte(`{"rule":"x"}`))
	f.Add([]byte(`{"webhook":"http://127.0.0.1:1/robot/send?access_token=https://x"}`))
	tester := fuzzTester()
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := tester.Handle(context.Background(), Request{Method: "POST", Body: body})
		switch resp.Status {
		case 200, 400, 413:
		case 429: // fuzzed bodies reuse tokens, so the per-robot limit is reached
			if resp.Headers["retry-after"] == "" {
				t.Fatalf("429 without Retry-After: %s", resp.Body)
			}
		default:
			t.Fatalf("status %d: %s", resp.Status, resp.Body)
		}
		if !json.Valid(resp.Body) {
			t.Fatalf("answer is not JSON: %q", resp.Body)
		}
	})
}

// FuzzNoLeak builds requests around two markers, one inside the webhook
// where the credential goes and one in the secret, with fuzzed text around
// them, and sends each as every service's: whatever the handler makes of
// the request, its answer must not carry either marker.
func FuzzNoLeak(f *testing.F) {
	f.Add("http://127.0.0.1:1/robot/send?access_token=", "", "SEC", "")
	f.Add("https://127.0.0.1:1/robot/send?access_token=", "&x=1", "", "tail")
	f.Add("http://127.0.0.1:1/robot/send?access_token=https://oapi.dingtalk.com/robot/send?access_token=", "", "https://", "")
	f.Add("", "", "", "")
	f.Add("http://u:", "@127.0.0.1:1/?access_token=x", "", "")
	f.Add("http://127.0.0.1:1/cgi-bin/webhook/send?key=", "", "", "")
	f.Add("http://127.0.0.1:1/open-apis/bot/v2/hook/", "", "", "")
	f.Add("http://127.0.0.1:1/services/T0/B0/", "/x", "", "")
	f.Add("http://127.0.0.1:1/hooks/", "?token=x", "whsec_", "")
	const tokMark, secMark = "ZQ9tokenmarkQZ7", "ZQ9secretmarkQZ7"
	tester := fuzzTester()
	f.Fuzz(func(t *testing.T, hookHead, hookTail, secHead, secTail string) {
		for _, typ := range append(channels.Names(), "") {
			body, _ := json.Marshal(map[string]string{"type": typ, "webhook": hookHead + tokMark + hookTail, "secret": secHead + secMark + secTail})
			resp := tester.Handle(context.Background(), Request{Method: "POST", Body: body})
			if strings.Contains(string(resp.Body), tokMark) || strings.Contains(string(resp.Body), secMark) {
				t.Errorf("type %q: answer leaks a marker: %s", typ, resp.Body)
			}
		}
	})
}

func fuzzTester() *Tester {
	return New(Config{
		AllowedHosts: []string{"127.0.0.1:1"}, // never a real host: tests stay on loopback
		Timeout:      200 * time.Millisecond,
		Logger:       slog.New(slog.NewJSONHandler(discard{}, nil)),
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// accessToken digs an access_token value out of any text, for the fuzzers'
// leak checks.
func accessToken(s string) string {
	i := strings.Index(s, "access_token=")
	if i < 0 {
		return ""
	}
	s = s[i+len("access_token="):]
	if j := strings.IndexAny(s, `&"\ `); j >= 0 {
		s = s[:j]
	}
	return s
}

func BenchmarkHandle(b *testing.B) {
	robot := dingtalktest.New(dingtalktest.WithLimit(1 << 30))
	defer robot.Close()
	hook := robot.AddRobot(testToken, testSecret)
	tester := New(Config{
		AllowedHosts: []string{strings.TrimPrefix(robot.URL(), "http://")},
		RateLimit:    "1000000000/1s", // the benchmark measures the handler, not the limit
		Timeout:      5 * time.Second,
		Logger:       slog.New(slog.NewJSONHandler(discard{}, nil)),
	})
	bodies := map[string][]byte{
		"send":    []byte(jsonBody(map[string]string{"webhook": hook, "secret": testSecret})),
		"refused": []byte(jsonBody(map[string]string{"webhook": "https://evil.example/?access_token=" + testToken})),
	}
	for name, body := range bodies {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if resp := tester.Handle(context.Background(), Request{Method: "POST", Body: body}); resp.Status != 200 && resp.Status != 400 {
					b.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
			}
		})
	}
}

func BenchmarkParseRequest(b *testing.B) {
	body := []byte(jsonBody(map[string]string{"webhook": "https://oapi.dingtalk.com/robot/send?access_token=" + testToken, "secret": testSecret, "keyword": "PAI"}))
	hosts := hostList{{"oapi.dingtalk.com", "443"}}
	b.ReportAllocs()
	for b.Loop() {
		r, err := parseRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := checkWebhook("dingtalk", r.Webhook.Reveal(), hosts); err != nil {
			b.Fatal(err)
		}
	}
}
