package wecom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
	"github.com/pai-notifier/pai-notifier/internal/channel/wecom/wecomtest"
	"github.com/pai-notifier/pai-notifier/internal/golden"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

const testKey = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"

func newFake(t *testing.T) (*wecomtest.Server, *channeltest.Clock) {
	t.Helper()
	clk := channeltest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	s := wecomtest.New(wecomtest.WithClock(clk.Now), wecomtest.WithMaxHang(5*time.Second))
	t.Cleanup(s.Close)
	return s, clk
}

func target(hook string) channel.Target { return channel.Target{Webhook: secret.String(hook)} }

func TestSendDelivers(t *testing.T) {
	s, clk := newFake(t)
	hook := s.AddRobot(testKey)
	c := New(channel.WithClock(clk.Now))
	if err := c.Send(context.Background(), target(hook), failed); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), target(hook), paged); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 3 {
		t.Fatalf("the robot got %d messages, want 3 (markdown, markdown + text mention)", len(msgs))
	}
	var seen strings.Builder
	for _, m := range msgs {
		seen.WriteString(wecomtest.Render(m))
		seen.WriteString("----\n")
	}
	golden.Check(t, "group", []byte(seen.String()))
	if m := msgs[2]; m.MsgType != "text" || strings.Join(m.MentionedMobileList, ",") != "13800000000,13900000000" || strings.Join(m.MentionedList, ",") != "@all" {
		t.Errorf("mention message = %+v", m)
	}
}

// failure is one way a send fails, shared by the class table and the leak test.
type failure struct {
	name    string
	setup   func(s *wecomtest.Server, clk *channeltest.Clock) string // returns the webhook
	msg     channel.Message
	timeout time.Duration
	class   channel.Class
	code    int
	status  int
	retry   time.Duration
}

func failures() []failure {
	fault := func(f wecomtest.Fault) func(*wecomtest.Server, *channeltest.Clock) string {
		return func(s *wecomtest.Server, _ *channeltest.Clock) string {
			s.Fault("", 1, f)
			return s.AddRobot(testKey)
		}
	}
	return []failure{
		{name: "unknown key", setup: func(s *wecomtest.Server, _ *channeltest.Clock) string {
			s.AddRobot(testKey)
			return s.URL() + wecomtest.Path + "?key=" + testKey + "-typo"
		}, class: channel.ClassAuth, code: 93000, status: 200},
		{name: "robot removed", setup: func(s *wecomtest.Server, _ *channeltest.Clock) string {
			h := s.AddRobot(testKey)
			s.RemoveRobot(testKey)
			return h
		}, class: channel.ClassAuth, code: 93000, status: 200},
		{name: "rate limited", setup: func(s *wecomtest.Server, _ *channeltest.Clock) string {
			h := s.AddRobot(testKey)
			for range wecomtest.DefaultLimit {
				if err := New().Send(context.Background(), target(h), digest); err != nil {
					panic(err)
				}
			}
			return h
		}, class: channel.ClassRateLimited, code: 45009, status: 200},
		{name: "busy", setup: fault(wecomtest.ErrcodeFault(-1, "system busy")), class: channel.ClassBusy, code: -1, status: 200},
		{name: "bad msgtype", setup: fault(wecomtest.ErrcodeFault(40008, "invalid message type")), class: channel.ClassBadRequest, code: 40008, status: 200},
		{name: "empty content", setup: fault(wecomtest.ErrcodeFault(44004, "empty content")), class: channel.ClassBadRequest, code: 44004, status: 200},
		{name: "too long", setup: fault(wecomtest.ErrcodeFault(45002, "content exceed max length")), class: channel.ClassTooLarge, code: 45002, status: 200},
		{name: "unknown errcode", setup: fault(wecomtest.ErrcodeFault(12345, "what")), class: channel.ClassUnknown, code: 12345, status: 200},
		{name: "HTTP 500", setup: fault(wecomtest.StatusFault(500)), class: channel.ClassServer, status: 500},
		{name: "HTTP 503 Retry-After", setup: fault(wecomtest.StatusFault(503).WithRetryAfter("30")), class: channel.ClassServer, status: 503, retry: 30 * time.Second},
		{name: "HTTP 429 Retry-After", setup: fault(wecomtest.StatusFault(429).WithRetryAfter("7")), class: channel.ClassRateLimited, status: 429, retry: 7 * time.Second},
		{name: "odd body", setup: fault(wecomtest.BodyFault("<html>gateway</html>")), class: channel.ClassUnknown, status: 200},
		{name: "errcode without errmsg shape", setup: fault(wecomtest.BodyFault(`{"errmsg":"ok"}`)), class: channel.ClassUnknown, status: 200},
		{name: "wrong path", setup: func(s *wecomtest.Server, _ *channeltest.Clock) string {
			s.AddRobot(testKey)
			return s.URL() + "/cgi-bin/webhook/sendx?key=" + testKey
		}, class: channel.ClassTargetGone, status: 404},
		{name: "hang past the deadline", setup: fault(wecomtest.HangFault()), timeout: 200 * time.Millisecond, class: channel.ClassNetwork},
		{name: "refused", setup: func(*wecomtest.Server, *channeltest.Clock) string {
			hs := httptest.NewServer(http.NotFoundHandler())
			hs.Close()
			return hs.URL + wecomtest.Path + "?key=" + testKey
		}, class: channel.ClassNetwork},
		{name: "too large locally", setup: func(s *wecomtest.Server, _ *channeltest.Clock) string { return s.AddRobot(testKey) },
			msg: channel.Message{Title: strings.Repeat("长", 2000)}, class: channel.ClassTooLarge},
		{name: "mention follow-up fails", setup: func(s *wecomtest.Server, _ *channeltest.Clock) string {
			h := s.AddRobot(testKey)
			s.Fault("", 1, wecomtest.ErrcodeFault(0, "ok")) // the markdown passes
			s.Fault("", 1, wecomtest.ErrcodeFault(45009, "api freq out of limit"))
			return h
		}, msg: paged, class: channel.ClassRateLimited, code: 45009, status: 200},
	}
}

