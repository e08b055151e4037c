package main

// End-to-end tests of the BUILT notifier, driven through the FC and Lambda
// runtime-API emulators against the signature-checking DingTalk robot.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
)

const (
	token  = "e2etoken0123456789abcdef"
	secret = "SECe2esecret0123456789abcdef0123456789"
)

// result mirrors notify.Result as the function returns it.
type result struct {
	Events, Matched, Sent, Failed, Skipped, Suppressed, Retried int
	Deliveries                                                  []struct {
		Rule, EventID, JobID, Status, Outcome, Error, Hint string
	}
}

// fastClock runs scale times faster than real time from start. The
// notifier runs on real time in its own process; a fake robot on this clock
// has its 60 s window pass in 60/scale real seconds, as fast as a short
// DINGTALK_RATE_LIMIT window passes in the notifier.
type fastClock struct {
	start time.Time
	scale time.Duration
}

func (c fastClock) now() time.Time { return c.start.Add(time.Since(c.start) * c.scale) }

type env struct {
	t     *testing.T
	robot *dingtalktest.Server
	rt    *runtimetest.Runtime
}

// kinds are the runtimes the notifier is run under: our FC and Lambda
// emulators, and AWS's runtime interface emulator with the Lambda binary
// (skipped when aws-lambda-rie is not installed, except on CI).
var kinds = []runtimetest.Kind{runtimetest.FC, runtimetest.Lambda, runtimetest.RIE}

// start runs the built notifier for kind with one rule (every failed DLC
// job) to a fresh robot on real time. extra adds environment variables.
func start(t *testing.T, kind runtimetest.Kind, robotSecret string, extra ...string) *env {
	t.Helper()
	return startWith(t, kind, robotSecret, nil, extra...)
}

// startWith is start with options for the fake robot.
func startWith(t *testing.T, kind runtimetest.Kind, robotSecret string, robotOpts []dingtalktest.Option, extra ...string) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the notifier")
	}
	robot := dingtalktest.New(robotOpts...)
	t.Cleanup(robot.Close)
	webhook := robot.AddRobot(token, secret)
	rules := fmt.Sprintf(`{"rules":[{"name":"dlc-failed","source":"dlc","scope":"workspace","events":"failed",
		"target":{"webhook":%q,"secret":"${ROBOT_SECRET}"}}]}`, webhook)
	bin := runtimetest.Build(t, "./functions/notifier", kind)
	vars := append([]string{"NOTIFY_RULES=" + rules, "ROBOT_SECRET=" + robotSecret, "DINGTALK_TIMEOUT=2s"}, extra...)
	return &env{t: t, robot: robot, rt: runtimetest.Start(t, kind, bin, vars)}
}

