package dingtalktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/golden"
)

const (
	tok = "t0k3n"
	sec = "SECfakerobotsecret"
)

func start(t *testing.T, opts ...Option) (*Server, *Clock) {
	t.Helper()
	clk := NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s := New(append([]Option{WithClock(clk.Now)}, opts...)...)
	t.Cleanup(s.Close)
	return s, clk
}

// sign is written out here rather than taken from package dingtalk, so a
// mistake on one side cannot hide the same mistake on the other.
func sign(secret string, ms int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d\n%s", ms, secret)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func signedQuery(token, secret string, at time.Time) string {
	ms := at.UnixMilli()
	return "access_token=" + token + "&timestamp=" + strconv.FormatInt(ms, 10) + "&sign=" + url.QueryEscape(sign(secret, ms))
}

const mdBody = `{"msgtype":"markdown","markdown":{"title":"PAI 告警","text":"### job failed @138"},"at":{"atMobiles":["138"],"atUserIds":[],"isAtAll":false}}`

type reply struct {
	status  int
	errcode int
	errmsg  string
}

func post(t *testing.T, s *Server, method, pathQuery, ctype, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+pathQuery, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	r := reply{status: resp.StatusCode, errcode: -999}
	if json.Unmarshal(raw, &a) == nil && a.ErrCode != nil {
		r.errcode, r.errmsg = *a.ErrCode, a.ErrMsg
	} else {
		r.errmsg = string(raw)
	}
	return r
}

