package lark

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
	"github.com/pai-notifier/pai-notifier/internal/channel/lark/larktest"
	"github.com/pai-notifier/pai-notifier/internal/golden"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

const (
	testToken  = "3a9c5d2e-81f0-4b6e-9d1a-7c2b4e6f8a0d"
	testSecret = "qVXhVlYi1dYHiFaS0s6Nxb"
)

func newFake(t *testing.T) (*larktest.Server, *channeltest.Clock) {
	t.Helper()
	clk := channeltest.NewClock(time.Date(2026, 12, 2, 6, 7, 0, 0, time.UTC))
	s := larktest.New(larktest.WithClock(clk.Now), larktest.WithMaxHang(5*time.Second))
	t.Cleanup(s.Close)
	return s, clk
}

func target(hook, sec string) channel.Target {
	return channel.Target{Webhook: secret.String(hook), Secret: secret.String(sec)}
}

func TestSendDelivers(t *testing.T) {
	s, clk := newFake(t)
	signed := s.AddBot(testToken, larktest.WithSecret(testSecret), larktest.WithKeywords("PAI"))
	legacy := s.AddBot("legacy-token", larktest.Legacy())
	c := New(channel.WithClock(clk.Now))
	if err := c.Send(context.Background(), target(signed, testSecret), failed); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), target(legacy, ""), digest); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 2 || !msgs[0].Signed || msgs[1].Signed {
		t.Fatalf("messages = %+v, want a signed one and an unsigned one", msgs)
	}
	// The signed body carries the timestamp of the channel's clock as a
	// string of seconds.
	var w struct{ Timestamp, Sign string }
	if err := json.Unmarshal(msgs[0].Raw, &w); err != nil || w.Timestamp != fmt.Sprint(clk.Now().Unix()) || w.Sign == "" {
		t.Errorf("signed body has timestamp %q sign %q (%v)", w.Timestamp, w.Sign, err)
	}
	var seen strings.Builder
	for _, m := range msgs {
		seen.WriteString(larktest.Render(m))
		seen.WriteString("----\n")
	}
	golden.Check(t, "group", []byte(seen.String()))
}

type failure struct {
	name    string
	setup   func(s *larktest.Server, clk *channeltest.Clock) (hook, sec string)
	msg     channel.Message
	skew    time.Duration // the channel's clock against the fake's
	timeout time.Duration
	class   channel.Class
	code    int
	status  int
	retry   time.Duration
}

func failures() []failure {
	plainBot := func(f ...larktest.Fault) func(*larktest.Server, *channeltest.Clock) (string, string) {
		return func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			for _, x := range f {
				s.Fault("", 1, x)
			}
			return s.AddBot(testToken), ""
		}
	}
	return []failure{
		{name: "unknown token", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			s.AddBot(testToken)
			return s.URL() + larktest.PathPrefix + testToken + "x", ""
		}, class: channel.ClassBadRequest, code: 19001, status: 200},
		{name: "wrong secret", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			return s.AddBot(testToken, larktest.WithSecret(testSecret)), testSecret + "x"
		}, class: channel.ClassAuth, code: 19021, status: 200},
		{name: "no secret for a signing bot", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			return s.AddBot(testToken, larktest.WithSecret(testSecret)), ""
		}, class: channel.ClassAuth, code: 19021, status: 200},
		{name: "clock 61 minutes fast", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			return s.AddBot(testToken, larktest.WithSecret(testSecret)), testSecret
		}, skew: 61 * time.Minute, class: channel.ClassAuth, code: 19021, status: 200},
		{name: "keyword missing", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			return s.AddBot(testToken, larktest.WithKeywords("告警")), ""
		}, class: channel.ClassAuth, code: 19024, status: 200},
		{name: "ip not allowed", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			return s.AddBot(testToken, larktest.WithAllowedIPs("10.0.0.0/8")), ""
		}, class: channel.ClassAuth, code: 19022, status: 200},
		{name: "legacy keyword missing", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			return s.AddBot(testToken, larktest.WithKeywords("告警"), larktest.Legacy()), ""
		}, class: channel.ClassAuth, code: 19024, status: 200},
		{name: "5 a second", setup: func(s *larktest.Server, clk *channeltest.Clock) (string, string) {
			h := s.AddBot(testToken)
			for range larktest.PerSecond {
				if err := New(channel.WithClock(clk.Now)).Send(context.Background(), target(h, ""), digest); err != nil {
					panic(err)
				}
			}
			return h, ""
		}, class: channel.ClassRateLimited, code: 11232, status: 200},
		{name: "throttled 429", setup: plainBot(larktest.CodeFault(429, 99991400, "request trigger frequency limit").WithRetryAfter("7")),
			class: channel.ClassRateLimited, code: 99991400, status: 429, retry: 7 * time.Second},
		{name: "bad request", setup: plainBot(larktest.CodeFault(400, 9499, "Bad Request")), class: channel.ClassBadRequest, code: 9499, status: 400},
		{name: "unknown code", setup: plainBot(larktest.CodeFault(200, 12345, "what")), class: channel.ClassUnknown, code: 12345, status: 200},
		{name: "HTTP 500", setup: plainBot(larktest.StatusFault(500)), class: channel.ClassServer, status: 500},
		{name: "HTTP 503 Retry-After", setup: plainBot(larktest.StatusFault(503).WithRetryAfter("30")), class: channel.ClassServer, status: 503, retry: 30 * time.Second},
		{name: "odd body", setup: plainBot(larktest.BodyFault("<html>gateway</html>")), class: channel.ClassUnknown, status: 200},
		{name: "wrong path", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			s.AddBot(testToken)
			return s.URL() + "/open-apis/bot/hook/" + testToken, ""
		}, class: channel.ClassTargetGone, status: 404},
		{name: "hang past the deadline", setup: plainBot(larktest.HangFault()), timeout: 200 * time.Millisecond, class: channel.ClassNetwork},
		{name: "refused", setup: func(*larktest.Server, *channeltest.Clock) (string, string) {
			hs := httptest.NewServer(http.NotFoundHandler())
			hs.Close()
			return hs.URL + larktest.PathPrefix + testToken, testSecret
		}, class: channel.ClassNetwork},
		{name: "too large locally", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) {
			return s.AddBot(testToken), testSecret
		},
			msg: channel.Message{Title: "big", Fields: []channel.Field{{Label: "x", Value: strings.Repeat("长", 7000)}}}, class: channel.ClassTooLarge},
		{name: "mobiles", setup: func(s *larktest.Server, _ *channeltest.Clock) (string, string) { return s.AddBot(testToken), "" },
			msg: channel.Message{Title: "x", Mentions: channel.Mentions{Mobiles: []string{"13800000000"}}}, class: channel.ClassBadRequest},
	}
}