func (e *env) invoke(payload []byte, opts ...runtimetest.InvokeOption) (result, *runtimetest.FunctionError) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := e.rt.Invoke(ctx, payload, opts...)
	if err != nil {
		e.t.Fatalf("invoke: %v\nlogs:\n%s", err, e.rt.Logs())
	}
	var r result
	if res.Err == nil {
		if err := json.Unmarshal(res.Payload, &r); err != nil {
			e.t.Fatalf("result %s: %v", res.Payload, err)
		}
	}
	return r, res.Err
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dlcFailed(id, job string) []byte {
	return []byte(fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"acs.pai","type":"pai:DLC:JobStatusChanged","aliyunregionid":"cn-hangzhou",
		"data":{"JobId":%q,"DisplayName":"train-%s","Status":"Failed","WorkspaceId":"249407","ReasonMessage":"exit code 1"}}`, id, job, job))
}

// jobsInGroup counts, for each job id, the accepted messages naming it.
func jobsInGroup(robot *dingtalktest.Server, ids []string) map[string]int {
	seen := map[string]int{}
	for _, m := range robot.Messages() {
		for _, id := range ids {
			if strings.Contains(m.Text, id) {
				seen[id]++
			}
		}
	}
	return seen
}

// waitLogs waits briefly for text in the function's output, which is copied
// from the child's pipes asynchronously.
func waitLogs(rt *runtimetest.Runtime, text string) bool {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(rt.Logs(), text) {
			return true
		}
	}
	return false
}

func assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range []string{token, secret} {
		if strings.Contains(text, s) {
			t.Errorf("%s leaks a secret", where)
		}
	}
}

func TestRuntimes(t *testing.T) {
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			e := start(t, kind, secret)
			// A malformed invocation fails alone; the process survives it.
			// (Lambda's SDK itself refuses a payload that is not JSON.)
			_, ferr := e.invoke([]byte("this is not an event"))
			if ferr == nil || kind == runtimetest.FC && !strings.Contains(ferr.Message, "not JSON") {
				t.Fatalf("malformed invocation: %v, want an error saying the body is not JSON", ferr)
			}
			for _, name := range []string{"dlc-failed.json", "fc-batch.json", "fc-batch-strings.json", "sqs-records.json", "aws-pai-forwarded.json", "oss-object-created.json"} {
				r, ferr := e.invoke(sample(t, name), runtimetest.WithRequestID("req-"+strings.TrimSuffix(name, ".json")))
				if ferr != nil {
					t.Fatalf("%s: %v", name, ferr)
				}
				if r.Failed != 0 {
					t.Errorf("%s: %+v", name, r)
				}
			}
			if n := len(e.robot.Messages()); n == 0 {
				t.Fatal("the robot received nothing")
			}
			for _, m := range e.robot.Messages() {
				if !strings.Contains(m.Title, "DLC") {
					t.Errorf("unexpected message title %q", m.Title)
				}
			}
			waitLogs(e.rt, `"requestId":"req-oss-object-created"`)
			logs := e.rt.Logs()
			assertNoSecret(t, "function logs", logs)
			if !strings.Contains(logs, `"requestId":"req-dlc-failed"`) {
				t.Errorf("log lines lack the request id:\n%s", logs)
			}
			// Warm invocations reuse one connection to the robot.
			if c := e.robot.Connections(); c > 2 {
				t.Errorf("robot accepted %d connections, want the client to reuse one", c)
			}
		})
	}
}

func TestServerErrorsThenSuccessGiveOneMessage(t *testing.T) {
	e := start(t, runtimetest.FC, secret)
	e.robot.Fault(token, 2, dingtalktest.StatusFault(500))
	r, ferr := e.invoke(dlcFailed("ev-1", "dlcjob1"))
	if ferr != nil || r.Sent != 1 || r.Retried != 2 {
		t.Fatalf("result %+v, error %v; want 1 sent after 2 retries", r, ferr)
	}
	if n := len(e.robot.Messages()); n != 1 {
		t.Fatalf("the group got %d messages, want 1", n)
	}
	// EventBridge delivers it again: nothing more reaches the group.
	r, ferr = e.invoke(dlcFailed("ev-1", "dlcjob1"))
	if ferr != nil || r.Suppressed != 1 || r.Sent != 0 {
		t.Fatalf("redelivery: %+v, %v; want 1 suppressed", r, ferr)
	}
	if n := len(e.robot.Messages()); n != 1 {
		t.Fatalf("after redelivery the group has %d messages, want 1", n)
	}
}

func TestHangFailsRetryableThenDelivers(t *testing.T) {
	e := start(t, runtimetest.FC, secret, "DINGTALK_TIMEOUT=300ms")
	// Two hangs outlast a 1 s invocation (two 300 ms attempts and a backoff);
	// a slow machine may leave one for the retry, which then retries inside.
	e.robot.Fault(token, 2, dingtalktest.HangFault())
	_, ferr := e.invoke(dlcFailed("ev-h", "dlcjobh"), runtimetest.WithTimeout(time.Second))
	if ferr == nil || !strings.Contains(ferr.Message, "retry") {
		t.Fatalf("error %v, want a retryable invocation error", ferr)
	}
	r, ferr := e.invoke(dlcFailed("ev-h", "dlcjobh"))
	if ferr != nil || r.Sent != 1 {
		t.Fatalf("platform retry: %+v, %v; want 1 sent", r, ferr)
	}
	if got := jobsInGroup(e.robot, []string{"dlcjobh"})["dlcjobh"]; got != 1 {
		t.Errorf("job reached the group %d times, want 1", got)
	}
}

func TestBatchOf30BecomesDigests(t *testing.T) {
	e := start(t, runtimetest.FC, secret)
	var evs []string
	var ids []string
	for i := range 30 {
		id := fmt.Sprintf("dlcburst%02d", i)
		ids = append(ids, id)
		evs = append(evs, string(dlcFailed(fmt.Sprintf("burst-%d", i), id)))
	}
	r, ferr := e.invoke([]byte("[" + strings.Join(evs, ",") + "]"))
	if ferr != nil || r.Sent != 30 {
		t.Fatalf("result %+v, %v; want all 30 delivered", r, ferr)
	}
	if n := len(e.robot.Messages()); n > 20 || n == 0 {
		t.Fatalf("the group got %d messages, want 1..20", n)
	}
	for id, n := range jobsInGroup(e.robot, ids) {
		if n != 1 {
			t.Errorf("job %s named %d times, want exactly once", id, n)
		}
	}
	if got := e.robot.Count(130101); got != 0 {
		t.Errorf("the robot answered 'too fast' %d times", got)
	}
}

func TestThirtyInvocationsRespectTheBudget(t *testing.T) {
	// The notifier's budget window is window of real time (it runs in its own
	// process); the fake robot's clock runs 60s/window times faster, so its
	// 20-a-minute window passes just as fast and nothing waits a minute. The
	// robot answers 130101 to any message past 20 in its window: the budget
	// is judged by the robot, not by timing.
	const window = 2 * time.Second
	robotClock := fastClock{start: time.Now(), scale: time.Minute / window}
	e := startWith(t, runtimetest.FC, secret, []dingtalktest.Option{dingtalktest.WithClock(robotClock.now)},
		"DINGTALK_RATE_LIMIT=20/"+window.String())
	var ids, retry []string
	began := time.Now()
	for i := range 30 {
		id := fmt.Sprintf("dlcsep%02d", i)
		ids = append(ids, id)
		_, ferr := e.invoke(dlcFailed("sep-"+id, id))
		if ferr != nil {
			if !strings.Contains(ferr.Message, "retry") {
				t.Fatalf("invocation %d: %v, want a retryable error", i, ferr)
			}
			retry = append(retry, id)
		}
	}
	took := time.Since(began)
	t.Logf("30 invocations took %v", took)
	if got := e.robot.Count(130101); got != 0 {
		t.Fatalf("the robot answered 'too fast' %d times: the budget was exceeded", got)
	}
	sent := len(e.robot.Messages())
	if sent+len(retry) != 30 || sent > 20*(1+int(took/window)) {
		t.Fatalf("in %v: sent %d, failed as retryable %d; want 30 in all, at most 20 a window", took, sent, len(retry))
	}
	// Exact figures only when all 30 fell into one window; a slow machine
	// spreads them over more, and then more are sent at once.
	if took < window && (sent != 20 || len(retry) != 10) {
		t.Fatalf("in %v: sent %d, failed as retryable %d; want 20 and 10", took, sent, len(retry))
	}
	// The platform retries the failed ones until the window lets them through
	// (a bounded poll, as the platform's retries are bounded) ...
	deadline := time.Now().Add(10 * window)
	for _, id := range retry {
		for {
			_, ferr := e.invoke(dlcFailed("sep-"+id, id))
			if ferr == nil {
				break
			}
			if !strings.Contains(ferr.Message, "retry") || time.Now().After(deadline) {
				t.Fatalf("retry of %s: %v", id, ferr)
			}
			time.Sleep(window / 20)
		}
	}
	// ... and redelivers everything once more: nothing reaches the group twice.
	for _, id := range ids {
		r, ferr := e.invoke(dlcFailed("sep-"+id, id))
		if ferr != nil || r.Sent != 0 || r.Suppressed != 1 {
			t.Fatalf("redelivery of %s: %+v, %v; want it suppressed", id, r, ferr)
		}
	}
	for id, n := range jobsInGroup(e.robot, ids) {
		if n != 1 {
			t.Errorf("job %s reached the group %d times, want 1", id, n)
		}
	}
	if got := e.robot.Count(130101); got != 0 {
		t.Errorf("the robot answered 'too fast' %d times: the budget was exceeded", got)
	}
}

func TestPermanentErrorIsReportedWithHint(t *testing.T) {
	for _, kind := range []runtimetest.Kind{runtimetest.Lambda, runtimetest.RIE} {
		t.Run(string(kind), func(t *testing.T) {
			e := start(t, kind, "SECthisisnottherobotssecret") // the robot will say: sign not match
			raw, err := e.rt.Invoke(context.Background(), dlcFailed("ev-p", "dlcjobp"))
			if err != nil || raw.Err != nil {
				t.Fatalf("a permanent failure must not fail the invocation: %v %v", err, raw.Err)
			}
			var r result
			if err := json.Unmarshal(raw.Payload, &r); err != nil {
				t.Fatal(err)
			}
			if r.Failed != 1 || len(r.Deliveries) != 1 || r.Deliveries[0].Outcome != "failed" {
				t.Fatalf("result %+v, want one failed delivery", r)
			}
			d := r.Deliveries[0]
			if !strings.Contains(d.Error, "310000") || !strings.Contains(strings.ToLower(d.Hint), "secret") {
				t.Errorf("delivery %+v: want errcode 310000 and a hint about the secret", d)
			}
			assertNoSecret(t, "result", string(raw.Payload))
			assertNoSecret(t, "logs", e.rt.Logs())
			if !waitLogs(e.rt, `"level":"ERROR"`) {
				t.Error("a permanent failure is not logged loudly")
			}
		})
	}
}

func TestInvalidRulesFailEveryInvocation(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	for _, kind := range []runtimetest.Kind{runtimetest.Lambda, runtimetest.RIE} {
		t.Run(string(kind), func(t *testing.T) {
			bin := runtimetest.Build(t, "./functions/notifier", kind)
			rt := runtimetest.Start(t, kind, bin, []string{`NOTIFY_RULES={"rules":[{"name":"x","source":"dlcc","target":{"webhook":"https://oapi.dingtalk.com/robot/send?access_token=` + token + `"}}]}`})
			for range 2 {
				res, err := rt.Invoke(context.Background(), dlcFailed("ev-x", "dlcx"))
				if err != nil {
					t.Fatal(err)
				}
				if res.Err == nil || !strings.Contains(res.Err.Message, "dlcc") {
					t.Fatalf("error %v, want the validation error naming the bad source", res.Err)
				}
				assertNoSecret(t, "error", res.Err.Message)
			}
		})
	}
}

// TestUnreadablePayloads: an empty or non-JSON payload fails with an error
// that says so (and where), logged at WARN with the request id.
func TestUnreadablePayloads(t *testing.T) {
	e := start(t, runtimetest.FC, secret)
	for id, tc := range map[string]struct{ payload, want string }{
		"req-empty":   {"", "payload is empty"},
		"req-blank":   {" \n", "payload is empty"},
		"req-notjson": {`{"id": x}`, "payload is not JSON: invalid character 'x' looking for beginning of value at byte 8 of 9"},
	} {
		_, ferr := e.invoke([]byte(tc.payload), runtimetest.WithRequestID(id))
		if ferr == nil || !strings.Contains(ferr.Message, tc.want) {
			t.Errorf("%s: error %v, want %q", id, ferr, tc.want)
		}
		if !waitLogs(e.rt, `"requestId":"`+id+`"`) {
			t.Fatalf("%s: no log line with the request id:\n%s", id, e.rt.Logs())
		}
		found := false
		for _, line := range strings.Split(e.rt.Logs(), "\n") {
			if strings.Contains(line, `"requestId":"`+id+`"`) && strings.Contains(line, "unreadable") {
				found = true
				if !strings.Contains(line, `"level":"WARN"`) {
					t.Errorf("%s: logged %s, want level WARN", id, line)
				}
			}
		}
		if !found {
			t.Errorf("%s: no 'unreadable payload' line with the request id:\n%s", id, e.rt.Logs())
		}
	}
}

// runLocal runs the built notifier in local mode (no runtime API variable)
// on payload as stdin, with args, and returns stdout, stderr and the exit
// status.
func runLocal(t *testing.T, env []string, payload []byte, args ...string) (string, string, int) {
	t.Helper()
	bin := runtimetest.Build(t, "./functions/notifier", runtimetest.FC)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"TMPDIR=" + os.TempDir()}, env...)
	cmd.Stdin = bytes.NewReader(payload)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %s: %v", bin, err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// localRobot is a fake robot and the environment of one rule (every failed
// DLC job) sending to it, signed with robotSecret.
func localRobot(t *testing.T, robotSecret string) (*dingtalktest.Server, []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the notifier")
	}
	robot := dingtalktest.New()
	t.Cleanup(robot.Close)
	webhook := robot.AddRobot(token, secret)
	rules := fmt.Sprintf(`{"rules":[{"name":"dlc-failed","source":"dlc","scope":"workspace","events":"failed","target":{"webhook":%q,"secret":%q}}]}`, webhook, robotSecret)
	return robot, []string{"NOTIFY_RULES=" + rules, "DINGTALK_TIMEOUT=300ms"}
}

// TestLocalModeSaysWhatHappened: the JSON result is printed also when the
// invocation fails as retryable, and the exit status is non-zero whenever
// a notification was not delivered, permanent failures included.
func TestLocalModeSaysWhatHappened(t *testing.T) {
	t.Run("delivered", func(t *testing.T) {
		robot, env := localRobot(t, secret)
		out, logs, code := runLocal(t, env, dlcFailed("ev-l1", "dlcjobl1"))
		var r result
		if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || r.Sent != 1 || len(robot.Messages()) != 1 {
			t.Fatalf("exit %d, result %s (%v), robot got %d; want exit 0 and 1 sent\n%s", code, out, err, len(robot.Messages()), logs)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		_, env := localRobot(t, "SECthisisnottherobotssecret")
		out, logs, code := runLocal(t, env, dlcFailed("ev-l2", "dlcjobl2"))
		var r result
		if err := json.Unmarshal([]byte(out), &r); err != nil || r.Failed != 1 {
			t.Fatalf("result %s (%v), want one failed delivery\n%s", out, err, logs)
		}
		if code == 0 {
			t.Error("a permanent failure exited 0")
		}
		assertNoSecret(t, "stdout", out)
	})
	t.Run("retryable", func(t *testing.T) {
		robot, env := localRobot(t, secret)
		robot.Fault(token, 100, dingtalktest.HangFault()) // a timeout is not refunded: two attempts spend the budget
		out, logs, code := runLocal(t, append(env, "DINGTALK_RATE_LIMIT=2/1m"), dlcFailed("ev-l3", "dlcjobl3"))
		var r struct {
			Error string
			result
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil || !strings.Contains(r.Error, "retry") || r.Matched != 1 || len(r.Deliveries) != 1 || r.Deliveries[0].Outcome != "retry" {
			t.Fatalf("printed %s (%v), want the result with the retryable error\n%s", out, err, logs)
		}
		if code == 0 {
			t.Error("a retryable failure exited 0")
		}
	})
}

// TestDryRunSendsNothing: -dry-run (also with -explain) matches and renders,
// prints each message as the group would see it, and sends nothing.
func TestDryRunSendsNothing(t *testing.T) {
	for _, args := range [][]string{{"-dry-run"}, {"-dry-run", "-explain"}, {"-explain", "-dry-run"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			robot, env := localRobot(t, secret)
			out, logs, code := runLocal(t, env, dlcFailed("ev-d1", "dlcjobd1"), args...)
			if n := len(robot.Requests()); n != 0 {
				t.Fatalf("the robot received %d requests", n)
			}
			msg, line, ok := strings.Cut(strings.TrimSuffix(out, "\n"), "\n{")
			if !ok || !strings.Contains(msg, "dry run") || !strings.Contains(msg, "dlcjobd1") || !strings.Contains(msg, "train-dlcjobd1") {
				t.Fatalf("stdout %q: want the rendered message, then the result\n%s", out, logs)
			}
			var r struct {
				DryRun  bool
				Explain []any
				result
			}
			if err := json.Unmarshal([]byte("{"+line), &r); err != nil || !r.DryRun || r.Sent != 1 || code != 0 {
				t.Fatalf("exit %d, result {%s (%v): want dryRun and 1 sent (printed)", code, line, err)
			}
			if (len(r.Explain) > 0) != slices.Contains(args, "-explain") {
				t.Errorf("explain %v with args %v", r.Explain, args)
			}
			assertNoSecret(t, "stdout", out)
		})
	}
}
