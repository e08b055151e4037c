package slack_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack/slacktest"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// The secret parts of the test webhook's path: none may appear in an error.
const (
	team  = "T0SECRETTEAM"
	bot   = "B0SECRETBOT"
	token = "xYz9SeCrEtToKeN42abc"
	path  = team + "/" + bot + "/" + token
)

func target(url string) channel.Target { return channel.Target{Webhook: secret.String(url)} }

func TestSendDelivered(t *testing.T) {
	srv := slacktest.New()
	defer srv.Close()
	url := srv.AddHook(path)
	if err := slack.New().Send(context.Background(), target(url), samples["failed"]); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages arrived, want 1", len(msgs))
	}
	got := msgs[0]
	if got.Path != path || !strings.Contains(slacktest.Render(got), "train-llama") {
		t.Errorf("arrived at %q:\n%s", got.Path, slacktest.Render(got))
	}
	if fmt.Sprint(got.Broadcasts) != "[channel channel]" || !strings.Contains(fmt.Sprint(got.Mentions), "U024BE7LH") {
		t.Errorf("mentions %v, broadcasts %v", got.Mentions, got.Broadcasts)
	}
}

// sendCase is one way a send can fail, set up on a fresh fake.
type sendCase struct {
	name    string
	setup   func(srv *slacktest.Server, c *channeltest.Clock) string // returns the webhook URL
	msg     *channel.Message
	timeout time.Duration
	class   channel.Class
	status  int
	retry   time.Duration
	msgHas  string
}

var sendCases = []sendCase{
	{name: "unknown webhook", setup: func(s *slacktest.Server, _ *channeltest.Clock) string { return s.URL() + "/services/" + path },
		class: channel.ClassTargetGone, status: 404, msgHas: "no_service"},
	{name: "channel deleted", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		return s.AddHook(path, slacktest.ChannelNotFound())
	},
		class: channel.ClassTargetGone, status: 404, msgHas: "channel_not_found"},
	{name: "channel archived", setup: func(s *slacktest.Server, _ *channeltest.Clock) string { return s.AddHook(path, slacktest.Archived()) },
		class: channel.ClassTargetGone, status: 410, msgHas: "channel_is_archived"},
	{name: "prohibited", setup: func(s *slacktest.Server, _ *channeltest.Clock) string { return s.AddHook(path, slacktest.Prohibited()) },
		class: channel.ClassAuth, status: 403, msgHas: "action_prohibited"},
	{name: "rate limited after the burst", setup: func(s *slacktest.Server, c *channeltest.Clock) string {
		u := s.AddHook(path)
		for range slacktest.DefaultBurst {
			if err := slack.New().Send(context.Background(), target(u), samples["digest"]); err != nil {
				panic(err)
			}
		}
		c.Add(300 * time.Millisecond) // 0.3 of a message earned: the next is 1 s away, rounded up
		return u
	}, class: channel.ClassRateLimited, status: 429, retry: time.Second, msgHas: "rate_limited"},
	{name: "server error", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		u := s.AddHook(path)
		s.Fault(path, 1, slacktest.StatusFault(500, "internal_error", ""))
		return u
	}, class: channel.ClassServer, status: 500, msgHas: "internal_error"},
	{name: "unavailable with Retry-After", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		u := s.AddHook(path)
		s.Fault(path, 1, slacktest.StatusFault(503, "", "7"))
		return u
	}, class: channel.ClassServer, status: 503, retry: 7 * time.Second},
	{name: "payload refused", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		u := s.AddHook(path)
		s.Fault(path, 1, slacktest.StatusFault(400, "invalid_payload", ""))
		return u
	}, class: channel.ClassBadRequest, status: 400, msgHas: "invalid_payload"},
	{name: "odd 200 body echoing the URL", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		u := s.AddHook(path)
		s.Fault(path, 1, slacktest.BodyFault("<html>proxy: POST "+u+" denied</html>"))
		return u
	}, class: channel.ClassUnknown, status: 200, msgHas: "proxy"},
	{name: "odd answer cutting the token where it is quoted", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		u := s.AddHook(path)
		// Judge quotes 120 bytes: put the token across that edge.
		pad := strings.Repeat("x", 120-len(u)+len(token)/2)
		s.Fault(path, 1, slacktest.BodyFault(pad+u))
		return u
	}, class: channel.ClassUnknown, status: 200, msgHas: "xxx"},
	{name: "404 page echoing the path", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		u := s.AddHook(path)
		s.Fault(path, 1, slacktest.StatusFault(404, "no route for /services/"+path, ""))
		return u
	}, class: channel.ClassTargetGone, status: 404, msgHas: "no route"},
	{name: "hang until the deadline", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		u := s.AddHook(path)
		s.Fault(path, 1, slacktest.HangFault())
		return u
	}, timeout: 100 * time.Millisecond, class: channel.ClassNetwork, msgHas: "timeout"},
	{name: "connection refused", setup: func(s *slacktest.Server, _ *channeltest.Clock) string {
		u := s.AddHook(path)
		s.Close()
		return u
	}, class: channel.ClassNetwork},
	{name: "mobile mention", setup: func(s *slacktest.Server, _ *channeltest.Clock) string { return s.AddHook(path) },
		msg:   &channel.Message{Title: "x", Mentions: channel.Mentions{Mobiles: []string{"13800000000"}}},
		class: channel.ClassBadRequest, msgHas: "atMobiles"},
	{name: "not a URL", setup: func(s *slacktest.Server, _ *channeltest.Clock) string { return "hooks.slack.com/services/" + path },
		class: channel.ClassBadRequest, msgHas: "http(s)"},
}

