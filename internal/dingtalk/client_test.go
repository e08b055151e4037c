package dingtalk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

const (
	testToken  = "tok0c0ffee0c0ffee0c0ffee"
	testSecret = "SECs3cr3tvalue0000000000000000000000000"
)

// clock is a settable clock shared by the fake server and the client.

func newFake(t *testing.T, opts ...dingtalktest.Option) (*dingtalktest.Server, *dingtalktest.Clock) {
	t.Helper()
	clk := dingtalktest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s := dingtalktest.New(append([]dingtalktest.Option{dingtalktest.WithClock(clk.Now), dingtalktest.WithMaxHang(5 * time.Second)}, opts...)...)
	t.Cleanup(s.Close)
	return s, clk
}

var msg = Message{Title: "DLC 任务失败", Text: "### 任务 train-1 失败\n- 状态: Failed", AtMobiles: []string{"13800000000"}}

func TestSendSuccess(t *testing.T) {
	s, clk := newFake(t)
	hook := s.AddRobot(testToken, testSecret)
	c := NewClient(5*time.Second, WithClock(clk.Now))
	for _, m := range []Message{msg, {Title: "hi", Text: "hi"}, {Type: TypeActionCard, Title: "t", Text: "x", ButtonTitle: "b", ButtonURL: "https://x"}} {
		if err := c.SendMessage(context.Background(), secret.String(hook), testSecret, m); err != nil {
			t.Fatalf("Send(%s): %v", m.Type, err)
		}
	}
	got := s.Messages()
	if len(got) != 3 {
		t.Fatalf("server accepted %d messages, want 3", len(got))
	}
	m := got[0]
	if m.Token != testToken || m.MsgType != "markdown" || m.Title != msg.Title || m.Text != msg.Text ||
		len(m.AtMobiles) != 1 || m.AtMobiles[0] != "13800000000" {
		t.Fatalf("received %+v, want %+v", m, msg)
	}
	if got[1].MsgType != "markdown" || got[1].Text != "hi" || got[2].ButtonURL != "https://x" {
		t.Fatalf("received %+v / %+v", got[1], got[2])
	}
	if n := s.Connections(); n != 1 {
		t.Fatalf("3 sends used %d connections, want 1 (connection reuse)", n)
	}
}

// sendCase is one failure mode, used by the table test and the leak test.
type sendCase struct {
	name    string
	setup   func(s *dingtalktest.Server, clk *dingtalktest.Clock) (webhook, secret string)
	msg     Message
	timeout time.Duration
	skew    time.Duration // client clock minus server clock

	class     Class
	code      int
	status    int
	hint      string
	serverHit bool // whether the request must reach the server
}