func TestChecks(t *testing.T) {
	const js = "application/json; charset=utf-8"
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	signed := "/robot/send?" + signedQuery(tok, sec, now)
	// A timestamp near now whose signature has a '+', which an unencoded
	// query turns into a space.
	plusMs := now.UnixMilli()
	for !strings.Contains(sign(sec, plusMs), "+") {
		plusMs++
	}
	tests := []struct {
		name         string
		robot        []RobotOption
		secret       string
		method, path string
		ctype, body  string
		wantStatus   int
		wantCode     int
		wantMsg      string
	}{
		{name: "ok signed", secret: sec, path: signed, wantCode: 0, wantMsg: "ok"},
		{name: "ok unsigned robot ignores sign", path: "/robot/send?access_token=" + tok, wantCode: 0},
		{name: "ok content-type without charset", secret: sec, path: signed, ctype: "application/json", wantCode: 0},
		{name: "GET", secret: sec, method: "GET", path: signed, wantCode: CodeNeedPOST},
		{name: "other path", path: "/robot/other?access_token=" + tok, wantStatus: 404, wantCode: -999},
		{name: "missing token", secret: sec, path: "/robot/send", wantCode: CodeNoToken, wantMsg: "token is not exist"},
		{name: "unknown token", secret: sec, path: "/robot/send?" + signedQuery("nope", sec, now), wantCode: CodeNoToken},
		{name: "whole URL as token", path: "/robot/send?access_token=" + url.QueryEscape("https://oapi.dingtalk.com/robot/send?access_token="+tok), wantCode: CodeNoToken},
		{name: "missing sign", secret: sec, path: "/robot/send?access_token=" + tok, wantCode: CodeSecurity, wantMsg: "sign not match"},
		{name: "missing timestamp", secret: sec, path: "/robot/send?access_token=" + tok + "&sign=abc", wantCode: CodeSecurity, wantMsg: "sign not match"},
		{name: "wrong secret", secret: sec, path: "/robot/send?" + signedQuery(tok, "SECother", now), wantCode: CodeSecurity, wantMsg: "sign not match"},
		{name: "timestamp in seconds", secret: sec, path: "/robot/send?access_token=" + tok + "&timestamp=" + strconv.FormatInt(now.Unix(), 10) + "&sign=" + url.QueryEscape(sign(sec, now.Unix())), wantCode: CodeSecurity, wantMsg: "invalid timestamp"},
		{name: "clock 61 minutes behind", secret: sec, path: "/robot/send?" + signedQuery(tok, sec, now.Add(-61*time.Minute)), wantCode: CodeSecurity, wantMsg: "invalid timestamp"},
		{name: "clock 61 minutes ahead", secret: sec, path: "/robot/send?" + signedQuery(tok, sec, now.Add(61*time.Minute)), wantCode: CodeSecurity, wantMsg: "invalid timestamp"},
		{name: "clock 59 minutes behind is fine", secret: sec, path: "/robot/send?" + signedQuery(tok, sec, now.Add(-59*time.Minute)), wantCode: 0},
		{name: "timestamp not a number", secret: sec, path: "/robot/send?access_token=" + tok + "&timestamp=abc&sign=x", wantCode: CodeSecurity, wantMsg: "invalid timestamp"},
		{name: "sign encoded twice", secret: sec, path: "/robot/send?access_token=" + tok + "&timestamp=" + strconv.FormatInt(now.UnixMilli(), 10) + "&sign=" + url.QueryEscape(url.QueryEscape(sign(sec, now.UnixMilli()))), wantCode: CodeSecurity, wantMsg: "sign not match"},
		{name: "sign not encoded (+ becomes space)", secret: sec, path: "/robot/send?access_token=" + tok + "&timestamp=" + strconv.FormatInt(plusMs, 10) + "&sign=" + sign(sec, plusMs), wantCode: CodeSecurity, wantMsg: "sign not match"},
		{name: "keyword present", robot: []RobotOption{WithKeywords("告警")}, path: "/robot/send?access_token=" + tok, wantCode: 0},
		{name: "keyword in title only", robot: []RobotOption{WithKeywords("PAI")}, path: "/robot/send?access_token=" + tok, wantCode: 0},
		{name: "keyword missing", robot: []RobotOption{WithKeywords("部署")}, path: "/robot/send?access_token=" + tok, wantCode: CodeSecurity, wantMsg: "keywords not in content"},
		{name: "ip allowed", robot: []RobotOption{WithAllowedIPs("127.0.0.1")}, path: "/robot/send?access_token=" + tok, wantCode: 0},
		{name: "ip not allowed", robot: []RobotOption{WithAllowedIPs("10.0.0.0/8")}, path: "/robot/send?access_token=" + tok, wantCode: CodeSecurity, wantMsg: "not in whitelist"},
		{name: "disabled", robot: []RobotOption{Disabled()}, path: "/robot/send?access_token=" + tok, wantCode: CodeDisabled},
		{name: "dissolved", robot: []RobotOption{Dissolved()}, path: "/robot/send?access_token=" + tok, wantCode: CodeDissolved},
		{name: "removed", robot: []RobotOption{Removed()}, path: "/robot/send?access_token=" + tok, wantCode: CodeRemoved},
		{name: "text/plain", secret: sec, path: signed, ctype: "text/plain", wantCode: CodeContentType},
		{name: "no content-type", secret: sec, path: signed, ctype: "-", wantCode: CodeContentType},
		{name: "too large", secret: sec, path: signed, body: padTo(MaxBodyBytes + 1), wantCode: CodeBodyTooLarge},
		{name: "exactly 20000 bytes", secret: sec, path: signed, body: padTo(MaxBodyBytes), wantCode: 0},
		{name: "empty body", secret: sec, path: signed, body: "-", wantCode: CodeNoJSON},
		{name: "not JSON", secret: sec, path: signed, body: "msgtype=markdown", wantCode: CodeNoJSON},
		{name: "no msgtype", secret: sec, path: signed, body: `{"markdown":{"title":"t","text":"x"}}`, wantCode: CodeNoJSON},
		{name: "unknown msgtype", secret: sec, path: signed, body: `{"msgtype":"video"}`, wantCode: CodeBadMsgType},
		{name: "markdown without title", secret: sec, path: signed, body: `{"msgtype":"markdown","markdown":{"text":"x"}}`, wantCode: CodeNoJSON, wantMsg: "markdown.title"},
		{name: "markdown without text", secret: sec, path: signed, body: `{"msgtype":"markdown","markdown":{"title":"t"}}`, wantCode: CodeNoJSON, wantMsg: "markdown.text"},
		{name: "actionCard without button", secret: sec, path: signed, body: `{"msgtype":"actionCard","actionCard":{"title":"t","text":"x"}}`, wantCode: CodeNoJSON, wantMsg: "singleTitle"},
		{name: "actionCard", secret: sec, path: signed, body: `{"msgtype":"actionCard","actionCard":{"title":"t","text":"x","singleTitle":"b","singleURL":"https://a"}}`, wantCode: 0},
		{name: "a type pai-notifier never sends", secret: sec, path: signed, body: `{"msgtype":"text","text":{"content":"x"}}`, wantCode: CodeBadMsgType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := start(t)
			s.AddRobot(tok, tt.secret, tt.robot...)
			method, ctype, body := tt.method, tt.ctype, tt.body
			if method == "" {
				method = "POST"
			}
			switch ctype {
			case "":
				ctype = js
			case "-":
				ctype = ""
			}
			switch body {
			case "":
				body = mdBody
			case "-":
				body = ""
			}
			r := post(t, s, method, tt.path, ctype, body)
			wantStatus := tt.wantStatus
			if wantStatus == 0 {
				wantStatus = 200
			}
			if r.status != wantStatus || r.errcode != tt.wantCode || !strings.Contains(r.errmsg, tt.wantMsg) {
				t.Fatalf("answer HTTP %d errcode %d %q, want HTTP %d errcode %d containing %q", r.status, r.errcode, r.errmsg, wantStatus, tt.wantCode, tt.wantMsg)
			}
			accepted := len(s.Messages())
			if (tt.wantCode == 0 && tt.wantStatus == 0) != (accepted == 1) {
				t.Fatalf("accepted %d messages for errcode %d", accepted, tt.wantCode)
			}
			reqs := s.Requests()
			if len(reqs) != 1 || reqs[0].HTTPStatus != wantStatus || (!reqs[0].Plain && reqs[0].Code != tt.wantCode) {
				t.Fatalf("recorded %+v", reqs)
			}
		})
	}
}