// TestSendFailures runs every failure family end to end against the fake
// and checks each error's class, status, Retry-After and hint, and that no
// part of the webhook's secret path appears anywhere in it.
func TestSendFailures(t *testing.T) {
	for _, tc := range sendCases {
		t.Run(tc.name, func(t *testing.T) {
			c := channeltest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
			srv := slacktest.New(slacktest.WithClock(c.Now))
			defer srv.Close()
			url := tc.setup(srv, c)
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			m := samples["failed"]
			if tc.msg != nil {
				m = *tc.msg
			}
			err := slack.New(channel.WithClock(c.Now)).Send(ctx, target(url), m)
			var e *channel.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a *channel.Error", err)
			}
			if e.Class != tc.class || e.HTTPStatus != tc.status || e.RetryAfter != tc.retry || e.Channel != "slack" {
				t.Errorf("err = %v\n(class %v, status %d, retry after %v), want %v, %d, %v", err, e.Class, e.HTTPStatus, e.RetryAfter, tc.class, tc.status, tc.retry)
			}
			if !strings.Contains(e.Msg, tc.msgHas) {
				t.Errorf("message %q, want it to hold %q", e.Msg, tc.msgHas)
			}
			if !channeltest.Bilingual(e.Hint) {
				t.Errorf("hint is not Chinese then English: %q", e.Hint)
			}
			if tc.timeout > 0 && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
			}
			assertNoSecret(t, err)
		})
	}
}

// assertNoSecret checks every rendering of err for the webhook's secrets.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	channeltest.AssertNoLeak(t, err, token, bot, team)
}

// TestRateLimitRecovers: after a 429 the send works once Retry-After has
// passed on the shared clock.
func TestRateLimitRecovers(t *testing.T) {
	c := channeltest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	srv := slacktest.New(slacktest.WithClock(c.Now), slacktest.WithRate(2*time.Second, 1))
	defer srv.Close()
	url := srv.AddHook(path)
	ch := slack.New(channel.WithClock(c.Now))
	if err := ch.Send(context.Background(), target(url), samples["digest"]); err != nil {
		t.Fatal(err)
	}
	err := ch.Send(context.Background(), target(url), samples["digest"])
	var e *channel.Error
	if !errors.As(err, &e) || e.Class != channel.ClassRateLimited || e.RetryAfter != 2*time.Second || !e.Retryable() {
		t.Fatalf("second send: %v, want rate limited, retry after 2s", err)
	}
	c.Add(e.RetryAfter)
	if err := ch.Send(context.Background(), target(url), samples["digest"]); err != nil {
		t.Fatalf("after Retry-After: %v", err)
	}
	if n := srv.Count(http.StatusTooManyRequests); n != 1 {
		t.Errorf("%d answers 429, want 1", n)
	}
}