func TestSendFailures(t *testing.T) {
	for _, tc := range failures() {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := newFake(t)
			hook := tc.setup(s, clk)
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
			err := New(channel.WithClock(clk.Now)).Send(ctx, target(hook), m)
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
			if tc.name == "mention follow-up fails" && !strings.Contains(e.Msg, "markdown message was delivered") {
				t.Errorf("a failed mention does not say the markdown went out: %v", err)
			}
			if tc.name == "too large locally" && len(s.Requests()) != 0 {
				t.Errorf("an oversize body was sent anyway")
			}
		})
	}
}

// TestSendRateWindow: the 21st message in a minute is refused, and the
// robot takes messages again once the minute has passed on the fake's clock.
func TestSendRateWindow(t *testing.T) {
	s, clk := newFake(t)
	hook := s.AddRobot(testKey)
	c := New(channel.WithClock(clk.Now))
	for i := range wecomtest.DefaultLimit {
		if err := c.Send(context.Background(), target(hook), digest); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	err := c.Send(context.Background(), target(hook), digest)
	var e *channel.Error
	if !errors.As(err, &e) || e.Class != channel.ClassRateLimited || !e.Retryable() {
		t.Fatalf("21st send = %v, want retryable rate-limited", err)
	}
	clk.Add(time.Minute)
	if err := c.Send(context.Background(), target(hook), digest); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// TestSendLeaksNoSecret: for every failure, nothing a caller can print holds
// the key or the webhook, including answers that echo them back.
func TestSendLeaksNoSecret(t *testing.T) {
	cases := failures()
	echo := func(status int, form string) func(*wecomtest.Server, *channeltest.Clock) string {
		return func(*wecomtest.Server, *channeltest.Clock) string {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				fmt.Fprintf(w, form, r.URL.String()+" "+r.URL.RawQuery+" "+r.URL.Query().Get("key"))
			}))
			t.Cleanup(hs.Close)
			return hs.URL + wecomtest.Path + "?key=" + testKey
		}
	}
	cases = append(cases,
		failure{name: "echo 200 plain", setup: echo(200, "no route for %s")},
		failure{name: "echo 200 errmsg", setup: echo(200, `{"errcode":93000,"errmsg":"invalid webhook url %s"}`)},
		failure{name: "echo 400", setup: echo(400, "bad %s")},
		failure{name: "echo 503", setup: echo(503, `{"errcode":-1,"errmsg":"%s"}`)},
		failure{name: "untrusted TLS", setup: func(*wecomtest.Server, *channeltest.Clock) string {
			hs := httptest.NewUnstartedServer(http.NotFoundHandler())
			hs.Config.ErrorLog = log.New(io.Discard, "", 0)
			hs.StartTLS()
			t.Cleanup(hs.Close)
			return hs.URL + wecomtest.Path + "?key=" + testKey
		}},
	)
	// The key at every offset of an echoed answer, both as errmsg and as a
	// plain body, across the cap on quoted text.
	for off := 0; off <= maxMsgBytes+10; off += 7 {
		pad := strings.Repeat("x", off)
		cases = append(cases,
			failure{name: fmt.Sprintf("errmsg offset %d", off), setup: func(s *wecomtest.Server, _ *channeltest.Clock) string {
				s.Fault("", 1, wecomtest.ErrcodeFault(93000, pad+testKey+" tail"))
				return s.AddRobot(testKey)
			}},
			failure{name: fmt.Sprintf("body offset %d", off), setup: func(s *wecomtest.Server, _ *channeltest.Clock) string {
				s.Fault("", 1, wecomtest.BodyFault(pad+testKey+" tail"))
				return s.AddRobot(testKey)
			}},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := newFake(t)
			hook := tc.setup(s, clk)
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
			err := New(channel.WithClock(clk.Now)).Send(ctx, target(hook), m)
			if err == nil {
				t.Fatal("Send succeeded, want a failure")
			}
			channeltest.AssertNoLeak(t, err, testKey) // any 8 characters of the key would be a leak
		})
	}
}

// TestJudgedRedactsAtEveryOffset: the key echoed at every offset of an
// answer (as errmsg or as a plain body, across the caps on quoted text, on
// 200, 400 and 503), and nothing printed holds 8 characters of it in a row.
func TestJudgedRedactsAtEveryOffset(t *testing.T) {
	hook := "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + testKey
	red := credentials(hook)
	channeltest.EveryOffset(t, maxMsgBytes+len(hook), nil, func(pad string) []string {
		return []string{`{"errcode":93000,"errmsg":"` + pad + testKey + ` tail"}`, pad + hook + " " + testKey}
	}, func(status int, body []byte) *channel.Error {
		return judged(channel.Answer{Status: status, Body: body}, red)
	}, testKey)
}
