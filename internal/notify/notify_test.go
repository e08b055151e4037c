package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/state"
)

const (
	testToken  = "tok3nvalue0123456789"
	testSecret = "SECtestsecretvalue0123456789"
)

// scriptedSender is a Sender whose answers are scripted per call.
type scriptedSender struct {
	mu      sync.Mutex
	script  []error // consumed in order; nil = success; past the end: fail
	fail    error   // the answer once the script is used up; nil = success
	calls   int
	got     []dingtalk.Message
	webhook []string
}

func (s *scriptedSender) Send(ctx context.Context, ch channel.Channel, t channel.Target, cm channel.Message) error {
	webhook := t.Webhook
	m := dingtalk.Render(cm) // what a DingTalk group reads
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	err := s.fail
	if len(s.script) > 0 {
		err, s.script = s.script[0], s.script[1:]
	}
	if err == nil {
		s.got = append(s.got, m)
		s.webhook = append(s.webhook, webhook.Reveal())
	}
	return err
}

func dtErr(code int, msg string) error {
	return hinted(&dingtalk.Error{Code: code, Msg: msg, Class: dingtalk.Classify(code)})
}

// hinted is e as DingTalk's client returns it: named, with its hint.
func hinted(e *channel.Error) *channel.Error {
	e.Channel = dingtalk.Name
	e.Hint = dingtalk.Hint(e)
	return e
}

const testRules = `
rules:
  - name: dlc-failed
    source: dlc
    scope: workspace
    events: failed
    target:
      webhook: https://oapi.dingtalk.com/robot/send?access_token=` + testToken + `
      secret: ` + testSecret + `
  - name: flow-ended
    source: paiflow
    scope: workspace
    events: ended
    target:
      webhook: https://oapi.dingtalk.com/robot/send?access_token=other` + testToken + `
`

type fixture struct {
	n      *Notifier
	sender *scriptedSender
	clock  *dingtalktest.Clock
	logs   *bytes.Buffer
	sleeps atomic.Int64 // waits between attempts, taken on the clock
}

func newFixture(t *testing.T, mutate func(*Config)) *fixture {
	t.Helper()
	return newFixtureRules(t, testRules, mutate)
}

