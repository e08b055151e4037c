package connectivity

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
)

// TestAnswersNameNothingConfigured: whatever a caller sends, no answer names a configured rule,
// host, port, path or keyword. A caller may learn whether a robot works, not how the deployment
// is set up.
func TestAnswersNameNothingConfigured(t *testing.T) {
	robot := dingtalktest.New()
	t.Cleanup(robot.Close)
	robotHost := strings.TrimPrefix(robot.URL(), "http://")
	kwHook := robot.AddRobot(testToken, testSecret, dingtalktest.WithKeywords("PAI"))
	closed := closedPort(t)
	doc := `
rules:
  - name: zz-rule-alpha
    source: dlc
    target: {webhook: "` + kwHook + `", secret: "` + testSecret + `"}
  - name: kw
    source: dlc
    target: {webhook: "` + kwHook + `", secret: "` + testSecret + `", keyword: zzkeyword}
  - name: closed
    source: dlc
    target: {webhook: "http://` + closed + `/zzpath/send?access_token=` + testToken + `"}
  - name: slack-closed
    source: dlc
    target: {type: slack, webhook: "http://` + closed + `/zzpath/services/` + slackPath + `"}
  - name: wecom-404
    source: dlc
    target: {type: wecom, webhook: "` + robot.URL() + `/zzpath/cgi-bin/webhook/send?key=` + wecomKey + `"}
`
	env := map[string]string{"NOTIFY_RULES": doc, "CONNTEST_ALLOWED_HOSTS": "zz-allowed.example:8443, zz-other.example"}
	cfg := FromEnv(func(k string) string { return env[k] })
	if cfg.RulesErr != nil {
		t.Fatal(cfg.RulesErr)
	}
	cfg.Timeout = 2 * time.Second
	cfg.Logger = slog.New(slog.NewJSONHandler(&runtimetest.SyncBuffer{}, nil))
	tester := New(cfg)

	badHosts := New(Config{AllowedHosts: []string{"zz-bad.example/x"}, Logger: cfg.Logger})
	broken := FromEnv(func(k string) string {
		return map[string]string{"NOTIFY_RULES": "rules:\n  - name: zz-rule-broken\n    source: dlcc\n    target: {webhook: \"https://zz-hook.example/zzpath?access_token=" + testToken + "\", keyword: zzkeyword}\n"}[k]
	})
	broken.Logger = cfg.Logger
	brokenRules := New(broken)

	forbidden := []string{"zz-rule-alpha", "zz-rule-broken", "zzkeyword", "zzpath", "zz-allowed", "zz-other", "zz-bad", "zz-hook",
		"8443", closed[strings.LastIndex(closed, ":")+1:], robotHost[strings.LastIndex(robotHost, ":")+1:]}
	cases := []struct {
		name   string
		tester *Tester
		body   string
		status int
	}{
		{"unknown rule", tester, `{"rule":"nope"}`, 400},
		{"host not allowed", tester, `{"webhook":"https://evil.example/robot/send?access_token=` + testToken + `"}`, 400},
		{"allowed host, other port", tester, `{"webhook":"https://zz-other.example:8443/robot/send?access_token=` + testToken + `"}`, 400},
		{"rule keyword rejected", tester, `{"rule":"kw"}`, 200},
		{"rule robot unreachable", tester, `{"rule":"closed"}`, 200},
		{"slack rule unreachable", tester, `{"rule":"slack-closed"}`, 200},
		{"wecom rule answered 404", tester, `{"rule":"wecom-404"}`, 200},
		{"webhook host not allowed", tester, `{"type":"webhook","webhook":"https://zz-hook.example/zzpath?token=` + hookToken + `"}`, 400},
		{"allowed hosts misconfigured", badHosts, `{"rule":"kw"}`, 500},
		{"rules failed to load", brokenRules, `{"rule":"zz-rule-broken"}`, 500},
	}
	for _, c := range cases {
		resp := c.tester.Handle(context.Background(), Request{Method: http.MethodPost, Body: []byte(c.body)})
		if resp.Status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, resp.Status, c.status, resp.Body)
		}
		answer := string(resp.Body)
		for _, f := range forbidden {
			if strings.Contains(answer, f) {
				t.Errorf("%s: the answer names %q, which only the deployment configures:\n%s", c.name, f, resp.Body)
			}
		}
		assertNoLeak(t, c.name, answer, testToken, testSecret)
		assertNoRun(t, c.name, answer, slackPath, wecomKey, hookToken)
	}
}
