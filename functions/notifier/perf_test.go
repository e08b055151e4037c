package main

// The figures users feel (docs/PERFORMANCE.md has the targets and the
// commands): cold start to the first delivered message beside a hello-world
// binary, one warm invocation's own work, and the size of the deployed
// binaries. Plus proof that the deployed binaries link one platform SDK each,
// and (by strace) that starting and invoking does no file, network or
// template work beyond the event file and the one send.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/notify"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/state"
)

// The Makefile's release flags (BUILD_FLAGS) and each deployed binary's tags
// (FC_GO, LAMBDA_GO). allTags is a plain build: one binary for all modes.
const (
	fcTags     = "lambda.norpc,fc"
	lambdaTags = "lambda.norpc,lambda"
	allTags    = "lambda.norpc"
)

// goBuild builds pkg (run in dir) for goos/goarch with the release flags and
// tags into out; strip false keeps the symbol table (for go tool nm).
func goBuild(tb testing.TB, dir, pkg, goos, goarch, tags, out string, strip bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"build", "-trimpath", "-tags", tags, "-o", out}
	if strip {
		args = append(args, "-ldflags", "-s -w")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build -tags %s %s for %s/%s: %v\n%s", tags, pkg, goos, goarch, err, msg)
	}
}

// buildNotifier builds this package, stripped, for this machine with tags.
func buildNotifier(tb testing.TB, tags string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "notifier")
	goBuild(tb, ".", ".", runtime.GOOS, runtime.GOARCH, tags, out, true)
	return out
}

// buildProgram builds a one-file program the way buildNotifier builds the
// notifier.
func buildProgram(tb testing.TB, name, mainGo string) string {
	tb.Helper()
	src := filepath.Join(tb.TempDir(), name)
	if err := os.MkdirAll(src, 0o755); err != nil {
		tb.Fatal(err)
	}
	files := map[string]string{"go.mod": "module " + name + "\n\ngo 1.26\n", "main.go": mainGo}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	out := filepath.Join(src, name+"-bin")
	goBuild(tb, src, ".", runtime.GOOS, runtime.GOARCH, fcTags, out, true)
	return out
}

// helloGo is the baseline: what any Go binary costs to start.
const helloGo = `package main

import "os"

func main() { os.Stdout.WriteString("{\"hello\":\"world\"}\n") }
`

// postGo is the floor: the least a Go program does to deliver one signed
// message with net/http, which the notifier needs too.
const postGo = `package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	ts, key := strconv.FormatInt(time.Now().UnixMilli(), 10), os.Getenv("SECRET")
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + "\n" + key))
	sign := url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := http.Post(os.Getenv("WEBHOOK")+"&timestamp="+ts+"&sign="+sign, "application/json",
		strings.NewReader(` + "`" + `{"msgtype":"markdown","markdown":{"title":"PAI job failed","text":"PAI job failed"}}` + "`" + `))
	if err != nil {
		panic(err)
	}
	b, _ := io.ReadAll(resp.Body)
	os.Stdout.Write(append(b, '\n'))
}
`

// localEnv is the notifier's environment for local mode: one rule (failed
// DLC jobs) to a robot on the loopback fake, which takes any number of messages.
func localEnv(tb testing.TB) ([]string, *dingtalktest.Server) {
	tb.Helper()
	robot := dingtalktest.New(dingtalktest.WithLimit(1 << 30))
	tb.Cleanup(robot.Close)
	webhook := robot.AddRobot(token, secret)
	rules := fmt.Sprintf(`{"rules":[{"name":"dlc-failed","source":"dlc","scope":"workspace","events":"failed",`+
		`"target":{"webhook":%q,"secret":%q}}]}`, webhook, secret)
	return []string{"NOTIFY_RULES=" + rules, "DINGTALK_TIMEOUT=5s", "LOG_LEVEL=warn", "PATH=/usr/bin:/bin",
		"WEBHOOK=" + webhook, "SECRET=" + secret}, robot // the last two for postGo
}

