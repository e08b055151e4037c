// Command demo is `make demo`: it builds the real notifier, starts a local
// DingTalk-compatible robot server that checks signatures exactly as
// DingTalk does, runs the notifier in local mode over every sample event
// with the demo rules, and prints each message as the group sees it. A PAI
// event in a shape the notifier cannot read is counted as unreadable, and the
// demo shows `notifier -inspect` on it: how a user maps PAI's real keys. It
// ends with every channel: one rule per service (DingTalk, WeCom, Lark,
// Slack, a signed webhook) against each one's fake, each message as that
// group (or receiving program) would see it, and per channel how many
// notifications the notifier sent and how many messages the fake accepted
// and refused.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/channel/lark/larktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack/slacktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook/webhooktest"
	"github.com/pai-notifier/pai-notifier/internal/channel/wecom/wecomtest"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
)

func main() {
	verbose := flag.Bool("v", false, "also print the notifier's log lines")
	dir := flag.String("events", "events", "folder with the sample events and rules.yaml")
	flag.Parse()
	if err := run(context.Background(), *dir, os.Stdout, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// robots are the demo rules' targets (events/rules.yaml), by token.
var robots = []struct{ token, secretVar, keyword string }{
	{"demo-team", "DEMO_SECRET_TEAM", "PAI"},
	{"demo-owner", "DEMO_SECRET_OWNER", ""},
	{"demo-flow", "DEMO_SECRET_FLOW", ""},
	{"demo-kinds", "DEMO_SECRET_KINDS", ""},
	{"demo-other", "DEMO_SECRET_OTHER", ""},
}

// result is the part of the notifier's per-invocation result the demo reads.
type result struct {
	Events, Matched, Sent, Failed, Skipped, Unreadable, Suppressed int
	Error                                                          string
	Deliveries                                                     []struct{ Rule, Outcome string }
}

// unreadableSample is the sample event whose keys the notifier does not know.
const unreadableSample = "pai-unknown-keys.json"

func run(ctx context.Context, dir string, out io.Writer, verbose bool) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no sample events in %s/*.json", dir)
	}
	sort.Strings(files)

	srv := dingtalktest.New()
	defer srv.Close()
	u, _ := url.Parse(srv.URL())
	env := append(cleanEnv(), "NOTIFY_RULES_FILE="+filepath.Join(dir, "rules.yaml"), "DEMO_ROBOT_PORT="+u.Port())
	for _, r := range robots {
		secret := "SEC" + randomHex(32) // a fresh secret each run: nothing to leak
		var opts []dingtalktest.RobotOption
		if r.keyword != "" {
			opts = append(opts, dingtalktest.WithKeywords(r.keyword))
		}
		srv.AddRobot(r.token, secret, opts...)
		env = append(env, r.secretVar+"="+secret)
	}

	bin, cleanup, err := buildNotifier(ctx)
	if err != nil {
		return err
	}
	defer cleanup()

	cmd := exec.CommandContext(ctx, bin, files...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	if verbose {
		out.Write(stderr.Bytes())
	}

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != len(files) {
		return fmt.Errorf("notifier printed %d results for %d files (%v): %s", len(lines), len(files), runErr, lastLines(stderr.String(), 5))
	}
	var total result
	fmt.Fprintf(out, "pai-notifier demo: %d sample events, rules %s, robot server %s\n\n", len(files), filepath.Join(dir, "rules.yaml"), srv.URL())
	for i, f := range files {
		var r result
		if err := json.Unmarshal([]byte(lines[i]), &r); err != nil {
			return fmt.Errorf("%s: unreadable result %q: %v", f, lines[i], err)
		}
		status := fmt.Sprintf("%d event(s), %d matched, %d sent, %d failed, %d skipped", r.Events, r.Matched, r.Sent, r.Failed, r.Skipped)
		if r.Unreadable > 0 {
			status += fmt.Sprintf(", %d UNREADABLE (logged at WARN; see -inspect below)", r.Unreadable)
		}
		if r.Suppressed > 0 {
			status += fmt.Sprintf(", %d suppressed (already delivered)", r.Suppressed)
		}
		if r.Error != "" {
			status = "error: " + r.Error
		}
		fmt.Fprintf(out, "  %-36s %s\n", filepath.Base(f), status)
		total.Events += r.Events
		total.Matched += r.Matched
		total.Sent += r.Sent
		total.Failed += r.Failed
		total.Skipped += r.Skipped
		total.Unreadable += r.Unreadable
		total.Suppressed += r.Suppressed
	}

	msgs := srv.Messages()
	for _, m := range msgs {
		fmt.Fprintf(out, "\n── robot %s ──────────────────────────────\n%s", m.Token, dingtalktest.Render(m))
	}
	rejected := 0
	for _, r := range srv.Requests() {
		if r.Plain || r.Code != 0 {
			rejected++
		}
	}
	if inspectFile := filepath.Join(dir, unreadableSample); total.Unreadable > 0 && slices.Contains(files, inspectFile) {
		// What a user runs next: which keys the event has and what to map.
		fmt.Fprintf(out, "\n── notifier -inspect %s ──────────────────────────────\n", inspectFile)
		insp := exec.CommandContext(ctx, bin, "-inspect", inspectFile)
		insp.Env = cleanEnv()
		insp.Stdout, insp.Stderr = out, out
		_ = insp.Run() // exits 1: the event gives no task, which is the point
	}
	fmt.Fprintf(out, "\ndemo: %d events, %d matched, %d sent, %d failed, %d skipped, %d unreadable, %d suppressed; robot accepted %d signed message(s), rejected %d\n",
		total.Events, total.Matched, total.Sent, total.Failed, total.Skipped, total.Unreadable, total.Suppressed, len(msgs), rejected)

	chErr := runChannels(ctx, bin, filepath.Join(dir, "dlc-failed.json"), out)

	switch {
	case chErr != nil:
		return chErr
	case runErr != nil:
		return fmt.Errorf("notifier: %v: %s", runErr, lastLines(stderr.String(), 5))
	case rejected > 0 || total.Failed > 0:
		return fmt.Errorf("%d request(s) rejected by the robot, %d notification(s) failed", rejected, total.Failed)
	case total.Sent == 0 || len(msgs) != total.Sent:
		return fmt.Errorf("notifier reported %d sent, the robot accepted %d", total.Sent, len(msgs))
	}
	return nil
}

// buildNotifier compiles the notifier so the demo runs the real binary.
func buildNotifier(ctx context.Context) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "pai-notifier-demo-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	bin := filepath.Join(tmp, "notifier")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/pai-notifier/pai-notifier/functions/notifier")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build ./functions/notifier: %w", err)
	}
	return bin, cleanup, nil
}

// cleanEnv is the environment without anything that would switch the
// notifier out of local mode or give it other rules.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "FC_RUNTIME_API", "AWS_LAMBDA_RUNTIME_API", "NOTIFY_RULES", "NOTIFY_RULES_FILE", "DINGTALK_WEBHOOK", "DINGTALK_SECRET", "NOTIFY_TIMEZONE",
			"NOTIFY_WEBHOOK", "NOTIFY_SECRET", "NOTIFY_TARGET_TYPE", "NOTIFY_KEYWORD":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("crypto/rand failed: " + err.Error()))
	}
	return hex.EncodeToString(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// runChannels sends one sample event through one rule per service, each to
// its fake, and prints what each group would see.
func runChannels(ctx context.Context, bin, event string, out io.Writer) error {
	ding := dingtalktest.New()
	defer ding.Close()
	wc := wecomtest.New()
	defer wc.Close()
	lk := larktest.New()
	defer lk.Close()
	sl := slacktest.New()
	defer sl.Close()
	dingSecret, larkSecret := "SEC"+randomHex(32), randomHex(24)
	whsec := "whsec_" + base64Secret()
	wh := webhooktest.New(webhooktest.WithSecret(whsec))
	defer wh.Close()

	type target struct{ typ, webhook, secret, mention string }
	targets := []target{
		{"dingtalk", ding.AddRobot("demo-channels", dingSecret), "${S_DINGTALK}", `"atMobiles":["13800000000"]`},
		// A mobile mention: WeCom's markdown cannot page it, so a short text
		// message follows (two messages for one notification).
		{"wecom", wc.AddRobot("demo-" + randomHex(16)), "", `"atUserIds":["zhangsan"],"atMobiles":["13800000000"]`},
		{"lark", lk.AddBot("demo-"+randomHex(16), larktest.WithSecret(larkSecret)), "${S_LARK}", `"atUserIds":["ou_demo"]`},
		{"slack", sl.AddHook("T0DEMO/B0DEMO/" + randomHex(12)), "", `"atUserIds":["U0DEMO"]`},
		{"webhook", wh.URL(), "${S_WEBHOOK}", ""},
	}
	var rules []string
	for _, t := range targets {
		tj := fmt.Sprintf(`"type":%q,"webhook":%q`, t.typ, t.webhook)
		if t.secret != "" {
			tj += fmt.Sprintf(`,"secret":%q`, t.secret)
		}
		if t.mention != "" {
			tj += "," + t.mention
		}
		rules = append(rules, fmt.Sprintf(`{"name":"demo-%s","source":"dlc","events":"failed","lang":"en","target":{%s}}`, t.typ, tj))
	}
	env := append(cleanEnv(), `NOTIFY_RULES={"rules":[`+strings.Join(rules, ",")+`]}`,
		"S_DINGTALK="+dingSecret, "S_LARK="+larkSecret, "S_WEBHOOK="+whsec)
	cmd := exec.CommandContext(ctx, bin, event)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var r result
	_ = json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &r)
	fmt.Fprintf(out, "\n══ every channel: %s through one rule per service: %d matched, %d sent, %d failed ══\n", filepath.Base(event), r.Matched, r.Sent, r.Failed)

	show := func(name, text string) {
		fmt.Fprintf(out, "\n── %s ──────────────────────────────\n%s\n", name, strings.TrimRight(text, "\n"))
	}
	// What each service's fake accepted and refused, in the order of targets.
	type count struct{ accepted, refused int }
	counts := map[string]count{}
	for _, m := range ding.Messages() {
		show("dingtalk (markdown as the group renders it)", dingtalktest.Render(m))
	}
	counts["dingtalk"] = count{len(ding.Messages()), countIf(ding.Requests(), func(q dingtalktest.Request) bool { return q.Plain || q.Code != 0 })}
	for _, m := range wc.Messages() {
		kind := "markdown"
		if m.MsgType == "text" {
			kind = "text: the @mobile mention that follows the markdown"
		}
		show("wecom ("+kind+")", wecomtest.Render(m))
	}
	counts["wecom"] = count{len(wc.Messages()), countIf(wc.Requests(), func(q wecomtest.Request) bool { return q.Plain || q.Code != 0 })}
	for _, m := range lk.Messages() {
		show(fmt.Sprintf("lark (interactive card, signed: %v)", m.Signed), larktest.Render(m))
	}
	counts["lark"] = count{len(lk.Messages()), countIf(lk.Requests(), func(q larktest.Request) bool { return q.Plain || q.Code != 0 })}
	for _, m := range sl.Messages() {
		show("slack (blocks)", slacktest.Render(m))
	}
	counts["slack"] = count{len(sl.Messages()), countIf(sl.Requests(), func(q slacktest.Request) bool { return q.Answer != slacktest.OK })}
	for _, m := range wh.Messages() {
		var pretty bytes.Buffer
		if json.Indent(&pretty, m.Raw, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(m.Raw)
		}
		show(fmt.Sprintf("webhook (Standard Webhooks JSON as the receiver reads it, signature verified: %v)", m.Verified), pretty.String())
	}
	counts["webhook"] = count{countIf(wh.Messages(), func(m webhooktest.Received) bool { return m.Verified }),
		countIf(wh.Requests(), func(q webhooktest.Request) bool { return q.Reason != "" })}

	// The summary per channel: what the notifier says it sent, and what the
	// service's fake accepted (WeCom's mention follow-up is a second message)
	// and refused.
	sent := map[string]int{}
	for _, d := range r.Deliveries {
		if d.Outcome == "sent" || d.Outcome == "digest" {
			sent[strings.TrimPrefix(d.Rule, "demo-")]++
		}
	}
	var parts []string
	missing := 0
	for _, t := range targets {
		c := counts[t.typ]
		parts = append(parts, fmt.Sprintf("%s %d sent, %d accepted, %d refused", t.typ, sent[t.typ], c.accepted, c.refused))
		if sent[t.typ] != 1 || c.accepted < 1 || c.refused > 0 {
			missing++
		}
	}
	fmt.Fprintf(out, "\nevery channel: %s\n", strings.Join(parts, "; "))
	switch {
	case runErr != nil:
		return fmt.Errorf("notifier (every channel): %v: %s", runErr, lastLines(stderr.String(), 5))
	case r.Failed > 0 || r.Sent != len(targets) || missing > 0:
		return fmt.Errorf("every channel: %d sent, %d failed, %d channel(s) without exactly one accepted notification; want %d: %s",
			r.Sent, r.Failed, missing, len(targets), lastLines(stderr.String(), 5))
	}
	return nil
}

// countIf counts the elements of xs for which f holds.
func countIf[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

// base64Secret is 32 random bytes in standard base64: a Standard Webhooks
// secret after its whsec_ prefix.
func base64Secret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("crypto/rand failed: " + err.Error()))
	}
	return base64.StdEncoding.EncodeToString(b)
}