func failureCases() []sendCase {
	robot := func(opts ...dingtalktest.RobotOption) func(*dingtalktest.Server, *dingtalktest.Clock) (string, string) {
		return func(s *dingtalktest.Server, _ *dingtalktest.Clock) (string, string) {
			return s.AddRobot(testToken, testSecret, opts...), testSecret
		}
	}
	fault := func(f dingtalktest.Fault) func(*dingtalktest.Server, *dingtalktest.Clock) (string, string) {
		return func(s *dingtalktest.Server, _ *dingtalktest.Clock) (string, string) {
			s.Fault(testToken, 1, f)
			return s.AddRobot(testToken, testSecret), testSecret
		}
	}
	return []sendCase{
		{name: "wrong secret", setup: func(s *dingtalktest.Server, _ *dingtalktest.Clock) (string, string) {
			return s.AddRobot(testToken, testSecret), "SECwrongwrongwrongwrong"
		}, class: ClassAuth, code: 310000, hint: "Signature mismatch", serverHit: true},
		{name: "secret missing on signed robot", setup: func(s *dingtalktest.Server, _ *dingtalktest.Clock) (string, string) {
			return s.AddRobot(testToken, testSecret), ""
		}, class: ClassAuth, code: 310000, hint: "Signature mismatch", serverHit: true},
		{name: "clock skew", setup: robot(), skew: 2 * time.Hour, class: ClassAuth, code: 310000, hint: "Clock skew", serverHit: true},
		{name: "keyword missing", setup: robot(dingtalktest.WithKeywords("PAI告警")), class: ClassAuth, code: 310000, hint: "Keyword missing", serverHit: true},
		{name: "ip not allowed", setup: robot(dingtalktest.WithAllowedIPs("10.0.0.0/8")), class: ClassAuth, code: 310000, hint: "IP allow-list", serverHit: true},
		{name: "unknown token", setup: func(s *dingtalktest.Server, _ *dingtalktest.Clock) (string, string) {
			s.AddRobot("other", testSecret)
			return s.URL() + "/robot/send?access_token=" + testToken, testSecret
		}, class: ClassAuth, code: 300001, hint: "Token not found", serverHit: true},
		{name: "disabled", setup: robot(dingtalktest.Disabled()), class: ClassTargetGone, code: 400102, hint: "disabled", serverHit: true},
		{name: "dissolved", setup: robot(dingtalktest.Dissolved()), class: ClassTargetGone, code: 400013, hint: "dissolved", serverHit: true},
		{name: "removed", setup: robot(dingtalktest.Removed()), class: ClassTargetGone, code: 400106, hint: "removed", serverHit: true},
		{name: "too large refused locally", setup: robot(), msg: Message{Title: "t", Text: strings.Repeat("x", MaxBodyBytes)},
			class: ClassTooLarge, hint: "20000-byte"},
		{name: "actionCard without button refused locally", setup: robot(), msg: Message{Type: TypeActionCard, Title: "t", Text: "x"},
			class: ClassBadRequest, hint: "pai-notifier bug"},
		{name: "HTTP 500", setup: fault(dingtalktest.StatusFault(500)), class: ClassServer, status: 500, hint: "HTTP 500", serverHit: true},
		{name: "HTTP 429", setup: fault(dingtalktest.StatusFault(429)), class: ClassRateLimited, status: 429, hint: "20 messages per minute", serverHit: true},
		{name: "HTTP 404", setup: fault(dingtalktest.StatusFault(404)), class: ClassBadRequest, status: 404, hint: "HTTP 404", serverHit: true},
		{name: "busy", setup: fault(dingtalktest.ErrcodeFault(-1, "系统繁忙")), class: ClassBusy, code: -1, hint: "busy", serverHit: true},
		{name: "rate limited", setup: fault(dingtalktest.ErrcodeFault(130101, "send too fast, exceed 20 times per minute")), class: ClassRateLimited, code: 130101, hint: "20 messages per minute", serverHit: true},
		{name: "content rejected", setup: fault(dingtalktest.ErrcodeFault(430102, "含有不恰当的文本")), class: ClassContent, code: 430102, hint: "rejected the content", serverHit: true},
		{name: "unknown errcode", setup: fault(dingtalktest.ErrcodeFault(999999, "new thing")), class: ClassUnknown, code: 999999, hint: "treated as permanent", serverHit: true},
		{name: "not JSON", setup: fault(dingtalktest.BodyFault("<html>gateway</html>")), class: ClassUnknown, status: 200, hint: "not DingTalk JSON", serverHit: true},
		{name: "JSON without errcode", setup: fault(dingtalktest.BodyFault(`{"ok":true}`)), class: ClassUnknown, status: 200, hint: "not DingTalk JSON", serverHit: true},
		{name: "timeout", setup: fault(dingtalktest.HangFault()), timeout: 100 * time.Millisecond, class: ClassNetwork, hint: "timed out", serverHit: true},
		{name: "connection refused", setup: func(*dingtalktest.Server, *dingtalktest.Clock) (string, string) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				panic(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			return "http://" + addr + "/robot/send?access_token=" + testToken, testSecret
		}, class: ClassNetwork, hint: "refused"},
	}
}