// run starts bin with args and env, and returns when it exited: when it was
// started, how long its first line of output took to arrive, the line, and
// the CPU time the process used.
func run(tb testing.TB, bin string, env []string, args ...string) (start time.Time, took time.Duration, line string, cpu time.Duration) {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	start = time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	line, err = bufio.NewReader(out).ReadString('\n')
	took = time.Since(start)
	if werr := cmd.Wait(); err != nil || werr != nil {
		tb.Fatalf("%s: first line %q: %v, exit: %v", filepath.Base(bin), line, err, werr)
	}
	return start, took, line, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// cpuTime is the CPU time this process has used so far. On a shared machine
// it is the steadier figure: wall time also counts waiting for a core.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkColdStart is a cold start to the first delivered message: from
// exec of the notifier until the loopback robot has checked the signature
// and accepted the message (events/dlc-failed.json: parse, match, render,
// sign, one send). The baseline, run alternately with it so that both see
// the same machine, is a hello-world binary built with the same flags, from
// exec to its line of output. Each sub-benchmark reports the medians and
// their ratio (x-hello, target <= 2), and for the processes started directly
// the same for their CPU time (cpu-x-hello, steadier on a shared machine).
//
//   - /fc-runtime-api: the FC binary as deployed (-tags fc, built for this
//     machine) started by the FC runtime emulator, which hands it the event
//     on its first poll (the emulator's start counts against it);
//
//   - /fc-local: the same binary in local mode, the event file as argument;
//
//   - /all-platforms-local: a plain build, which links the Lambda SDK too;
//
//   - /net-http-floor: the least any Go sender does (postGo: sign, one
//     net/http POST), to tell the notifier's own cost from the floor.
//
//     go test -run='^$' -bench=ColdStart -benchtime=200x ./functions/notifier/
func BenchmarkColdStart(b *testing.B) {
	hello := buildProgram(b, "hello", helloGo)
	env, robot := localEnv(b)
	event := filepath.Join("..", "..", "events", "dlc-failed.json")
	payload, err := os.ReadFile(event)
	if err != nil {
		b.Fatal(err)
	}
	fc := buildNotifier(b, fcTags)
	// direct runs bin with args: its start, CPU time and first line.
	direct := func(bin string, want string, args ...string) func(b *testing.B) (time.Time, time.Duration) {
		return func(b *testing.B) (time.Time, time.Duration) {
			start, _, line, cpu := run(b, bin, env, args...)
			if !strings.Contains(line, want) {
				b.Fatalf("%s: first line %q, want %s", bin, line, want)
			}
			return start, cpu
		}
	}
	for _, c := range []struct {
		name string
		once func(b *testing.B) (start time.Time, cpu time.Duration) // cpu 0: not known
	}{
		{"fc-runtime-api", func(b *testing.B) (time.Time, time.Duration) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			rt := runtimetest.Start(b, runtimetest.FC, fc, env)
			defer rt.Close()
			res, err := rt.Invoke(ctx, payload)
			if err != nil || res.Err != nil || !strings.Contains(string(res.Payload), `"sent":1`) {
				b.Fatalf("invoke: %v %v %s\n%s", err, res.Err, res.Payload, rt.Logs())
			}
			return start, 0
		}},
		{"fc-local", direct(fc, `"sent":1`, event)},
		{"all-platforms-local", direct(buildNotifier(b, allTags), `"sent":1`, event)},
		{"net-http-floor", direct(buildProgram(b, "post", postGo), `"errcode":0`)},
	} {
		b.Run(c.name, func(b *testing.B) {
			var accepted, helloLine, cpu, helloCPU []time.Duration
			for b.Loop() {
				_, h, _, hCPU := run(b, hello, env)
				start, nCPU := c.once(b)
				msgs := robot.Messages()
				accepted = append(accepted, msgs[len(msgs)-1].Time.Sub(start))
				helloLine = append(helloLine, h)
				cpu, helloCPU = append(cpu, nCPU), append(helloCPU, hCPU)
			}
			n, h := median(accepted), median(helloLine)
			b.ReportMetric(float64(n.Microseconds()), "accepted-µs")
			b.ReportMetric(float64(h.Microseconds()), "hello-µs")
			b.ReportMetric(float64(n)/float64(h), "x-hello")
			if nc, hc := median(cpu), median(helloCPU); nc > 0 {
				b.ReportMetric(float64(nc.Microseconds()), "cpu-µs")
				b.ReportMetric(float64(nc)/float64(hc), "cpu-x-hello")
			}
		})
	}
}

// signer is a notify.Sender that does what dingtalk.Client.Send does before
// the network: the request body and the signed URL.
type signer struct{}

func (signer) Send(_ context.Context, ch channel.Channel, t channel.Target, m channel.Message) error {
	if _, err := ch.Body(m); err != nil {
		return err
	}
	_, err := dingtalk.SignedURL(t.Webhook.Reveal(), t.Secret.Reveal(), time.Now())
	return err
}

