package main

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/lark/larktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/wecom/wecomtest"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
)

// End-to-end: the built binary, driven through the FC HTTP trigger, the
// Lambda function URL protocol and local mode, against the fake DingTalk
// robot, a fake WeCom robot and a fake Lark bot.

const (
	token     = "e2e0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
	robotSec  = "SECe2efeedfacecafe0123456789abcdef0123456789abcdef0123456789abcd"
	bearer    = "e2e-bearer-93f1"
	goneToken = "e2egone0123456789abcdef0123456789abcdef0123456789abcdef01234567"
	wecomKey  = "e2e0wecom-5d1c-4a7e-9b3f-0c2d8e6f1a4b"
	larkToken = "e2e0lark-7c3b-4e2a-8d1f-9a6b5c4d3e2f"
	larkSec   = "e2eLarkSignSecretZp4Qm8Wn2Rv6"
)

// world is the fakes and the environment the function runs with.
type world struct {
	robot  *dingtalktest.Server
	hook   string // signed, keyword "PAI"
	gone   string // removed from its group
	wecom  *wecomtest.Server
	wcHook string
	lark   *larktest.Server
	lkHook string // signed with larkSec
	env    []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{robot: dingtalktest.New(), wecom: wecomtest.New(), lark: larktest.New()}
	t.Cleanup(w.robot.Close)
	t.Cleanup(w.wecom.Close)
	t.Cleanup(w.lark.Close)
	w.hook = w.robot.AddRobot(token, robotSec, dingtalktest.WithKeywords("PAI"))
	w.gone = w.robot.AddRobot(goneToken, "", dingtalktest.Removed())
	w.wcHook = w.wecom.AddRobot(wecomKey)
	w.lkHook = w.lark.AddBot(larkToken, larktest.WithSecret(larkSec))
	rules := fmt.Sprintf(`{"rules":[
		{"name":"team","source":"dlc","target":{"webhook":%q,"secret":"${TEAM_SECRET}","keyword":"PAI"}},
		{"name":"gone","source":"dlc","target":{"webhook":%q}},
		{"name":"lark-team","source":"dlc","target":{"type":"lark","webhook":%q,"secret":"${LARK_SECRET}"}}]}`, w.hook, w.gone, w.lkHook)
	w.env = []string{
		"NOTIFY_RULES=" + rules,
		"TEAM_SECRET=" + robotSec,
		"LARK_SECRET=" + larkSec,
		// The fakes are plain http on loopback: allowed only because they
		// are listed here and are loopback hosts.
		"CONNTEST_ALLOWED_HOSTS=" + strings.Join([]string{strings.TrimPrefix(w.robot.URL(), "http://"),
			strings.TrimPrefix(w.wecom.URL(), "http://"), strings.TrimPrefix(w.lark.URL(), "http://"), "oapi.dingtalk.com"}, ","),
		"CONNTEST_TOKEN=" + bearer,
		// Four tests of the signed robot per hour: the calls below send it four, so the fifth is
		// refused. An hour, so that no slow machine sees the window end mid-test.
		"CONNTEST_RATE_LIMIT=4/1h",
	}
	return w
}

// call is one HTTP request to the function and what it must answer.
type call struct {
	name    string
	method  string
	auth    string // Authorization header; "" for none
	body    string
	status  int
	ok      bool
	errcode int
	want    string // in error or hint
	header  [2]string
	retry   bool   // a 429: Retry-After must be whole seconds within the hour window
	typ     string // the answer's type when the test ran; "" means dingtalk
}

