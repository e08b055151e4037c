package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook/webhooktest"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// The test's secrets: none of them may appear in an error.
const (
	secretB64  = "c2VjcmV0LWtleS1mb3ItcGFpLW5vdGlmaWVyLXRlc3Rz" // 33 bytes
	whsec      = "whsec_" + secretB64
	otherWhsec = "whsec_b3RoZXIta2V5LW9mLXRoZS1yZWNlaXZlci0xMjM0"
	urlToken   = "tok3nInTheQuery9"
	pathToken  = "p4thT0kenSegment"
)

func hookURL(r *webhooktest.Receiver) string {
	return r.URL() + "/" + pathToken + "?token=" + urlToken
}

func target(url, sec string) channel.Target {
	return channel.Target{Webhook: secret.String(url), Secret: secret.String(sec)}
}

func TestSendSignedAndVerified(t *testing.T) {
	c := channeltest.NewClock(sendTime)
	r := webhooktest.New(webhooktest.WithSecret(whsec), webhooktest.WithClock(c.Now))
	defer r.Close()
	w := webhook.New(channel.WithClock(c.Now))
	m := samples["failed"]
	if err := w.Send(context.Background(), target(hookURL(r), whsec), m); err != nil {
		t.Fatal(err)
	}
	// The platform retries the same message a minute later.
	c.Add(time.Minute)
	if err := w.Send(context.Background(), target(hookURL(r), whsec), m); err != nil {
		t.Fatal(err)
	}
	got := r.Messages()
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2", len(got))
	}
	_, wantID, _ := webhook.Body(m, sendTime)
	for i, g := range got {
		if !g.Verified || g.ID != wantID || g.Type != "pai.task.state" || g.Timestamp != sendTime.Add(time.Duration(i)*time.Minute).Unix() {
			t.Errorf("message %d: %+v, want verified, id %s", i, g, wantID)
		}
	}
	if got[0].Replay || !got[1].Replay {
		t.Errorf("replays: %v %v, want the retry recorded as a replay", got[0].Replay, got[1].Replay)
	}
	var data struct {
		Tasks []struct{ JobID, Status string }
	}
	if err := json.Unmarshal(got[0].Data, &data); err != nil || len(data.Tasks) != 1 || data.Tasks[0].JobID != "dlc1a2b3c4d" || data.Tasks[0].Status != "Failed" {
		t.Errorf("data: %+v, %v", data, err)
	}
}

func TestSendUnsigned(t *testing.T) {
	r := webhooktest.New()
	defer r.Close()
	if err := webhook.New().Send(context.Background(), target(r.URL(), ""), samples["test-message"]); err != nil {
		t.Fatal(err)
	}
	req := r.Requests()[0]
	if req.Signature != "" || req.ID == "" || req.Timestamp == "" {
		t.Errorf("unsigned request: %+v, want id and timestamp without a signature", req)
	}
}

type sendCase struct {
	name     string
	opts     []webhooktest.Option
	fault    *webhooktest.Fault
	secret   string
	url      func(r *webhooktest.Receiver) string
	skew     time.Duration // the sender's clock minus the receiver's
	timeout  time.Duration
	class    channel.Class
	status   int
	retry    time.Duration
	msgHas   string
	received int // messages the receiver accepted
}

func fault(f webhooktest.Fault) *webhooktest.Fault { return &f }

