package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/state"
)

// twoRobots: both rules match a failed DLC job; each has its own robot.
const twoRobots = `
rules:
  - name: hangs
    source: dlc
    scope: workspace
    events: failed
    target:
      webhook: https://oapi.dingtalk.com/robot/send?access_token=hangs` + testToken + `
  - name: healthy
    source: dlc
    scope: workspace
    events: failed
    target:
      webhook: https://oapi.dingtalk.com/robot/send?access_token=healthy` + testToken + `
`

// routedSender answers per robot: the "hangs" robot holds every request
// until release is closed or the request's context ends; any other robot
// accepts at once.
type routedSender struct {
	mu      sync.Mutex
	release chan struct{}
	once    sync.Once
	calls   map[string]int // by access token prefix: "hangs" or "healthy"
}

func newRoutedSender() *routedSender {
	return &routedSender{release: make(chan struct{}), calls: map[string]int{}}
}

func (s *routedSender) Send(ctx context.Context, _ channel.Channel, t channel.Target, _ channel.Message) error {
	webhook := t.Webhook
	name := "healthy"
	if strings.Contains(webhook.Reveal(), "access_token=hangs") {
		name = "hangs"
	}
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()
	if name == "hangs" {
		select {
		case <-s.release:
		case <-ctx.Done():
		}
		return &dingtalk.Error{Class: dingtalk.ClassNetwork, Msg: "timeout", Err: context.DeadlineExceeded}
	}
	if ctx.Err() != nil { // what a real client does with a spent context
		return &dingtalk.Error{Class: dingtalk.ClassNetwork, Msg: "timeout", Err: ctx.Err()}
	}
	s.once.Do(func() { close(s.release) }) // the healthy robot was told: let the other one go
	return nil
}

func deliveryOf(t *testing.T, res Result, rule string) Delivery {
	t.Helper()
	for _, d := range res.Deliveries {
		if d.Rule == rule {
			return d
		}
	}
	t.Fatalf("no delivery for rule %s in %+v", rule, res.Deliveries)
	return Delivery{}
}

// The first robot hangs, the second is healthy: the second is told while
// the first still hangs (the hanging robot is let go only once the healthy
// one has its message, so serving them one after the other would hang
// until the deadline), and its delivery carries no error of the other's.
func TestHangingRobotHoldsNoOther(t *testing.T) {
	rs := newRoutedSender()
	f := newFixtureRules(t, twoRobots, func(c *Config) { c.Sender = rs })
	res, err := f.n.Handle(ctxWithin(t, 2*time.Second), dlcEvent("e1", "dlc1", "Failed"))
	if healthy := deliveryOf(t, res, "healthy"); healthy.Outcome != Sent || healthy.Error != "" {
		t.Errorf("healthy robot: %+v, want sent with no error", healthy)
	}
	if hangs := deliveryOf(t, res, "hangs"); hangs.Outcome != Retry {
		t.Errorf("hanging robot: %+v, want retry", hangs)
	}
	var re *RetryableError
	if !errors.As(err, &re) || re.Pending != 1 {
		t.Errorf("err = %v, want one delivery left for the platform's retry", err)
	}
}

// With one robot served at a time, a robot whose turn never came (the other
// hung until the deadline) was not tried: its delivery says so, it is left
// for the platform's retry, and its budget is whole.
func TestRobotNotTriedIsNotChargedOrBlamed(t *testing.T) {
	rs := newRoutedSender()
	f := newFixtureRules(t, twoRobots, func(c *Config) { c.Sender = rs; c.Parallel = 1 })
	res, err := f.n.Handle(ctxWithin(t, 200*time.Millisecond), dlcEvent("e1", "dlc1", "Failed"))
	var re *RetryableError
	if !errors.As(err, &re) || re.Pending != 2 {
		t.Fatalf("err = %v, want both deliveries left for the platform's retry", err)
	}
	healthy := deliveryOf(t, res, "healthy")
	if healthy.Outcome != Retry || healthy.Error != errNotAttempted.Error() || healthy.Hint != "" {
		t.Errorf("robot never tried: %+v, want retry with %q and no hint", healthy, errNotAttempted)
	}
	if rs.calls["healthy"] != 0 {
		t.Errorf("robot never tried was called %d times", rs.calls["healthy"])
	}
	robot := deliveryOf(t, res, "healthy").Robot
	if got := f.n.state.Available(context.Background(), robot, state.Rate{}, f.clock.Now()); got != state.DefaultRate.N {
		t.Errorf("budget of the robot never tried: %d left, want %d", got, state.DefaultRate.N)
	}
	// Its retry goes through at once.
	f.n.cfg.Sender = &scriptedSender{}
	res, _ = f.n.Handle(ctxWithin(t, 5*time.Second), dlcEvent("e1", "dlc1", "Failed"))
	if d := deliveryOf(t, res, "healthy"); d.Outcome != Sent {
		t.Errorf("retry of the robot never tried: %+v, want sent", d)
	}
}