func (w *world) calls() []call {
	auth := "Bearer " + bearer
	j := func(kv ...string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	return []call{
		{name: "success", method: "POST", auth: auth, body: j("webhook", w.hook, "secret", robotSec, "keyword", "PAI"), status: 200, ok: true, want: "Connected"},
		{name: "rule", method: "POST", auth: auth, body: j("rule", "team"), status: 200, ok: true, want: "Connected"},
		{name: "sign mismatch", method: "POST", auth: auth, body: j("webhook", w.hook, "secret", "SECwrong", "keyword", "PAI"), status: 200, errcode: 310000, want: "secret differs"},
		{name: "keyword missing", method: "POST", auth: auth, body: j("webhook", w.hook, "secret", robotSec), status: 200, errcode: 310000, want: `"keyword"`},
		{name: "removed", method: "POST", auth: auth, body: j("rule", "gone"), status: 200, errcode: 400106, want: "removed"},
		// Other channels: type given (the fakes are on loopback, not on the
		// services' official hosts), or the rule's.
		{name: "wecom", method: "POST", auth: auth, body: j("type", "wecom", "webhook", w.wcHook), status: 200, ok: true, typ: "wecom", want: "WeCom accepted"},
		{name: "wecom unknown key", method: "POST", auth: auth, body: j("type", "wecom", "webhook", strings.Replace(w.wcHook, wecomKey, "x"+wecomKey, 1)),
			status: 200, errcode: 93000, typ: "wecom", want: "Invalid webhook (errcode 93000)"},
		{name: "lark rule", method: "POST", auth: auth, body: j("rule", "lark-team"), status: 200, ok: true, typ: "lark", want: "Lark/Feishu accepted"},
		{name: "lark sign mismatch", method: "POST", auth: auth, body: j("type", "lark", "webhook", w.lkHook, "secret", "e2eWrongSecretAbCdEfGh"),
			status: 200, errcode: 19021, typ: "lark", want: "Signature check failed"},
		{name: "lark on dingtalk's host", method: "POST", auth: auth, body: j("type", "lark", "webhook", "https://oapi.dingtalk.com/robot/send?access_token="+token),
			status: 400, want: "official host"},
		{name: "slack host not listed", method: "POST", auth: auth, body: j("webhook", "https://hooks.slack.com/services/T0/B0/"+larkToken), status: 400, want: "CONNTEST_ALLOWED_HOSTS"},
		// The fifth test of the signed robot within CONNTEST_RATE_LIMIT's hour: nothing is sent.
		{name: "rate limited", method: "POST", auth: auth, body: j("rule", "team"), status: 429, want: "nothing was sent", retry: true},
		{name: "unknown rule", method: "POST", auth: auth, body: j("rule", "nope"), status: 400, want: `unknown rule "nope"`},
		{name: "host not allowed", method: "POST", auth: auth, body: j("webhook", "http://169.254.169.254/?access_token="+token), status: 400, want: "not ones this function may call"},
		{name: "no token", method: "POST", auth: auth, body: j("webhook", "https://oapi.dingtalk.com/robot/send"), status: 400, want: "no access_token"},
		{name: "not json", method: "POST", auth: auth, body: "webhook=" + w.hook, status: 400, want: "not JSON"},
		{name: "too large", method: "POST", auth: auth, body: `{"message":"` + strings.Repeat("x", 70<<10) + `"}`, status: 413, want: "limit"},
		{name: "unauthorized", method: "POST", body: j("webhook", w.hook, "secret", robotSec), status: 401, want: "bearer token", header: [2]string{"www-authenticate", "Bearer"}},
		{name: "wrong token", method: "POST", auth: "Bearer nope", body: j("rule", "team"), status: 401, want: "bearer token"},
		{name: "get", method: "GET", auth: auth, status: 405, want: "POST", header: [2]string{"allow", "POST"}},
	}
}

type answer struct {
	OK      bool   `json:"ok"`
	Type    string `json:"type"`
	Error   string `json:"error"`
	ErrCode int    `json:"errcode"`
	Hint    string `json:"hint"`
}

// check compares one answer with its call, and that nothing secret is in it.
func check(t *testing.T, c call, status int, headers map[string]string, body []byte) {
	t.Helper()
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("%s: answer is not JSON: %v\n%s", c.name, err, body)
	}
	if status != c.status || a.OK != c.ok || a.ErrCode != c.errcode || !strings.Contains(a.Error+a.Hint, c.want) {
		t.Errorf("%s: %d %s\nwant %d ok=%v errcode %d containing %q", c.name, status, body, c.status, c.ok, c.errcode, c.want)
	}
	if wantType := cmp.Or(c.typ, "dingtalk"); status == 200 && a.Type != wantType {
		t.Errorf("%s: type %q, want %q", c.name, a.Type, wantType)
	}
	if k := c.header[0]; k != "" && !strings.Contains(headers[k], c.header[1]) {
		t.Errorf("%s: header %s = %q, want %q", c.name, k, headers[k], c.header[1])
	}
	if secs, err := strconv.Atoi(headers["retry-after"]); c.retry && (err != nil || secs < 1 || secs > 3600) {
		t.Errorf("%s: Retry-After %q, want whole seconds within the hour", c.name, headers["retry-after"])
	} else if !c.retry && headers["retry-after"] != "" {
		t.Errorf("%s: Retry-After %q on a %d", c.name, headers["retry-after"], status)
	}
	noLeak(t, c.name+" answer", string(body))
}

