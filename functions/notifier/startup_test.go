package main

// What a cold start costs: process start to first result of the built,
// stripped notifier in local mode, side by side with a hello-world binary
// built the same way; the stripped sizes of the deployed binaries; and proof
// (by strace) that starting and invoking does no network, file scan or
// template work beyond the one send and the event file.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
)

// stripFlags are the Makefile's release flags (BUILD_FLAGS, -tags lambda.norpc).
var stripFlags = []string{"-trimpath", "-ldflags", "-s -w", "-tags", "lambda.norpc"}

// goBuild builds pkg (run in dir) for goos/goarch with the release flags
// into out.
func goBuild(tb testing.TB, dir, pkg, goos, goarch, out string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"build"}, stripFlags...)
	cmd := exec.CommandContext(ctx, "go", append(args, "-o", out, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s for %s/%s: %v\n%s", pkg, goos, goarch, err, msg)
	}
}

// buildPair builds the stripped notifier and a hello-world program the same
// way, for this machine.
func buildPair(tb testing.TB) (notifier, hello string) {
	tb.Helper()
	dir := tb.TempDir()
	notifier = filepath.Join(dir, "notifier")
	goBuild(tb, ".", ".", runtime.GOOS, runtime.GOARCH, notifier)
	src := filepath.Join(dir, "hello")
	if err := os.MkdirAll(src, 0o755); err != nil {
		tb.Fatal(err)
	}
	files := map[string]string{
		"go.mod":  "module hello\n\ngo 1.26\n",
		"main.go": "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(`{\"hello\":\"world\"}` + \"\\n\") }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	hello = filepath.Join(dir, "hello-bin")
	goBuild(tb, src, ".", runtime.GOOS, runtime.GOARCH, hello)
	return notifier, hello
}

// localEnv is the notifier's environment for local mode: one rule (failed
// DLC jobs) to a robot on the loopback fake, which takes any number of messages.
func localEnv(tb testing.TB) ([]string, *dingtalktest.Server) {
	tb.Helper()
	robot := dingtalktest.New(dingtalktest.WithLimit(1 << 30))
	tb.Cleanup(robot.Close)
	webhook := robot.AddRobot(token, secret)
	rules := fmt.Sprintf(`{"rules":[{"name":"dlc-failed","source":"dlc","scope":"workspace","events":"failed",`+
		`"target":{"webhook":%q,"secret":%q}}]}`, webhook, secret)
	return []string{"NOTIFY_RULES=" + rules, "DINGTALK_TIMEOUT=5s", "LOG_LEVEL=warn", "PATH=/usr/bin:/bin"}, robot
}

// firstResult runs bin with args and env and returns how long its first
// line of output took to arrive, and that line.
func firstResult(tb testing.TB, bin string, env []string, args ...string) (time.Duration, string) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	took := time.Since(start)
	if werr := cmd.Wait(); err != nil || werr != nil {
		tb.Fatalf("%s: first line %q: %v, exit: %v", filepath.Base(bin), line, err, werr)
	}
	return took, line
}

// BenchmarkStartup measures process start to first result: /notifier handles
// events/dlc-failed.json in local mode (parse, match, render, sign, one send
// to the loopback robot, the result line); /hello prints a line. /pair runs
// them alternately and reports the ratio, so both see the same machine state.
func BenchmarkStartup(b *testing.B) {
	notifier, hello := buildPair(b)
	env, _ := localEnv(b)
	event := filepath.Join("..", "..", "events", "dlc-failed.json")
	runNotifier := func() time.Duration {
		took, line := firstResult(b, notifier, env, event)
		if !strings.Contains(line, `"sent":1`) {
			b.Fatalf("notifier result %q, want one sent", line)
		}
		return took
	}
	runHello := func() time.Duration {
		took, _ := firstResult(b, hello, env)
		return took
	}
	b.Run("notifier", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			total += runNotifier()
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/first-result")
	})
	b.Run("hello", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			total += runHello()
		}
		b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/first-result")
	})
	b.Run("pair", func(b *testing.B) {
		var n, h time.Duration
		for b.Loop() {
			h += runHello()
			n += runNotifier()
		}
		b.ReportMetric(float64(n.Microseconds())/float64(b.N), "notifier-µs")
		b.ReportMetric(float64(h.Microseconds())/float64(b.N), "hello-µs")
		b.ReportMetric(float64(n)/float64(h), "x-hello")
	})
}

// BenchmarkBinarySize builds the deployed binaries exactly as the Makefile
// does and reports their sizes (the loop does no work; the figure is the
// metric).
func BenchmarkBinarySize(b *testing.B) {
	for _, c := range []struct{ name, goos, goarch string }{
		{"fc-amd64", "linux", "amd64"},
		{"lambda-arm64", "linux", "arm64"},
	} {
		b.Run(c.name, func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "main")
			goBuild(b, ".", ".", c.goos, c.goarch, out)
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

// TestStartupDoesNoHiddenWork runs the notifier in local mode on two event
// files under strace and checks every file it opens and every connection it
// makes: the two event files, the runtime's own /sys and /proc reads, the
// zone database for log timestamps, and one connection to the robot. No
// directory is listed, no other file read, no DNS asked.
func TestStartupDoesNoHiddenWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the notifier")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed")
	}
	notifier, _ := buildPair(t)
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
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "text/template" || dep == "html/template" {
			t.Errorf("the notifier links %s", dep)
		}
	}
}