var sendCases = []sendCase{
	{name: "delivered 202", opts: []webhooktest.Option{webhooktest.WithStatus(202)}, secret: whsec, class: -1, received: 1},
	{name: "wrong secret", secret: otherWhsec, class: channel.ClassAuth, status: 401, msgHas: "no valid v1 signature"},
	{name: "no secret on our side", secret: "", class: channel.ClassAuth, status: 401, msgHas: "signature"},
	{name: "clock 6 minutes behind", secret: whsec, skew: -6 * time.Minute, class: channel.ClassAuth, status: 401, msgHas: "6m0s"},
	{name: "clock 4 minutes ahead", secret: whsec, skew: 4 * time.Minute, class: -1, received: 1},
	{name: "malformed secret", secret: "whsec_" + urlToken + "!!", class: channel.ClassAuth, msgHas: "base64"},
	{name: "gone", secret: whsec, fault: fault(webhooktest.StatusFault(410, "endpoint disabled", "")), class: channel.ClassTargetGone, status: 410, msgHas: "endpoint disabled"},
	{name: "rate limited", secret: whsec, fault: fault(webhooktest.StatusFault(429, "", "30")), class: channel.ClassRateLimited, status: 429, retry: 30 * time.Second},
	{name: "server error", secret: whsec, fault: fault(webhooktest.StatusFault(500, "boom", "")), class: channel.ClassServer, status: 500, msgHas: "boom"},
	{name: "unavailable with Retry-After", secret: whsec, fault: fault(webhooktest.StatusFault(503, "", "5")), class: channel.ClassServer, status: 503, retry: 5 * time.Second},
	{name: "refused payload", secret: whsec, fault: fault(webhooktest.StatusFault(422, "unknown type", "")), class: channel.ClassBadRequest, status: 422, msgHas: "unknown type"},
	{name: "answer echoing the URL and secret", secret: whsec,
		fault: fault(webhooktest.StatusFault(400, "bad request to /hooks/pai/"+pathToken+"?token="+urlToken+" signed with "+whsec, "")),
		class: channel.ClassBadRequest, status: 400, msgHas: "bad request to"},
	{name: "answer cutting a token where it is quoted", secret: whsec,
		fault: fault(webhooktest.StatusFault(500, strings.Repeat("x", 112)+urlToken, "")),
		class: channel.ClassServer, status: 500, msgHas: "xxx"},
	{name: "redirect", secret: whsec, fault: fault(webhooktest.StatusFault(308, "", "")), class: channel.ClassUnknown, status: 308},
	{name: "hang until the deadline", secret: whsec, fault: fault(webhooktest.HangFault()), timeout: 100 * time.Millisecond, class: channel.ClassNetwork, msgHas: "timeout"},
	{name: "refused connection", secret: whsec, url: func(r *webhooktest.Receiver) string { u := hookURL(r); r.Close(); return u }, class: channel.ClassNetwork},
	{name: "not http", secret: whsec, url: func(*webhooktest.Receiver) string { return "ftp://example.com/" + pathToken }, class: channel.ClassBadRequest, msgHas: "http(s)"},
	{name: "user info in the URL", secret: whsec, url: func(r *webhooktest.Receiver) string {
		return strings.Replace(hookURL(r), "http://", "http://user:"+urlToken+"@", 1)
	}, class: -1, received: 1},
}

// TestSendFailures runs every answer family end to end against the
// receiver and checks class, status, Retry-After, hint, and that no error
// holds the secret or the URL's tokens.
func TestSendFailures(t *testing.T) {
	for _, tc := range sendCases {
		t.Run(tc.name, func(t *testing.T) {
			rc := channeltest.NewClock(sendTime)
			sc := channeltest.NewClock(sendTime.Add(tc.skew))
			r := webhooktest.New(append([]webhooktest.Option{webhooktest.WithSecret(whsec), webhooktest.WithClock(rc.Now)}, tc.opts...)...)
			defer r.Close()
			if tc.fault != nil {
				r.Fault(1, *tc.fault)
			}
			url := hookURL(r)
			if tc.url != nil {
				url = tc.url(r)
			}
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			err := webhook.New(channel.WithClock(sc.Now)).Send(ctx, target(url, tc.secret), samples["failed"])
			if n := len(r.Messages()); n != tc.received {
				t.Errorf("receiver accepted %d messages, want %d", n, tc.received)
			}
			if tc.class < 0 {
				if err != nil {
					t.Fatalf("err = %v, want delivered", err)
				}
				return
			}
			var e *channel.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a *channel.Error", err)
			}
			if e.Class != tc.class || e.HTTPStatus != tc.status || e.RetryAfter != tc.retry || e.Channel != "webhook" {
				t.Errorf("err = %v\n(class %v, status %d, retry after %v), want %v, %d, %v", err, e.Class, e.HTTPStatus, e.RetryAfter, tc.class, tc.status, tc.retry)
			}
			if !strings.Contains(e.Msg, tc.msgHas) || !channeltest.Bilingual(e.Hint) {
				t.Errorf("message %q (want %q), hint %q", e.Msg, tc.msgHas, e.Hint)
			}
			if tc.timeout > 0 && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
			}
			assertNoSecret(t, err)
		})
	}
}

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	channeltest.AssertNoLeak(t, err, secretB64, strings.TrimPrefix(otherWhsec, "whsec_"), urlToken, pathToken)
}