func noLeak(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range []string{token, goneToken, robotSec, bearer, wecomKey, larkToken, larkSec} {
		if strings.Contains(text, s) {
			t.Errorf("%s leaks %s...", where, s[:10])
		}
	}
}

// shape is how a request reaches the function.
type shape struct {
	name string
	kind runtimetest.Kind
	rest bool // API Gateway REST API proxy event (payload 1.0) rather than a function URL's 2.0
}

var shapes = []shape{
	{"fc", runtimetest.FC, false},
	{"lambda-url", runtimetest.Lambda, false},
	{"lambda-rest-api", runtimetest.Lambda, true},
	{"rie-url", runtimetest.RIE, false},
	{"rie-rest-api", runtimetest.RIE, true},
}

// event is the trigger event each platform sends for one request: FC 3.0's
// HTTP trigger event, a Lambda function URL (payload 2.0) event, or an API
// Gateway REST API proxy (payload 1.0) event.
func event(sh shape, c call) []byte {
	kind := sh.kind
	headers := map[string]string{"Content-Type": "application/json"}
	if c.auth != "" {
		headers["Authorization"] = c.auth
	}
	httpCtx := map[string]any{"method": c.method, "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8"}
	var ev map[string]any
	if sh.rest {
		multi := map[string][]string{}
		for k, v := range headers {
			multi[k] = []string{v}
		}
		ev = map[string]any{
			"resource": "/connectivity", "path": "/connectivity", "httpMethod": c.method,
			"headers": headers, "multiValueHeaders": multi, "queryStringParameters": nil, "multiValueQueryStringParameters": nil,
			"pathParameters": nil, "stageVariables": nil, "body": c.body, "isBase64Encoded": false,
			"requestContext": map[string]any{"accountId": "123456789012", "apiId": "abcdefghij", "resourceId": "r1", "stage": "prod",
				"requestId": "rest-req", "resourcePath": "/connectivity", "httpMethod": c.method, "path": "/prod/connectivity",
				"protocol": "HTTP/1.1", "requestTimeEpoch": 1767323045000,
				"identity": map[string]any{"sourceIp": "203.0.113.7", "userAgent": "curl/8", "userArn": "arn:aws:iam::123456789012:user/tester"}},
		}
	} else if kind == runtimetest.FC {
		ev = map[string]any{
			"version": "v1", "rawPath": "/", "body": c.body, "isBase64Encoded": false,
			"headers": headers, "queryParameters": map[string]string{},
			"requestContext": map[string]any{"accountId": "1234567890123456", "domainName": "conn-abc.cn-hangzhou.fcapp.run",
				"domainPrefix": "conn-abc", "requestId": "fc-req", "time": "2026-01-02T03:04:05Z", "timeEpoch": "1767323045000", "http": httpCtx},
		}
	} else {
		lower := map[string]string{}
		for k, v := range headers {
			lower[strings.ToLower(k)] = v
		}
		// Function URLs base64-encode bodies they do not take for text;
		// send them that way to cover the decoding.
		ev = map[string]any{
			"version": "2.0", "rawPath": "/", "rawQueryString": "", "headers": lower,
			"body": base64.StdEncoding.EncodeToString([]byte(c.body)), "isBase64Encoded": true,
			"requestContext": map[string]any{"accountId": "123456789012", "apiId": "abcdefgh", "domainName": "abcdefgh.lambda-url.us-east-1.on.aws",
				"domainPrefix": "abcdefgh", "requestId": "lambda-req", "time": "02/Jan/2026:03:04:05 +0000", "timeEpoch": 1767323045000, "http": httpCtx},
		}
	}
	b, _ := json.Marshal(ev)
	return b
}

