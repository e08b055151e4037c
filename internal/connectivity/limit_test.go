package connectivity

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
	"github.com/pai-notifier/pai-notifier/internal/rate"
	"github.com/pai-notifier/pai-notifier/internal/rules"
)

// TestRateLimit: past CONNTEST_RATE_LIMIT tests of one robot, the function answers 429 with
// Retry-After and sends nothing, whichever way the robot is named; other robots are not held up,
// and the robot is tested again once its window has room.
func TestRateLimit(t *testing.T) {
	robot := dingtalktest.New()
	t.Cleanup(robot.Close)
	host := strings.TrimPrefix(robot.URL(), "http://")
	hook := robot.AddRobot(testToken, testSecret)
	other := robot.AddRobot(strings.Repeat("b", 64), "")
	set, err := rules.Parse([]byte("rules:\n  - name: team\n    source: dlc\n    target: {webhook: \""+hook+"\", secret: "+testSecret+"}\n"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	clock := dingtalktest.NewClock(time.Now())
	logs := &runtimetest.SyncBuffer{}
	tester := New(Config{
		Rules: set, Timeout: 5 * time.Second, AllowedHosts: []string{host},
		RateLimit: "3/1m", Now: clock.Now, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	post := func(body string) (Response, answer) {
		t.Helper()
		resp := tester.Handle(context.Background(), Request{Method: http.MethodPost, Body: []byte(body)})
		var a answer
		if err := json.Unmarshal(resp.Body, &a); err != nil {
			t.Fatalf("answer is not JSON: %s", resp.Body)
		}
		return resp, a
	}
	byHook := jsonBody(map[string]string{"webhook": hook, "secret": testSecret})
	// The same robot spelt otherwise: another query parameter, upper-case token. DingTalk counts
	// them all against one robot, and so does the limit.
	respelt := jsonBody(map[string]string{"webhook": strings.Replace(hook, testToken, strings.ToUpper(testToken), 1) + "&x=1", "secret": testSecret})
	steps := []struct {
		name    string
		advance time.Duration
		body    string
		status  int
		retry   string
		sent    int // messages the group has received so far
	}{
		{"first", 0, byHook, 200, "", 1},
		{"by rule shares the count", 0, `{"rule":"team"}`, 200, "", 2},
		{"third", 10 * time.Second, byHook, 200, "", 3},
		{"fourth refused", 0, byHook, 429, "50", 3},
		{"by rule refused", 0, `{"rule":"team"}`, 429, "50", 3},
		{"respelt refused", 0, respelt, 429, "50", 3},
		{"rounded up", 500 * time.Millisecond, byHook, 429, "50", 3},
		{"other robot", 0, jsonBody(map[string]string{"webhook": other}), 200, "", 4},
		{"still refused", 30 * time.Second, byHook, 429, "20", 4},
		{"first two left the window", 20 * time.Second, byHook, 200, "", 5},
		{"room for one", 0, byHook, 200, "", 6},
		{"full again", 0, byHook, 429, "10", 6},
	}
	for _, s := range steps {
		clock.Add(s.advance)
		resp, a := post(s.body)
		if resp.Status != s.status || resp.Headers["retry-after"] != s.retry {
			t.Fatalf("%s: %d Retry-After %q %s; want %d Retry-After %q", s.name, resp.Status, resp.Headers["retry-after"], resp.Body, s.status, s.retry)
		}
		if s.status == 429 && (a.OK || !strings.Contains(a.Error, "nothing was sent") || !strings.Contains(a.Error, "3 test messages per minute") ||
			!strings.Contains(a.Error, "Try again in "+s.retry+" seconds")) {
			t.Errorf("%s: 429 answer %s does not say in plain words what happened and when to retry", s.name, resp.Body)
		}
		if n := len(robot.Messages()); n != s.sent {
			t.Fatalf("%s: group has %d messages, want %d", s.name, n, s.sent)
		}
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"connectivity test","outcome":"rate-limited","status":429`) {
		t.Errorf("a refused test is not logged as rate-limited at WARN:\n%s", logs)
	}
	assertNoLeak(t, "log", logs.String(), testToken, testSecret)
}

func TestDefaultRateLimit(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	hook := f.robot.AddRobot(testToken, testSecret)
	body := jsonBody(map[string]string{"webhook": hook, "secret": testSecret})
	want, err := rate.Parse(DefaultRateLimit)
	if err != nil || want.N != 5 || want.Per != time.Minute {
		t.Fatalf("DefaultRateLimit %q = %v, %v; the issue asks for 5/1m", DefaultRateLimit, want, err)
	}
	for i := range want.N {
		if resp, _ := f.post(body); resp.Status != 200 {
			t.Fatalf("test %d: %d %s", i+1, resp.Status, resp.Body)
		}
	}
	if resp, _ := f.post(body); resp.Status != 429 {
		t.Errorf("test %d: %d, want 429", want.N+1, resp.Status)
	}
	if n := len(f.robot.Messages()); n != want.N {
		t.Errorf("group got %d messages, want %d", n, want.N)
	}
}

func TestBadRateLimit(t *testing.T) {
	for _, v := range []string{"fast", "0/1m", "5/0s"} {
		var logs runtimetest.SyncBuffer
		f := newFixture(t, fixtureOpts{cfg: func(c *Config) {
			c.RateLimit = v
			c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		}})
		resp, a := f.post(`{"rule":"x"}`)
		if resp.Status != 500 || !strings.Contains(a.Error, "CONNTEST_RATE_LIMIT") || strings.Contains(a.Error, v) {
			t.Errorf("RateLimit %q: %d %s, want 500 naming CONNTEST_RATE_LIMIT but not its value", v, resp.Status, resp.Body)
		}
		if !strings.Contains(logs.String(), fmt.Sprintf(`CONNTEST_RATE_LIMIT: rate \"%s\"`, v)) {
			t.Errorf("RateLimit %q: the log does not say what is wrong:\n%s", v, logs.String())
		}
	}
}

// TestLimiterIsBounded: the limiter remembers at most max robots; a new robot past that waits for
// a window to end rather than making the limiter forget a robot that is still within its limit.
func TestLimiterIsBounded(t *testing.T) {
	l := newLimiter(rate.Rate{N: 1, Per: time.Minute})
	l.max = 2
	t0 := time.Unix(1_700_000_000, 0)
	if ok, _ := l.take("a", t0); !ok {
		t.Fatal("a refused")
	}
	if ok, _ := l.take("b", t0.Add(10*time.Second)); !ok {
		t.Fatal("b refused")
	}
	ok, wait := l.take("c", t0.Add(20*time.Second))
	if ok || wait != 40*time.Second {
		t.Errorf("c while full: ok %v wait %v, want refused for 40s (until a's window ends)", ok, wait)
	}
	if ok, _ := l.take("a", t0.Add(30*time.Second)); ok {
		t.Error("a got a second test within its window")
	}
	if ok, _ := l.take("c", t0.Add(60*time.Second)); !ok || len(l.sent) != 2 {
		t.Errorf("c after a's window: ok %v, %d robots remembered", ok, len(l.sent))
	}
}