// BenchmarkWarmInvocation is one warm invocation's own work, without the
// network: events/dlc-failed.json (a new event id and job each time, so none
// is a duplicate) through notify.Handle with the rule BenchmarkColdStart uses
// (failed DLC jobs to one signed robot): parse, match, render, dedupe
// claims, rate budget, body, signature, result. Target: <= 50 µs per event.
// cpu-µs/event is this process's CPU time per event, the steadier figure on
// a shared machine.
//
//	go test -run='^$' -bench=WarmInvocation -benchmem ./functions/notifier/
func BenchmarkWarmInvocation(b *testing.B) {
	env, _ := localEnv(b)
	getenv := func(k string) string {
		for _, kv := range env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	}
	set, err := rules.Load(getenv)
	if err != nil {
		b.Fatal(err)
	}
	p, err := event.NewParser(set.Fields())
	if err != nil {
		b.Fatal(err)
	}
	n := notify.New(notify.Config{Rules: set, Parser: p, Sender: signer{},
		Rate:     state.Rate{N: 1 << 20, Per: time.Nanosecond}, // consulted, never exhausted; a real window holds <= 20 sends
		Remember: 64,                                           // fewer than the distinct events: none is a duplicate
	})
	sample, err := os.ReadFile(filepath.Join("..", "..", "events", "dlc-failed.json"))
	if err != nil {
		b.Fatal(err)
	}
	const distinct = 1 << 12
	bodies := make([][]byte, distinct)
	for i := range bodies {
		s := strings.Replace(string(sample), "6f1e2d3c-0000-4a5b-9c8d-000000000001", fmt.Sprintf("6f1e2d3c-0000-4a5b-9c8d-%012d", i), 1)
		bodies[i] = []byte(strings.ReplaceAll(s, "dlc1gbd4p5lft9tx", fmt.Sprintf("dlc%013d", i)))
	}
	ctx := context.Background()
	sent := 0
	b.ReportAllocs()
	cpu := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		res, err := n.Handle(ctx, bodies[i%distinct])
		if err != nil || res.Sent == 0 {
			b.Fatalf("%+v %v", res, err)
		}
		sent += res.Sent
	}
	b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/event")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/event")
	b.ReportMetric(float64(sent)/float64(b.N), "messages/event")
}

// BenchmarkBinarySize builds the deployed binaries exactly as the Makefile
// does and reports their sizes (the loop does no work; the figure is the
// metric). Target: <= 10 MB each.
//
//	go test -run='^$' -bench=BinarySize -benchtime=1x ./functions/notifier/
func BenchmarkBinarySize(b *testing.B) {
	for _, c := range []struct{ name, pkg, goos, goarch, tags string }{
		{"notifier/fc-amd64", ".", "linux", "amd64", fcTags},
		{"notifier/lambda-arm64", ".", "linux", "arm64", lambdaTags},
		{"connectivity/fc-amd64", "../connectivity", "linux", "amd64", fcTags},
		{"connectivity/lambda-arm64", "../connectivity", "linux", "arm64", lambdaTags},
	} {
		b.Run(c.name, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "main")
			goBuild(b, ".", c.pkg, c.goos, c.goarch, c.tags, out, true)
			st, err := os.Stat(out)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(st.Size())/1e6, "MB")
		})
	}
}