// TestRuntimes runs the built function under our FC and Lambda emulators and
// under AWS's runtime interface emulator (skipped when aws-lambda-rie is not
// installed, except on CI).
func TestRuntimes(t *testing.T) {
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			env, opts := w.env, []runtimetest.InvokeOption{runtimetest.WithTimeout(20 * time.Second)}
			if sh.kind == runtimetest.RIE { // its timeout is the process's
				env, opts = append(slices.Clip(env), "AWS_LAMBDA_FUNCTION_TIMEOUT=20"), nil
			}
			rt := runtimetest.Start(t, sh.kind, runtimetest.Build(t, "./functions/connectivity", sh.kind), env)
			calls := w.calls()
			for _, c := range calls {
				res, err := rt.Invoke(context.Background(), event(sh, c), opts...)
				if err != nil || res.Err != nil {
					t.Fatalf("%s: invoke: %v %v\n%s", c.name, err, res.Err, rt.Logs())
				}
				var out struct {
					StatusCode      int               `json:"statusCode"`
					Headers         map[string]string `json:"headers"`
					IsBase64Encoded bool              `json:"isBase64Encoded"`
					Body            string            `json:"body"`
				}
				if err := json.Unmarshal(res.Payload, &out); err != nil {
					t.Fatalf("%s: response %s: %v", c.name, res.Payload, err)
				}
				if out.IsBase64Encoded {
					t.Errorf("%s: JSON answer came base64-encoded", c.name)
				}
				check(t, c, out.StatusCode, out.Headers, []byte(out.Body))
			}
			w.checkReceived(t)
			rt.Close() // flushes the child's output
			logs := rt.Logs()
			noLeak(t, "function log", logs)
			checkLogs(t, logs, len(calls))
		})
	}
}

// checkReceived: the DingTalk group got the webhook and the rule successes,
// the WeCom group its one, the Lark group the rule's.
func (w *world) checkReceived(t *testing.T) {
	t.Helper()
	if n := len(w.robot.Messages()); n != 2 {
		t.Errorf("DingTalk group got %d messages, want 2", n)
	}
	if ms := w.wecom.Messages(); len(ms) != 1 || !strings.Contains(wecomtest.Render(ms[0]), "pai-notifier") {
		t.Errorf("WeCom group got %d messages, want 1 test message", len(ms))
	}
	if ms := w.lark.Messages(); len(ms) != 1 || !ms[0].Signed || !strings.Contains(larktest.Render(ms[0]), "pai-notifier") {
		t.Errorf("Lark group got %+v, want 1 signed test message", ms)
	}
}

// checkLogs: one "connectivity test" line per request, each with a request
// id, none naming a webhook.
func checkLogs(t *testing.T, logs string, want int) {
	t.Helper()
	n := 0
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"msg":"connectivity test"`) {
			continue
		}
		n++
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %s", line)
			continue
		}
		if rec["outcome"] == nil || rec["status"] == nil {
			t.Errorf("log line lacks outcome or status: %s", line)
		}
		if strings.Contains(line, "/robot/send") || strings.Contains(line, "access_token") || strings.Contains(line, "/cgi-bin/") ||
			strings.Contains(line, "/open-apis/") || strings.Contains(line, "key=") {
			t.Errorf("log line names a webhook: %s", line)
		}
	}
	if n != want {
		t.Errorf("%d connectivity-test log lines for %d requests:\n%s", n, want, logs)
	}
}

func TestLocal(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bin := runtimetest.Build(t, "./functions/connectivity", runtimetest.FC)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // the child binds it
	cmd := exec.Command(bin)
	cmd.Env = append([]string{fmt.Sprintf("PORT=%d", port)}, w.env...)
	var logs runtimetest.SyncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { cmd.Process.Kill(); cmd.Wait() }) }
	defer stop()
	base := fmt.Sprintf("http://127.0.0.1:%d/", port)
	waitListening(t, base, &logs, stop)

	calls := w.calls()
	for _, c := range calls {
		req, _ := http.NewRequest(c.method, base, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		headers := map[string]string{}
		for k := range resp.Header {
			headers[strings.ToLower(k)] = resp.Header.Get(k)
		}
		check(t, c, resp.StatusCode, headers, body)
	}
	w.checkReceived(t)
	stop()
	noLeak(t, "function log", logs.String())
	// +1: the probe waitListening sent.
	checkLogs(t, logs.String(), len(calls)+1)
}

// waitListening polls until the local server answers (a GET: 405, sends
// nothing to the robot).
func waitListening(t *testing.T, base string, logs *runtimetest.SyncBuffer, stop func()) {
	t.Helper()
	for i := 0; ; i++ {
		resp, err := http.Get(base)
		if err == nil {
			resp.Body.Close()
			return
		}
		if i == 500 {
			stop()
			t.Fatalf("local server never answered: %v\n%s", err, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