// padTo builds a valid markdown message body of exactly n bytes.
func padTo(n int) string {
	head, tail := `{"msgtype":"markdown","markdown":{"title":"t","text":"`, `"}}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestRecordsMessage(t *testing.T) {
	s, clk := start(t)
	s.AddRobot(tok, sec)
	r := post(t, s, "POST", "/robot/send?"+signedQuery(tok, sec, clk.Now()), "application/json", mdBody)
	if r.errcode != 0 {
		t.Fatalf("answer %+v", r)
	}
	m := s.Messages()[0]
	if m.Token != tok || m.MsgType != "markdown" || m.Title != "PAI 告警" || m.Text != "### job failed @138" ||
		len(m.AtMobiles) != 1 || m.AtMobiles[0] != "138" || m.AtAll || string(m.Raw) != mdBody || !m.Time.Equal(clk.Now()) {
		t.Fatalf("recorded %+v", m)
	}
	if s.Count(0) != 1 || s.Count(CodeSecurity) != 0 {
		t.Fatalf("Count(0) = %d", s.Count(0))
	}
}

func TestRateLimit(t *testing.T) {
	s, clk := start(t, WithLimit(3), WithLockout(5*time.Minute))
	s.AddRobot(tok, "")
	s.AddRobot("other", "")
	send := func(token string) int {
		return post(t, s, "POST", "/robot/send?access_token="+token, "application/json", mdBody).errcode
	}
	for i := range 3 {
		if c := send(tok); c != 0 {
			t.Fatalf("send %d: errcode %d", i+1, c)
		}
		clk.Add(10 * time.Second)
	}
	if c := send(tok); c != CodeTooFast {
		t.Fatalf("4th send in a minute: errcode %d, want %d", c, CodeTooFast)
	}
	if c := send("other"); c != 0 {
		t.Fatalf("another robot is limited too: errcode %d", c)
	}
	clk.Add(2 * time.Minute) // window passed; still locked out
	if c := send(tok); c != CodeTooFast {
		t.Fatalf("send during lockout: errcode %d, want %d", c, CodeTooFast)
	}
	clk.Add(3 * time.Minute)
	if c := send(tok); c != 0 {
		t.Fatalf("send after lockout: errcode %d", c)
	}
	// Rejected sends (bad signature, bad body) do not count.
	s2, _ := start(t, WithLimit(1))
	s2.AddRobot(tok, "", WithKeywords("nope"))
	for range 3 {
		post(t, s2, "POST", "/robot/send?access_token="+tok, "application/json", mdBody)
	}
	s2.AddRobot(tok, "")
	if c := post(t, s2, "POST", "/robot/send?access_token="+tok, "application/json", mdBody).errcode; c != 0 {
		t.Fatalf("rejected sends were counted: errcode %d", c)
	}
}

func TestFaults(t *testing.T) {
	s, _ := start(t)
	s.AddRobot(tok, "")
	s.AddRobot("b", "")
	s.Fault(tok, 2, StatusFault(500))
	s.Fault("", 1, ErrcodeFault(-1, "系统繁忙"))
	s.Fault(tok, 1, BodyFault("<html>"))
	q := func(token string) reply {
		return post(t, s, "POST", "/robot/send?access_token="+token, "application/json", mdBody)
	}
	if r := q("b"); r.errcode != -1 { // the "any robot" fault, skipping tok's
		t.Fatalf("robot b: %+v, want errcode -1", r)
	}
	want := []reply{{status: 500, errcode: -999}, {status: 500, errcode: -999}, {status: 200, errcode: -999, errmsg: "<html>"}, {status: 200, errcode: 0, errmsg: "ok"}}
	for i, w := range want {
		r := q(tok)
		if r.status != w.status || r.errcode != w.errcode || (w.errmsg != "" && r.errmsg != w.errmsg) {
			t.Fatalf("request %d: %+v, want %+v", i+1, r, w)
		}
	}
	reqs := s.Requests()
	if reqs[1].Fault != "HTTP 500" || !reqs[1].Plain || reqs[4].Fault != "" {
		t.Fatalf("requests recorded %+v", reqs)
	}
}

// TestHangReleasedByClientAndClose: a hang ends when the client gives up
// and Close returns while one is held.
func TestHangReleasedByClientAndClose(t *testing.T) {
	s := New(WithMaxHang(time.Hour))
	s.AddRobot(tok, "")
	s.Fault(tok, 2, HangFault())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"/robot/send?access_token="+tok, strings.NewReader(mdBody))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("hang answered")
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post(s.URL()+"/robot/send?access_token="+tok, "application/json", strings.NewReader(mdBody))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for len(s.Requests()) < 2 { // wait for the second request to be held
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if err := <-errc; err == nil {
		t.Fatal("held request answered after Close")
	}
	s.active.mu.Lock()
	n := s.active.n
	s.active.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d handlers still running after Close", n)
	}
}

func TestConnections(t *testing.T) {
	s, _ := start(t)
	s.AddRobot(tok, "")
	c := &http.Client{Transport: &http.Transport{}}
	for range 3 {
		resp, err := c.Post(s.URL()+"/robot/send?access_token="+tok, "application/json", strings.NewReader(mdBody))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if n := s.Connections(); n != 1 {
		t.Fatalf("Connections = %d after 3 sends on one keep-alive client, want 1", n)
	}
	c2 := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 2 {
		resp, err := c2.Post(s.URL()+"/robot/send?access_token="+tok, "application/json", strings.NewReader(mdBody))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := s.Connections(); n != 3 {
		t.Fatalf("Connections = %d, want 3", n)
	}
}

func TestNewServerAddr(t *testing.T) {
	s, err := NewServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := NewServer(strings.TrimPrefix(s.URL(), "http://")); err == nil {
		t.Fatal("second server on the same address started")
	}
	if !strings.HasPrefix(s.AddRobot("a b", ""), s.URL()+"/robot/send?access_token=a+b") {
		t.Fatal("webhook not escaped")
	}
}

func TestRender(t *testing.T) {
	msgs := []Received{
		{MsgType: "markdown", Title: "DLC 任务失败", Text: "### train-resnet50\n- 状态: **Failed**\n@13800000000", AtMobiles: []string{"13800000000"}},
		{MsgType: "actionCard", Title: "PAIFlow 运行成功", Text: "pipeline-1 run 42 succeeded", ButtonTitle: "查看详情", ButtonURL: "https://pai.console.aliyun.com/#/x"},
		{MsgType: "markdown", Title: "连通性测试", Text: "connectivity test\n", AtAll: true},
	}
	var b bytes.Buffer
	for _, m := range msgs {
		b.WriteString(Render(m))
		b.WriteString("----\n")
	}
	golden.Check(t, "render", b.Bytes())
}

// FuzzParse: the fake parses outside input; it must answer every body
// with a code and never panic, and accept only what it can record.
func FuzzParse(f *testing.F) {
	f.Add([]byte(mdBody))
	f.Add([]byte(`{"msgtype":"actionCard","actionCard":{"title":"t","text":"x","singleTitle":"b"}}`))
	f.Add([]byte(`{"msgtype":"text","text":{"content":"x"}}`))
	f.Add([]byte(`{"msgtype":null}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, code, msg := Parse(body)
		if code == 0 {
			if m.MsgType == "" {
				t.Fatalf("accepted %q without a msgtype", body)
			}
			return
		}
		if msg == "" || (code != CodeNoJSON && code != CodeBadMsgType) {
			t.Fatalf("Parse(%q) = %d %q", body, code, msg)
		}
	})
}

// FuzzServe drives the whole handler with arbitrary query, header and body.
func FuzzServe(f *testing.F) {
	f.Add("access_token=t0k3n", "application/json", []byte(mdBody))
	f.Add("access_token=t0k3n&timestamp=1&sign=%zz", "text/plain", []byte("x"))
	f.Add("", "", []byte(nil))
	s := New()
	f.Cleanup(s.Close)
	s.AddRobot(tok, "")
	s.AddRobot("signed", sec, WithKeywords("PAI"))
	f.Fuzz(func(t *testing.T, query, ctype string, body []byte) {
		req := httptest.NewRequest("POST", "/robot/send", bytes.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", ctype)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		var a struct {
			ErrCode *int `json:"errcode"`
		}
		if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &a) != nil || a.ErrCode == nil {
			t.Fatalf("answer HTTP %d %q is not DingTalk's", w.Code, w.Body.String())
		}
	})
}