func newFixtureRules(t *testing.T, doc string, mutate func(*Config)) *fixture {
	t.Helper()
	set, err := rules.Parse([]byte(doc), func(string) string { return "" })
	if err != nil {
		t.Fatalf("rules: %v", err)
	}
	parser, err := event.NewParser(set.Fields())
	if err != nil {
		t.Fatalf("parser: %v", err)
	}
	f := &fixture{sender: &scriptedSender{}, clock: dingtalktest.NewClock(time.Date(2026, 1, 6, 8, 0, 0, 0, time.UTC)), logs: &bytes.Buffer{}}
	cfg := Config{
		Rules: set, Parser: parser, Sender: f.sender, Now: f.clock.Now,
		Logger:      slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond,
		// Backoff waits move the test's clock, not real time: the retry
		// policy's deadline arithmetic is then exact and instant.
		Sleep: func(ctx context.Context, d time.Duration) error {
			if f.sleeps.Add(1) > 100_000 {
				t.Error("retried 100,000 times: nothing bounds the retries")
				return errors.New("test: too many retries")
			}
			f.clock.Add(d)
			return ctx.Err()
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	f.n = New(cfg)
	return f
}

func dlcEvent(id, job, status string) []byte {
	return []byte(fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"acs.pai","type":"pai:DLC:JobStatusChanged",
	"aliyunregionid":"cn-hangzhou","data":{"JobId":%q,"DisplayName":"job %s","Status":%q,"WorkspaceId":"249407"}}`, id, job, job, status))
}

func batch(events ...[]byte) []byte {
	return append(append([]byte("["), bytes.Join(events, []byte(","))...), ']')
}

func ctxWithin(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestHandleOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		script     []error
		body       []byte
		wantErr    bool
		wantCalls  int
		wantResult Result // counters only
		wantOutcom string
	}{
		{name: "failed job is sent", body: dlcEvent("e1", "dlc1", "Failed"), wantCalls: 1,
			wantResult: Result{Events: 1, Matched: 1, Sent: 1}, wantOutcom: Sent},
		{name: "running job matches nothing", body: dlcEvent("e1", "dlc1", "Running"), wantCalls: 0,
			wantResult: Result{Events: 1}},
		{name: "500s then success give one message", body: dlcEvent("e1", "dlc1", "Failed"),
			script:    []error{&dingtalk.Error{HTTPStatus: 500, Class: dingtalk.ClassServer}, &dingtalk.Error{HTTPStatus: 502, Class: dingtalk.ClassServer}},
			wantCalls: 3, wantResult: Result{Events: 1, Matched: 1, Sent: 1, Retried: 2}, wantOutcom: Sent},
		{name: "system busy then success", body: dlcEvent("e1", "dlc1", "Failed"), script: []error{dtErr(-1, "system busy")},
			wantCalls: 2, wantResult: Result{Events: 1, Matched: 1, Sent: 1, Retried: 1}, wantOutcom: Sent},
		{name: "bad token is permanent, not an invocation error", body: dlcEvent("e1", "dlc1", "Failed"),
			script: []error{dtErr(300001, "token is not exist")}, wantCalls: 1,
			wantResult: Result{Events: 1, Matched: 1, Failed: 1}, wantOutcom: Failed},
		{name: "sign mismatch is permanent", body: dlcEvent("e1", "dlc1", "Failed"),
			script: []error{dtErr(310000, "sign not match")}, wantCalls: 1,
			wantResult: Result{Events: 1, Matched: 1, Failed: 1}, wantOutcom: Failed},
		{name: "too fast is left for the platform", body: dlcEvent("e1", "dlc1", "Failed"),
			script: []error{dtErr(130101, "send too fast")}, wantCalls: 1, wantErr: true,
			wantResult: Result{Events: 1, Matched: 1}, wantOutcom: Retry},
		{name: "non-PAI event is skipped", body: []byte(`{"specversion":"1.0","id":"x","source":"acs.oss","type":"oss:ObjectCreated:PutObject","data":{"key":"a"}}`),
			wantResult: Result{Skipped: 1}},
		{name: "not JSON is an error", body: []byte(`not json`), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.sender.script = tt.script
			res, err := f.n.Handle(ctxWithin(t, 5*time.Second), tt.body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if f.sender.calls != tt.wantCalls {
				t.Errorf("send calls = %d, want %d", f.sender.calls, tt.wantCalls)
			}
			got := Result{Events: res.Events, Matched: res.Matched, Sent: res.Sent, Failed: res.Failed, Skipped: res.Skipped, Suppressed: res.Suppressed, Retried: res.Retried}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantResult) {
				t.Errorf("result = %+v, want %+v", got, tt.wantResult)
			}
			if tt.wantOutcom != "" {
				if len(res.Deliveries) != 1 || res.Deliveries[0].Outcome != tt.wantOutcom {
					t.Fatalf("deliveries = %+v, want one %s", res.Deliveries, tt.wantOutcom)
				}
				if tt.wantOutcom == Failed && res.Deliveries[0].Hint == "" {
					t.Errorf("a permanent failure carries no hint: %+v", res.Deliveries[0])
				}
			}
			assertNoSecret(t, res, err, f.logs.String())
		})
	}
}

func assertNoSecret(t *testing.T, res Result, err error, logs string) {
	t.Helper()
	js, _ := json.Marshal(res)
	for where, text := range map[string]string{"result": string(js), "error": fmt.Sprint(err), "logs": logs} {
		for _, s := range []string{testToken, testSecret} {
			if strings.Contains(text, s) {
				t.Errorf("%s leaks a secret: %s", where, text)
			}
		}
	}
}

func TestRedeliveryIsSuppressed(t *testing.T) {
	f := newFixture(t, nil)
	ctx := ctxWithin(t, 5*time.Second)
	if _, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err != nil {
		t.Fatal(err)
	}
	// The same event again (EventBridge redelivery), and the same job state
	// under another event id (PAI publishing twice).
	for _, body := range [][]byte{dlcEvent("e1", "dlc1", "Failed"), dlcEvent("e2", "dlc1", "Failed")} {
		res, err := f.n.Handle(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		if res.Suppressed != 1 || res.Sent != 0 {
			t.Errorf("redelivery: %+v, want 1 suppressed", res)
		}
	}
	// A duplicate inside one batch is suppressed too.
	res, err := f.n.Handle(ctx, batch(dlcEvent("e3", "dlc3", "Failed"), dlcEvent("e3", "dlc3", "Failed")))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 1 || res.Suppressed != 1 {
		t.Errorf("batch duplicate: %+v, want 1 sent 1 suppressed", res)
	}
	if f.sender.calls != 2 {
		t.Errorf("sends = %d, want 2", f.sender.calls)
	}
}

func TestRetryableFailureIsDeliveredOnRetryOnce(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.BackoffBase, c.BackoffMax = 100*time.Millisecond, time.Second })
	// Everything fails until the deadline: the invocation must fail...
	for range 1000 {
		f.sender.script = append(f.sender.script, &dingtalk.Error{HTTPStatus: 503, Class: dingtalk.ClassServer})
	}
	start := f.clock.Now()
	res, err := f.n.Handle(ctxWithin(t, 5*time.Second), dlcEvent("e1", "dlc1", "Failed"))
	var re *RetryableError
	if !errors.As(err, &re) || re.Pending != 1 {
		t.Fatalf("err = %v, want a RetryableError with 1 pending", err)
	}
	if res.Deliveries[0].Outcome != Retry {
		t.Fatalf("outcome = %s, want retry", res.Deliveries[0].Outcome)
	}
	// ...after retrying within the deadline, leaving room for one attempt.
	if spent := f.clock.Now().Sub(start); res.Retried < 2 || spent > 5*time.Second-minAttempt {
		t.Errorf("retried %d times over %v of backoff; want at least 2, within %v", res.Retried, spent, 5*time.Second-minAttempt)
	}
	// The platform's retry delivers it exactly once.
	f.sender.script = nil
	res, err = f.n.Handle(ctxWithin(t, 5*time.Second), dlcEvent("e1", "dlc1", "Failed"))
	if err != nil || res.Sent != 1 {
		t.Fatalf("retry: %+v, %v; want 1 sent", res, err)
	}
	if len(f.sender.got) != 1 {
		t.Errorf("messages = %d, want 1", len(f.sender.got))
	}
}

func TestTargetGoneIsNotRetried(t *testing.T) {
	f := newFixture(t, nil)
	f.sender.script = []error{dtErr(400013, "群已被解散")}
	ctx := ctxWithin(t, 5*time.Second)
	if _, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err != nil {
		t.Fatal(err)
	}
	res, err := f.n.Handle(ctx, dlcEvent("e2", "dlc2", "Failed"))
	if err != nil {
		t.Fatal(err)
	}
	if f.sender.calls != 1 {
		t.Errorf("sends = %d, want 1: a dissolved group must not be knocked again", f.sender.calls)
	}
	if res.Failed != 1 || res.Deliveries[0].Hint == "" {
		t.Errorf("second event: %+v, want failed with a hint", res)
	}
}

func jobIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("dlcjob%03d", i)
	}
	return ids
}

func TestBurstBecomesDigest(t *testing.T) {
	f := newFixture(t, nil)
	ids := jobIDs(30)
	var evs [][]byte
	for i, id := range ids {
		evs = append(evs, dlcEvent(fmt.Sprintf("b%d", i), id, "Failed"))
	}
	res, err := f.n.Handle(ctxWithin(t, 5*time.Second), batch(evs...))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 30 {
		t.Errorf("sent = %d, want 30 (all in digests)", res.Sent)
	}
	if len(f.sender.got) > 20 {
		t.Errorf("messages = %d, want at most 20", len(f.sender.got))
	}
	for _, d := range res.Deliveries {
		if d.Outcome != Digested {
			t.Errorf("delivery %s outcome %s, want digest", d.JobID, d.Outcome)
		}
	}
	text := ""
	for _, m := range f.sender.got {
		text += m.Text
	}
	for _, id := range ids {
		if c := strings.Count(text, id); c < 1 {
			t.Errorf("job %s missing from the digests", id)
		}
	}
}

func TestBudgetAcrossInvocations(t *testing.T) {
	f := newFixture(t, nil)
	ctx := ctxWithin(t, 10*time.Second)
	ids := jobIDs(30)
	var retry []int
	for i, id := range ids {
		_, err := f.n.Handle(ctx, dlcEvent(fmt.Sprintf("s%d", i), id, "Failed"))
		var re *RetryableError
		switch {
		case err == nil:
		case errors.As(err, &re):
			retry = append(retry, i)
		default:
			t.Fatalf("event %d: %v", i, err)
		}
		f.clock.Add(100 * time.Millisecond)
	}
	if len(f.sender.got) != 20 || len(retry) != 10 {
		t.Fatalf("sent %d, retryable %d; want 20 and 10", len(f.sender.got), len(retry))
	}
	// After the window the platform's retries deliver the rest, once.
	f.clock.Add(time.Minute)
	for _, i := range retry {
		if _, err := f.n.Handle(ctx, dlcEvent(fmt.Sprintf("s%d", i), ids[i], "Failed")); err != nil {
			t.Fatalf("retry of %d: %v", i, err)
		}
	}
	// And a redelivery of everything sends nothing more.
	for i, id := range ids {
		if _, err := f.n.Handle(ctx, dlcEvent(fmt.Sprintf("s%d", i), id, "Failed")); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.sender.got) != 30 {
		t.Fatalf("messages = %d, want 30", len(f.sender.got))
	}
	seen := map[string]int{}
	for _, m := range f.sender.got {
		for _, id := range ids {
			if strings.Contains(m.Text, id) {
				seen[id]++
			}
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("job %s reached the group %d times, want 1", id, seen[id])
		}
	}
}

func TestThrottledRobotIsLeftAlone(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Lockout = 10 * time.Minute })
	f.sender.script = []error{dtErr(130101, "send too fast, exceed 20 times per minute")}
	ctx := ctxWithin(t, 5*time.Second)
	if _, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err == nil {
		t.Fatal("want a retryable error")
	}
	f.clock.Add(5 * time.Minute)
	if _, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err == nil {
		t.Fatal("within the lockout: want a retryable error")
	}
	if f.sender.calls != 1 {
		t.Errorf("sends = %d, want 1 (no knocking during the lockout)", f.sender.calls)
	}
	f.clock.Add(6 * time.Minute)
	if res, err := f.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err != nil || res.Sent != 1 {
		t.Fatalf("after the lockout: %+v %v", res, err)
	}
}

func TestInvalidConfigFailsEveryInvocation(t *testing.T) {
	cfgErr := errors.New("rules[0] \"x\": unknown source \"dlcc\" (want dlc or paiflow)")
	n := New(Config{ConfErr: cfgErr})
	for range 2 {
		if _, err := n.Handle(context.Background(), dlcEvent("e1", "dlc1", "Failed")); !errors.Is(err, cfgErr) {
			t.Fatalf("err = %v, want the configuration error", err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{
		"DINGTALK_WEBHOOK":    "https://oapi.dingtalk.com/robot/send?access_token=" + testToken,
		"DINGTALK_SECRET":     testSecret,
		"DINGTALK_RATE_LIMIT": "5/30s",
		"NOTIFY_GONE_FOR":     "2m",
		"NOTIFY_LOCKOUT":      "50s",
		"NOTIFY_INSTANCES":    "2",
	}
	n := FromEnv(func(k string) string { return env[k] }, nil, Flags{})
	if n.cfg.ConfErr != nil {
		t.Fatalf("ConfErr = %v", n.cfg.ConfErr)
	}
	if n.cfg.Rate != (state.Rate{N: 5, Per: 30 * time.Second}) || n.cfg.GoneFor != 2*time.Minute || n.cfg.Lockout != 50*time.Second || n.cfg.Instances != 2 {
		t.Errorf("rate = %v, gone for %v, lockout %v, instances %d", n.cfg.Rate, n.cfg.GoneFor, n.cfg.Lockout, n.cfg.Instances)
	}
	for _, rt := range n.routes { // the DingTalk budget, split between two instances
		if len(rt.limits) != 1 || rt.limits[0] != (state.Rate{N: 2, Per: 30 * time.Second}) {
			t.Errorf("limits = %v, want 2/30s (5/30s between two instances)", rt.limits)
		}
	}
	env["DINGTALK_RATE_LIMIT"] = "fast"
	env["NOTIFY_GONE_FOR"] = "forever"
	env["NOTIFY_LOCKOUT"] = "-1m"
	env["NOTIFY_INSTANCES"] = "two"
	n = FromEnv(func(k string) string { return env[k] }, nil, Flags{})
	for _, name := range []string{"DINGTALK_RATE_LIMIT", "NOTIFY_GONE_FOR", "NOTIFY_LOCKOUT", "NOTIFY_INSTANCES"} {
		if n.cfg.ConfErr == nil || !strings.Contains(n.cfg.ConfErr.Error(), name) {
			t.Errorf("ConfErr = %v, want one naming %s", n.cfg.ConfErr, name)
		}
	}
	if strings.Contains(fmt.Sprint(n.cfg.ConfErr), testToken) {
		t.Error("configuration error leaks the token")
	}
}

func TestExplain(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Explain = true })
	res, err := f.n.Handle(ctxWithin(t, 5*time.Second), dlcEvent("e1", "dlc1", "Running"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Explain) != 1 || len(res.Explain[0].Verdicts) != 2 {
		t.Fatalf("explain = %+v, want one event with two verdicts", res.Explain)
	}
	want := []rules.Verdict{
		{Rule: "dlc-failed", Reason: `status "Running" (running) is not in [failed]`},
		{Rule: "flow-ended", Reason: "source dlc, rule wants paiflow"},
	}
	for i, v := range res.Explain[0].Verdicts {
		if v != want[i] {
			t.Errorf("verdict %d = %+v, want %+v", i, v, want[i])
		}
	}
}

// FC runs one instance's invocations concurrently: a redelivery racing the
// original must not reach the group twice, and racing invocations must not
// overspend a robot's budget together.
func TestConcurrentInvocations(t *testing.T) {
	f := newFixture(t, nil)
	ctx := ctxWithin(t, 10*time.Second)
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() { f.n.Handle(ctx, dlcEvent("same", "dlcsame", "Failed")) })
	}
	wg.Wait()
	if len(f.sender.got) != 1 {
		t.Fatalf("one event delivered %d times by racing invocations, want 1", len(f.sender.got))
	}
	var retry sync.Map
	for i := range 40 {
		wg.Go(func() {
			if _, err := f.n.Handle(ctx, dlcEvent(fmt.Sprintf("c%d", i), fmt.Sprintf("dlcc%02d", i), "Failed")); err != nil {
				retry.Store(i, true)
			}
		})
	}
	wg.Wait()
	if got := len(f.sender.got); got != 20 {
		t.Errorf("racing invocations sent %d messages in one window, want 20 (1 + 19 new)", got)
	}
	n := 0
	retry.Range(func(any, any) bool { n++; return true })
	if n != 21 {
		t.Errorf("%d invocations failed as retryable, want 21", n)
	}
}

func TestJobFailingAgainAfterRestartIsReported(t *testing.T) {
	f := newFixture(t, nil)
	ctx := ctxWithin(t, 5*time.Second)
	failedAt := func(id, finished string) []byte {
		return []byte(fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"acs.pai","type":"pai:DLC:JobStatusChanged",
		"data":{"JobId":"dlcr","Status":"Failed","WorkspaceId":"249407","GmtFinishTime":%q}}`, id, finished))
	}
	for _, ev := range [][]byte{
		failedAt("r1", "2026-01-06T08:00:00Z"),
		failedAt("r2", "2026-01-06T08:00:00Z"), // the same failure published twice
		failedAt("r3", "2026-01-06T09:30:00Z"), // failed again after a restart
	} {
		if _, err := f.n.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.sender.got) != 2 {
		t.Errorf("messages = %d, want 2 (two distinct failures)", len(f.sender.got))
	}
}

// Without a platform deadline (local mode) the invocation is bounded by
// InvokeTimeout. The robot answers 5xx forever, which is refunded, and the
// budget is vast: only the deadline can end the retries (the fixture's
// sleeper fails the test after 100,000 of them).
func TestNoDeadlineIsBounded(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.InvokeTimeout = 30 * time.Second
		c.Rate = state.Rate{N: 1 << 30, Per: time.Minute}
		c.BackoffBase, c.BackoffMax = 100*time.Millisecond, time.Second
	})
	f.sender.fail = &dingtalk.Error{HTTPStatus: 502, Class: dingtalk.ClassServer}
	start := f.clock.Now()
	_, err := f.n.Handle(context.Background(), dlcEvent("e1", "dlc1", "Failed"))
	var re *RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RetryableError", err)
	}
	if spent := f.clock.Now().Sub(start); spent < 20*time.Second || spent > 30*time.Second {
		t.Errorf("retried for %v, want until about InvokeTimeout (30s)", spent)
	}
}