func TestSendFailures(t *testing.T) {
	for _, tc := range failures() {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := newFake(t)
			hook, sec := tc.setup(s, clk)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			m := tc.msg
			if m.Title == "" {
				m = failed
			}
			now := func() time.Time { return clk.Now().Add(tc.skew) }
			err := New(channel.WithClock(now)).Send(ctx, target(hook, sec), m)
			var e *channel.Error
			if !errors.As(err, &e) {
				t.Fatalf("Send = %v, want a *channel.Error", err)
			}
			if e.Channel != Name || e.Class != tc.class || e.Code != tc.code || e.HTTPStatus != tc.status || e.RetryAfter != tc.retry {
				t.Errorf("got channel %q class %v code %d status %d retry %v, want %q %v %d %d %v (%v)",
					e.Channel, e.Class, e.Code, e.HTTPStatus, e.RetryAfter, Name, tc.class, tc.code, tc.status, tc.retry, err)
			}
			if !channeltest.Bilingual(e.Hint) {
				t.Errorf("hint is not Chinese then English: %q", e.Hint)
			}
			if (tc.name == "too large locally" || tc.name == "mobiles") && len(s.Requests()) != 0 {
				t.Errorf("a message that cannot be sent was sent anyway")
			}
		})
	}
}

// TestSendSignWindow: a timestamp 59 minutes off either way is accepted,
// 61 is not (the fake's clock is the reference).
func TestSendSignWindow(t *testing.T) {
	for skew, ok := range map[time.Duration]bool{-59 * time.Minute: true, 59 * time.Minute: true, -61 * time.Minute: false, 61 * time.Minute: false} {
		s, clk := newFake(t)
		hook := s.AddBot(testToken, larktest.WithSecret(testSecret))
		err := New(channel.WithClock(func() time.Time { return clk.Now().Add(skew) })).Send(context.Background(), target(hook, testSecret), succeeded)
		if (err == nil) != ok {
			t.Errorf("skew %v: Send = %v, want ok=%v", skew, err, ok)
		}
	}
}

// TestSendRateWindows: 5 a second, then 100 a minute, on the fake's clock.
func TestSendRateWindows(t *testing.T) {
	s, clk := newFake(t)
	hook := s.AddBot(testToken)
	c := New(channel.WithClock(clk.Now))
	sent := 0
	for sec := 0; sec < 20; sec++ {
		for i := range larktest.PerSecond {
			if err := c.Send(context.Background(), target(hook, ""), succeeded); err != nil {
				t.Fatalf("second %d, send %d: %v", sec, i+1, err)
			}
			sent++
		}
		var e *channel.Error
		if err := c.Send(context.Background(), target(hook, ""), succeeded); !errors.As(err, &e) || e.Code != 11232 || !e.Retryable() {
			t.Fatalf("6th send in second %d = %v, want 11232", sec, err)
		}
		clk.Add(time.Second)
	}
	var e *channel.Error
	if err := c.Send(context.Background(), target(hook, ""), succeeded); sent != 100 || !errors.As(err, &e) || e.Code != 11232 {
		t.Fatalf("send %d in a minute = %v, want 11232", sent+1, err)
	}
	clk.Add(40 * time.Second)
	if err := c.Send(context.Background(), target(hook, ""), succeeded); err != nil {
		t.Fatalf("after the minute: %v", err)
	}
}