func TestSendFailures(t *testing.T) {
	for _, tt := range failureCases() {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := newFake(t)
			hook, sec := tt.setup(s, clk)
			c := NewClient(5*time.Second, WithClock(func() time.Time { return clk.Now().Add(tt.skew) }))
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			m := tt.msg
			if m.Title == "" && m.Text == "" {
				m = msg
			}
			err := c.SendMessage(ctx, secret.String(hook), secret.String(sec), m)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Send error = %v (%T), want *Error", err, err)
			}
			if e.Class != tt.class || e.Code != tt.code || (tt.status != 0 && e.HTTPStatus != tt.status) {
				t.Fatalf("got %s code %d HTTP %d (%v), want %s code %d HTTP %d", e.Class, e.Code, e.HTTPStatus, e, tt.class, tt.code, tt.status)
			}
			if e.Retryable() != tt.class.Retryable() {
				t.Fatalf("Retryable = %v for %s", e.Retryable(), tt.class)
			}
			if h := e.Hint; !strings.Contains(h, tt.hint) {
				t.Fatalf("Hint = %q, want it to contain %q", h, tt.hint)
			}
			if hit := len(s.Requests()) > 0; hit != tt.serverHit {
				t.Fatalf("server saw %d requests, want hit=%v", len(s.Requests()), tt.serverHit)
			}
			if len(s.Messages()) != 0 {
				t.Fatalf("server accepted a message on a failure path: %+v", s.Messages())
			}
		})
	}
}

// TestSendLeaksNoSecret is the Alertmanager-style proof: for every failure
// mode, nothing a caller can print carries the token, the secret or the sign.
func TestSendLeaksNoSecret(t *testing.T) {
	cases := failureCases()
	// A server that echoes the request URL back in its answer, and a TLS
	// server the client does not trust.
	echo := func(status int) func(*dingtalktest.Server, *dingtalktest.Clock) (string, string) {
		return func(*dingtalktest.Server, *dingtalktest.Clock) (string, string) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				fmt.Fprintf(w, "no route for %s (%s) %s", r.URL.String(), r.URL.RawQuery, r.URL.Query().Get("sign"))
			}))
			t.Cleanup(hs.Close)
			return hs.URL + "/robot/send?access_token=" + testToken, testSecret
		}
	}
	cases = append(cases,
		sendCase{name: "echo 200", setup: echo(200)},
		sendCase{name: "echo 400", setup: echo(400)},
		sendCase{name: "echo 503", setup: echo(503)},
		sendCase{name: "untrusted TLS", setup: func(*dingtalktest.Server, *dingtalktest.Clock) (string, string) {
			hs := httptest.NewUnstartedServer(http.NotFoundHandler())
			hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the expected handshake failure
			hs.StartTLS()
			t.Cleanup(hs.Close)
			return hs.URL + "/robot/send?access_token=" + testToken, testSecret
		}},
		sendCase{name: "errmsg echoes token", setup: func(s *dingtalktest.Server, _ *dingtalktest.Clock) (string, string) {
			s.Fault("", 1, dingtalktest.ErrcodeFault(300001, "token "+testToken+" is not exist"))
			return s.AddRobot(testToken, testSecret), testSecret
		}},
	)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s, clk := newFake(t)
			hook, sec := tt.setup(s, clk)
			now := func() time.Time { return clk.Now().Add(tt.skew) }
			c := NewClient(5*time.Second, WithClock(now))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if tt.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			m := tt.msg
			if m.Title == "" && m.Text == "" {
				m = msg
			}
			err := c.SendMessage(ctx, secret.String(hook), secret.String(sec), m)
			if err == nil {
				t.Fatal("Send succeeded, want a failure")
			}
			sign := Sign(testSecret, now().UnixMilli())
			forbidden := []string{testToken, testSecret, sign, url.QueryEscape(sign)}
			var e *Error
			errors.As(err, &e)
			printed := map[string]string{
				"Error()": err.Error(),
				"%v":      fmt.Sprintf("%v", err),
				"%+v":     fmt.Sprintf("%+v", err),
				"%#v":     fmt.Sprintf("%#v", err),
				"Hint()":  e.Hint,
				"Msg":     e.Msg,
			}
			if e.Err != nil {
				printed["Err"] = e.Err.Error()
				printed["Err %+v"] = fmt.Sprintf("%+v", e.Err)
				for u := errors.Unwrap(e.Err); u != nil; u = errors.Unwrap(u) {
					printed["unwrapped "+fmt.Sprintf("%T", u)] = u.Error()
				}
			}
			for what, text := range printed {
				for _, f := range forbidden {
					if strings.Contains(text, f) {
						t.Errorf("%s leaks %q: %s", what, f, text)
					}
				}
			}
		})
	}
}