// Measured with the real client against the fake robot server: how long
// the healthy robot waits while the other one hangs (logged, not asserted).
func TestHangingRobotRealClient(t *testing.T) {
	srv := dingtalktest.New(dingtalktest.WithMaxHang(5 * time.Second))
	t.Cleanup(srv.Close)
	hangs := srv.AddRobot("hangs"+testToken, "")
	healthy := srv.AddRobot("healthy"+testToken, "")
	srv.Fault("hangs"+testToken, 1000, dingtalktest.HangFault())
	doc := strings.NewReplacer("https://oapi.dingtalk.com/robot/send?access_token=hangs"+testToken, hangs,
		"https://oapi.dingtalk.com/robot/send?access_token=healthy"+testToken, healthy).Replace(twoRobots)
	var mu sync.Mutex
	var told time.Duration
	start := time.Now()
	client := dingtalk.NewClient(time.Second)
	sender := senderFunc(func(ctx context.Context, _ channel.Channel, tg channel.Target, m channel.Message) error {
		err := client.Send(ctx, tg, m)
		if err == nil && strings.Contains(tg.Webhook.Reveal(), "healthy") {
			mu.Lock()
			told = time.Since(start)
			mu.Unlock()
		}
		return err
	})
	f := newFixtureRules(t, doc, func(c *Config) { c.Sender = sender; c.Now = nil; c.Sleep = nil })
	res, _ := f.n.Handle(ctxWithin(t, 1500*time.Millisecond), dlcEvent("e1", "dlc1", "Failed"))
	took := time.Since(start)
	if d := deliveryOf(t, res, "healthy"); d.Outcome != Sent {
		t.Fatalf("healthy robot: %+v, want sent", d)
	}
	if d := deliveryOf(t, res, "hangs"); d.Outcome != Retry {
		t.Errorf("hanging robot: %+v, want retry", d)
	}
	if len(srv.Messages()) == 0 {
		t.Error("the fake server received no message")
	}
	t.Logf("healthy robot told after %v; the invocation (the other robot hanging) took %v", told, took)
}

type senderFunc func(ctx context.Context, ch channel.Channel, t channel.Target, m channel.Message) error

func (f senderFunc) Send(ctx context.Context, ch channel.Channel, t channel.Target, m channel.Message) error {
	return f(ctx, ch, t, m)
}

// A gone mark lasts GoneFor: a robot enabled again speaks again without a
// restart, and the expiry is logged.
func TestGoneMarkExpires(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.GoneFor = 3 * time.Minute })
	f.sender.script = []error{dtErr(400102, "robot disabled")}
	ctx := ctxWithin(t, 5*time.Second)
	if res, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err != nil || res.Failed != 1 {
		t.Fatalf("first: %+v %v, want one failed", res, err)
	}
	f.clock.Add(2 * time.Minute)
	if res, _ := f.n.Handle(ctx, dlcEvent("e2", "dlc2", "Failed")); res.Failed != 1 || f.sender.calls != 1 {
		t.Fatalf("within the mark: %+v after %d sends, want failed without a send", res, f.sender.calls)
	}
	f.clock.Add(time.Minute + time.Second)
	res, err := f.n.Handle(ctx, dlcEvent("e3", "dlc3", "Failed"))
	if err != nil || res.Sent != 1 || f.sender.calls != 2 {
		t.Fatalf("after the mark: %+v %v after %d sends, want sent", res, err, f.sender.calls)
	}
	if !strings.Contains(f.logs.String(), "gone mark expired") {
		t.Error("the mark's expiry was not logged")
	}
}

// HTTP 429 is a rate limit: not retried at once, not refunded as a server
// error, and the robot is left alone for exactly its Retry-After.
func TestHTTP429HonoursRetryAfter(t *testing.T) {
	f := newFixture(t, nil)
	f.sender.script = []error{&dingtalk.Error{Class: dingtalk.ClassRateLimited, HTTPStatus: 429, RetryAfter: 30 * time.Second}}
	ctx := ctxWithin(t, 5*time.Second)
	res, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed"))
	if err == nil || f.sender.calls != 1 || res.Retried != 0 {
		t.Fatalf("429: %+v %v after %d sends, want one send and the platform's retry", res, err, f.sender.calls)
	}
	f.clock.Add(20 * time.Second)
	if _, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err == nil || f.sender.calls != 1 {
		t.Fatalf("within Retry-After: %v after %d sends, want no send", err, f.sender.calls)
	}
	f.clock.Add(11 * time.Second)
	if res, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err != nil || res.Sent != 1 {
		t.Fatalf("after Retry-After: %+v %v, want sent", res, err)
	}
}