// TestSendLeaksNoSecret: for every failure, nothing a caller can print holds
// the token, the secret or the sign, including answers that echo them.
func TestSendLeaksNoSecret(t *testing.T) {
	cases := failures()
	echo := func(status int, form string) func(*larktest.Server, *channeltest.Clock) (string, string) {
		return func(*larktest.Server, *channeltest.Clock) (string, string) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				raw, _ := io.ReadAll(r.Body)
				var b struct{ Sign string }
				_ = json.Unmarshal(raw, &b)
				w.WriteHeader(status)
				fmt.Fprintf(w, form, r.URL.String()+" "+b.Sign+" "+url.QueryEscape(b.Sign))
			}))
			t.Cleanup(hs.Close)
			return hs.URL + larktest.PathPrefix + testToken, testSecret
		}
	}
	cases = append(cases,
		failure{name: "echo 200 plain", setup: echo(200, "no route for %s")},
		failure{name: "echo 200 msg", setup: echo(200, `{"code":19021,"msg":"sign %s"}`)},
		failure{name: "echo 200 legacy", setup: echo(200, `{"StatusCode":19021,"StatusMessage":"sign %s"}`)},
		failure{name: "echo 400", setup: echo(400, "bad %s")},
		failure{name: "echo 503", setup: echo(503, `{"code":1,"msg":"%s"}`)},
		failure{name: "untrusted TLS", setup: func(*larktest.Server, *channeltest.Clock) (string, string) {
			hs := httptest.NewUnstartedServer(http.NotFoundHandler())
			hs.Config.ErrorLog = log.New(io.Discard, "", 0)
			hs.StartTLS()
			t.Cleanup(hs.Close)
			return hs.URL + larktest.PathPrefix + testToken, testSecret
		}},
	)
	for off := 0; off <= maxMsgBytes+10; off += 7 {
		pad := strings.Repeat("x", off)
		for _, s := range []string{testToken, testSecret} {
			cases = append(cases,
				failure{name: fmt.Sprintf("msg offset %d", off), setup: func(f *larktest.Server, _ *channeltest.Clock) (string, string) {
					f.Fault("", 1, larktest.CodeFault(200, 19021, pad+s+" tail"))
					return f.AddBot(testToken), testSecret
				}},
				failure{name: fmt.Sprintf("body offset %d", off), setup: func(f *larktest.Server, _ *channeltest.Clock) (string, string) {
					f.Fault("", 1, larktest.BodyFault(pad+s+" tail"))
					return f.AddBot(testToken), testSecret
				}},
			)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := newFake(t)
			hook, sec := tc.setup(s, clk)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if tc.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			m := tc.msg
			if m.Title == "" {
				m = failed
			}
			now := func() time.Time { return clk.Now().Add(tc.skew) }
			err := New(channel.WithClock(now)).Send(ctx, target(hook, sec), m)
			if err == nil {
				t.Fatal("Send succeeded, want a failure")
			}
			sign := Sign(sec, now().Unix())
			channeltest.AssertNoLeak(t, err, testToken, testSecret, sign, url.QueryEscape(sign))
		})
	}
}

// TestJudgedRedactsAtEveryOffset: the token, the secret and the sign echoed
// at every offset of an answer (in both answer shapes and as a plain body,
// across the caps on quoted text, on 200, 400 and 503), and nothing printed
// holds 8 characters of them in a row.
func TestJudgedRedactsAtEveryOffset(t *testing.T) {
	hook := "https://open.feishu.cn/open-apis/bot/v2/hook/" + testToken
	sign := Sign(testSecret, 1764655200)
	red := credentials(hook, testSecret)
	red.Add(sign)
	forbidden := []string{testToken, testSecret, sign}
	channeltest.EveryOffset(t, maxMsgBytes+len(hook), nil, func(pad string) []string {
		var bodies []string
		for _, s := range forbidden {
			bodies = append(bodies,
				`{"code":19021,"msg":"`+pad+s+` tail"}`,
				`{"StatusCode":19021,"StatusMessage":"`+pad+url.QueryEscape(s)+` tail"}`,
				pad+s+" "+hook)
		}
		return bodies
	}, func(status int, body []byte) *channel.Error {
		return judged(channel.Answer{Status: status, Body: body}, red)
	}, forbidden...)
}