// TestSendLeaksNoTokenPart: a 502 page that echoes the request URL after
// any amount of text. The error quotes the start of the page; whatever the
// offset, no part of the token may be in it (cutting before redacting kept
// up to all but one of its characters).
func TestSendLeaksNoTokenPart(t *testing.T) {
	const token = "0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B" // 64, like DingTalk's
	var off int
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "%s%s and more", strings.Repeat("-", off), r.URL.String())
	}))
	t.Cleanup(hs.Close)
	hook := secret.String(hs.URL + "/robot/send?access_token=" + token)
	c := NewClient(5 * time.Second)
	for off = 0; off < 200; off++ {
		err := c.SendMessage(context.Background(), hook, "", msg)
		var e *Error
		if !errors.As(err, &e) || e.Class != ClassServer {
			t.Fatalf("offset %d: %v, want a server error", off, err)
		}
		for i := 0; i+4 <= len(token); i++ {
			if strings.Contains(e.Msg, token[i:i+4]) {
				t.Fatalf("offset %d: %q keeps part of the token (%q)", off, e.Msg, token[i:i+4])
			}
		}
	}
}

// TestSendEncodesSignOnce looks at the raw query the server receives.
func TestSendEncodesSignOnce(t *testing.T) {
	var raw string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw = r.URL.RawQuery
		if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer hs.Close()
	c := NewClient(time.Second, WithClock(func() time.Time { return time.UnixMilli(vecTS) }))
	if err := c.SendMessage(context.Background(), secret.String(hs.URL+"/robot/send?access_token=abc123"), vecSecret, msg); err != nil {
		t.Fatal(err)
	}
	if want := "access_token=abc123&sign=" + vecOnce + "&timestamp=1577808000000"; raw != want {
		t.Fatalf("raw query = %q, want %q", raw, want)
	}
}