// TestDeployedBinariesServeOnePlatform: the FC binary links no Lambda
// runtime loop and the Lambda binary no FC one, and each, started by the
// other platform, says so and exits instead of serving.
func TestDeployedBinariesServeOnePlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both functions twice")
	}
	for _, fn := range []string{".", "../connectivity"} { // the notifier and the connectivity function
		for _, c := range []struct {
			tags, absent, otherEnv, want string
		}{
			{fcTags, "github.com/aws/aws-lambda-go/lambda.StartWithOptions", "AWS_LAMBDA_RUNTIME_API", "built without lambda support"},
			{lambdaTags, "github.com/aliyun/fc-runtime-go-sdk/fc.Start", "FC_RUNTIME_API", "built without fc support"},
		} {
			bin := filepath.Join(t.TempDir(), "function")
			goBuild(t, fn, ".", runtime.GOOS, runtime.GOARCH, c.tags, bin, false)
			syms, err := exec.Command("go", "tool", "nm", bin).Output()
			if err != nil {
				t.Fatalf("go tool nm: %v", err)
			}
			if !strings.Contains(string(syms), "main.main") {
				t.Fatalf("go tool nm lists no main.main: no symbols to check")
			}
			if strings.Contains(string(syms), c.absent) {
				t.Errorf("%s -tags %s: the binary links %s", fn, c.tags, c.absent)
			}
			// A binary that does serve the other platform would poll its
			// runtime API (nothing listens there) until killed.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			cmd := exec.CommandContext(ctx, bin)
			cmd.Env = []string{c.otherEnv + "=127.0.0.1:1", "NOTIFY_RULES={\"rules\":[]}"}
			out, err := cmd.CombinedOutput()
			cancel()
			if err == nil || !strings.Contains(string(out), c.want) {
				t.Errorf("%s -tags %s started with %s: %v, output %q; want exit status 1 and %q", fn, c.tags, c.otherEnv, err, out, c.want)
			}
		}
	}
}

// TestStartupDoesNoHiddenWork runs the FC notifier in local mode on two
// event files under strace and checks every file it opens and every
// connection it makes: the two event files, the runtime's own /sys and /proc
// reads, the zone database for log timestamps, and one connection to the
// robot. No directory is listed, no other file read, no DNS asked.
func TestStartupDoesNoHiddenWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the notifier")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed")
	}
	notifier := buildNotifier(t, fcTags)
	env, robot := localEnv(t)
	events := []string{filepath.Join("..", "..", "events", "dlc-failed.json"), filepath.Join("..", "..", "events", "dlc-succeeded.json")}
	trace := filepath.Join(t.TempDir(), "trace")
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", trace, "-e", "trace=%file,%network,getdents64", notifier}, events...)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "ptrace") {
			t.Skipf("strace cannot trace here: %s", out)
		}
		t.Fatalf("notifier under strace: %v\n%s", err, out)
	}
	if n := len(robot.Messages()); n != 1 {
		t.Fatalf("the robot got %d messages, want 1 (the failure)", n)
	}
	raw, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	robotAddr := strings.TrimPrefix(robot.URL(), "http://")
	host, port, _ := strings.Cut(robotAddr, ":")
	pathArg := regexp.MustCompile(`^\d+\s+(\w+)\((?:AT_FDCWD|-?\d+), "([^"]*)"`)
	connect := regexp.MustCompile(`connect\(\d+, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\), (?:sin_addr=inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")`)
	allowed := func(p string) bool {
		for _, e := range events {
			if p == e {
				return true
			}
		}
		return strings.HasPrefix(p, "/sys/kernel/mm/transparent_hugepage/") || // the Go runtime, at start
			p == "/proc/self/cgroup" || p == "/proc/self/mountinfo" || strings.HasPrefix(p, "/sys/fs/cgroup/") || // the runtime's cgroup-aware GOMAXPROCS
			p == "/etc/localtime" || strings.HasPrefix(p, "/usr/share/zoneinfo/") // time.Local, for log timestamps
	}
	var opened []string
	connects := 0
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.Contains(line, "getdents"):
			t.Errorf("lists a directory: %s", line)
		case strings.Contains(line, "connect("):
			if strings.Contains(line, "AF_UNIX") {
				t.Errorf("connects to a local socket (syslog? nscd?): %s", line)
				continue
			}
			m := connect.FindStringSubmatch(line)
			if m == nil || m[1] != port || (m[2] != host && m[3] != host) {
				t.Errorf("connects somewhere other than the robot at %s: %s", robotAddr, line)
			}
			connects++
		case strings.HasPrefix(strings.TrimSpace(strings.SplitN(line+" ", " ", 2)[1]), "execve("):
		default:
			if m := pathArg.FindStringSubmatch(line); m != nil {
				opened = append(opened, m[1]+" "+m[2])
				if !allowed(m[2]) {
					t.Errorf("touches a file it has no business with: %s", line)
				}
			}
		}
	}
	if connects != 1 {
		t.Errorf("%d connections, want exactly 1 to the robot", connects)
	}
	t.Logf("files touched: %s", strings.Join(opened, ", "))
}

// TestNoTemplateEngine: messages are written by code, never by a template
// parsed at start or per invocation.
func TestNoTemplateEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-tags", allTags, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "text/template" || dep == "html/template" {
			t.Errorf("the notifier links %s", dep)
		}
	}
}