// TestSendRateLimit drives the fake's 20-per-minute limit through the client.
func TestSendRateLimit(t *testing.T) {
	s, clk := newFake(t, dingtalktest.WithLockout(2*time.Minute))
	hook := secret.String(s.AddRobot(testToken, testSecret))
	c := NewClient(time.Second, WithClock(clk.Now))
	for i := range dingtalktest.DefaultLimit {
		if err := c.SendMessage(context.Background(), hook, testSecret, msg); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	err := c.SendMessage(context.Background(), hook, testSecret, msg)
	var e *Error
	if !errors.As(err, &e) || e.Code != 130101 || !e.Retryable() {
		t.Fatalf("send 21 = %v, want retryable 130101", err)
	}
	clk.Add(time.Minute + time.Second) // window passed, lockout not yet
	if err := c.SendMessage(context.Background(), hook, testSecret, msg); !errors.As(err, &e) || e.Code != 130101 {
		t.Fatalf("send during lockout = %v, want 130101", err)
	}
	clk.Add(2 * time.Minute)
	if err := c.SendMessage(context.Background(), hook, testSecret, msg); err != nil {
		t.Fatalf("send after lockout: %v", err)
	}
}

// TestSendDeadlineFromClient: NewClient's own timeout bounds a send even
// when the caller's context has none.
func TestSendDeadlineFromClient(t *testing.T) {
	s, clk := newFake(t)
	hook := s.AddRobot(testToken, testSecret)
	s.Fault("", 1, dingtalktest.HangFault())
	c := NewClient(50*time.Millisecond, WithClock(clk.Now))
	err := c.SendMessage(context.Background(), secret.String(hook), testSecret, msg)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassNetwork || NetworkKind(e) != "timeout" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want a network timeout", err)
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		status int
		body   string
		ok     bool
		class  Class
		code   int
	}{
		{200, `{"errcode":0,"errmsg":"ok"}`, true, 0, 0},
		{200, `{"errmsg":"ok","errcode":0,"extra":[1]}`, true, 0, 0},
		{200, `{"errcode":310000,"errmsg":"sign not match"}`, false, ClassAuth, 310000},
		{200, `{"errmsg":"ok"}`, false, ClassUnknown, 0},
		{200, ``, false, ClassUnknown, 0},
		{200, `{"errcode":"0"}`, false, ClassUnknown, 0},
		{200, `{"errcode":0,"errmsg":"ok"} trailing`, false, ClassUnknown, 0},
		{204, ``, false, ClassUnknown, 0},
		{400, `{"errcode":43004,"errmsg":"bad ct"}`, false, ClassBadRequest, 43004},
		{403, `forbidden`, false, ClassBadRequest, 0},
		{302, ``, false, ClassBadRequest, 0},
		{429, `{"errcode":0}`, false, ClassRateLimited, 0},
		{503, `{"errcode":0}`, false, ClassServer, 0},
	}
	for _, tt := range tests {
		e := judge(tt.status, []byte(tt.body), nil)
		if (e == nil) != tt.ok {
			t.Errorf("judge(%d, %s) = %v, want ok=%v", tt.status, tt.body, e, tt.ok)
			continue
		}
		if e != nil && (e.Class != tt.class || e.Code != tt.code) {
			t.Errorf("judge(%d, %s) = %s/%d, want %s/%d", tt.status, tt.body, e.Class, e.Code, tt.class, tt.code)
		}
	}
}

// FuzzJudge: DingTalk's answer is outside input. Only errcode 0 in JSON on
// a 2xx is success; nothing panics.
func FuzzJudge(f *testing.F) {
	f.Add(200, []byte(`{"errcode":0,"errmsg":"ok"}`))
	f.Add(200, []byte(`{"errcode":130101}`))
	f.Add(500, []byte(`<html>`))
	f.Add(200, []byte(`{"errcode":1e400}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := judge(status, body, nil)
		if e == nil {
			var a answer
			if status < 200 || status > 299 || status == 429 {
				t.Fatalf("HTTP %d judged a success", status)
			}
			if err := jsonUnmarshal(body, &a); err != nil || a.ErrCode == nil || *a.ErrCode != 0 {
				t.Fatalf("success without errcode 0: %q", body)
			}
			return
		}
		_ = e.Error()
		_ = e.Hint
	})
}

// HTTP 429 is a rate limit whoever answers it, and its Retry-After (seconds
// or an HTTP date) says how long to leave the target alone.
func TestSend429HonoursRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{
		{"120", 2 * time.Minute},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"", 0},
		{"soon", 0},
		{"-5", 0},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tt.header != "" {
				w.Header().Set("Retry-After", tt.header)
			}
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}))
		c := NewClient(time.Second, WithClock(func() time.Time { return now }))
		err := c.SendMessage(context.Background(), secret.String(srv.URL+"/robot/send?access_token="+testToken), "", msg)
		srv.Close()
		var e *Error
		if !errors.As(err, &e) || e.Class != ClassRateLimited || !e.Retryable() || e.HTTPStatus != 429 {
			t.Fatalf("Retry-After %q: Send = %v, want a retryable rate limit with HTTP 429", tt.header, err)
		}
		if e.RetryAfter != tt.want {
			t.Errorf("Retry-After %q: RetryAfter = %v, want %v", tt.header, e.RetryAfter, tt.want)
		}
		if e.Hint == "" {
			t.Errorf("Retry-After %q: no hint", tt.header)
		}
	}
}
