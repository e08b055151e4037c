package rules

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "rules.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	missing := filepath.Join(dir, "missing.yaml")
	huge := filepath.Join(dir, "huge.yaml") // sparse: one byte over the limit
	if f, err := os.Create(huge); err != nil || f.Truncate(maxDocBytes+1) != nil || f.Close() != nil {
		t.Fatal("cannot make a sparse file", err)
	}
	if err := os.WriteFile(good, []byte(matchDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("rules:\n  - name: a\n    source: eas\n    target: {webhook: \""+testHook+"\", secret: "+testSecret+"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const inline = "rules: [{name: inline, source: paiflow, target: {webhook: \"${HOOK}\"}}]"
	allNames := []string{"dlc-failed", "dlc-ws", "dlc-mine-ended", "flow-pipes", "flow-failed", "flow-ws-raw"}

	cases := []struct {
		name    string
		env     map[string]string
		names   []string // rule names on success
		err     string   // exact error text on failure
		isNone  bool     // errors.Is(err, ErrNoRules)
		problem bool     // errors.As(err, *Error)
	}{
		{name: "nothing set", env: nil, isNone: true,
			err: "no notification rules: set NOTIFY_RULES (a YAML or JSON rules document), NOTIFY_RULES_FILE (the path of one), or NOTIFY_WEBHOOK (any service; NOTIFY_SECRET, NOTIFY_TARGET_TYPE) or DINGTALK_WEBHOOK (with DINGTALK_SECRET for a signed robot) to send every failed job to one group"},
		{name: "only a secret", env: map[string]string{"DINGTALK_SECRET": testSecret}, isNone: true,
			err: ErrNoRules.Error()},
		{name: "blank values count as unset", env: map[string]string{"NOTIFY_RULES": "  ", "DINGTALK_WEBHOOK": " "}, isNone: true, err: ErrNoRules.Error()},
		{name: "both documents", env: map[string]string{"NOTIFY_RULES": inline, "NOTIFY_RULES_FILE": good},
			err: "NOTIFY_RULES and NOTIFY_RULES_FILE are both set; set only one"},
		{name: "inline document", env: map[string]string{"NOTIFY_RULES": inline, "HOOK": testHook}, names: []string{"inline"}},
		{name: "inline document wins over the webhook", env: map[string]string{"NOTIFY_RULES": inline, "HOOK": testHook, "DINGTALK_WEBHOOK": testHook}, names: []string{"inline"}},
		{name: "inline document invalid", env: map[string]string{"NOTIFY_RULES": inline}, problem: true,
			err: `NOTIFY_RULES: rules[0] "inline": target.webhook: ${HOOK} is not set`},
		{name: "file", env: map[string]string{"NOTIFY_RULES_FILE": good}, names: allNames},
		{name: "file missing", env: map[string]string{"NOTIFY_RULES_FILE": missing},
			err: "NOTIFY_RULES_FILE: cannot read " + missing + ": no such file or directory"},
		{name: "file is a directory", env: map[string]string{"NOTIFY_RULES_FILE": dir},
			err: "NOTIFY_RULES_FILE: cannot read " + dir + ": is a directory"},
		{name: "file is endless", env: map[string]string{"NOTIFY_RULES_FILE": "/dev/zero"},
			err: "NOTIFY_RULES_FILE: cannot read /dev/zero: larger than the 8388608-byte limit of a rules document"},
		{name: "file is too large", env: map[string]string{"NOTIFY_RULES_FILE": huge},
			err: "NOTIFY_RULES_FILE: cannot read " + huge + ": larger than the 8388608-byte limit of a rules document"},
		{name: "file invalid", env: map[string]string{"NOTIFY_RULES_FILE": bad}, problem: true,
			err: "NOTIFY_RULES_FILE " + bad + `: rules[0] "a": source: unknown source "eas" (want dlc, paiflow, dsw, model or sagemaker)`},
		{name: "webhook only", env: map[string]string{"DINGTALK_WEBHOOK": testHook}, names: []string{"default"}},
		{name: "webhook, secret and keyword", env: map[string]string{"DINGTALK_WEBHOOK": testHook, "DINGTALK_SECRET": testSecret, "DINGTALK_KEYWORD": "PAI"}, names: []string{"default"}},
		{name: "webhook is a bare token", env: map[string]string{"DINGTALK_WEBHOOK": testToken, "DINGTALK_SECRET": testSecret}, problem: true,
			err: "DINGTALK_WEBHOOK: looks like a bare access token; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)"},
		{name: "webhook over http", env: map[string]string{"DINGTALK_WEBHOOK": "http://oapi.dingtalk.com/robot/send?access_token=" + testToken}, problem: true,
			err: "DINGTALK_WEBHOOK: must use https (http is allowed only for 127.0.0.1, ::1 and localhost)"},
		{name: "webhook without token", env: map[string]string{"DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send"}, problem: true,
			err: "DINGTALK_WEBHOOK: has no access_token query parameter; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Load(envOf(c.env))
			if c.err != "" {
				if err == nil {
					t.Fatalf("Load succeeded with %q, want error %q", names(s.Rules()), c.err)
				}
				if err.Error() != c.err {
					t.Errorf("error:\n got %s\nwant %s", err, c.err)
				}
				if errors.Is(err, ErrNoRules) != c.isNone {
					t.Errorf("errors.Is(err, ErrNoRules) = %v", !c.isNone)
				}
				var e *Error
				if errors.As(err, &e) != c.problem {
					t.Errorf("errors.As(err, *Error) = %v", !c.problem)
				}
				assertNoSecret(t, err)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := names(s.Rules()); !slices.Equal(got, c.names) {
				t.Errorf("rules %q, want %q", got, c.names)
			}
		})
	}
}

func TestDefaultRule(t *testing.T) {
	s, err := Load(envOf(map[string]string{"DINGTALK_WEBHOOK": testHook, "DINGTALK_SECRET": "nosec", "DINGTALK_KEYWORD": "PAI"}))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Rule("default")
	want := Rule{Name: "default", Source: "", Scope: ScopeWorkspace, Events: []string{"failed"}, Lang: "zh", Format: "markdown",
		Target: Target{Type: "dingtalk", Webhook: testHook, Secret: "nosec", Keyword: "PAI"}}
	if r == nil || !equalRule(*r, want) {
		t.Fatalf("got %+v\nwant %+v", r, want)
	}
	if w := s.Warnings(); !slices.Equal(w, []string{"DINGTALK_SECRET does not start with SEC; DingTalk signing secrets do, so check it was copied whole"}) {
		t.Errorf("Warnings() = %q", w)
	}
	if s.Fields() != nil {
		t.Errorf("Fields() = %v", s.Fields())
	}
	for _, c := range []struct {
		task  event.Task
		match bool
	}{
		{event.Task{Source: event.DLC, Status: "Failed", WorkspaceID: "1"}, true},
		{event.Task{Source: event.PAIFlow, Status: "failed"}, true},
		{event.Task{Source: event.DLC, Status: "Succeeded"}, false},
		{event.Task{Source: event.PAIFlow, Status: "Terminated"}, false},
		{event.Task{Source: "eas", Status: "Failed"}, false},
	} {
		got := len(s.Match(nil, &c.task)) == 1
		v := s.Explain(&c.task)[0]
		if got != c.match || v.Matched != c.match {
			t.Errorf("%+v: Match %v, Explain %+v; want %v", c.task, got, v, c.match)
		}
	}
	if v := s.Explain(&event.Task{Source: event.DLC, Status: "Running"})[0]; v.Reason != `status "Running" (running) is not in [failed]` {
		t.Errorf("reason %q", v.Reason)
	}
	if v := s.Explain(&event.Task{Source: "eas", Status: "Failed"})[0]; v.Reason != `source "eas" is not dlc, paiflow, dsw, model or sagemaker` {
		t.Errorf("reason %q", v.Reason)
	}
}

func equalRule(a, b Rule) bool {
	return strings.Join(a.Events, ",") == strings.Join(b.Events, ",") && a.Name == b.Name && a.Source == b.Source &&
		a.Scope == b.Scope && a.WorkspaceID == b.WorkspaceID && a.Owner == b.Owner && slices.Equal(a.Pipelines, b.Pipelines) &&
		a.Lang == b.Lang && a.Format == b.Format && a.Target.Type == b.Target.Type &&
		a.Target.Webhook == b.Target.Webhook && a.Target.Secret == b.Target.Secret && a.Target.Keyword == b.Target.Keyword &&
		slices.Equal(a.Target.AtMobiles, b.Target.AtMobiles) && slices.Equal(a.Target.AtUserIDs, b.Target.AtUserIDs) &&
		a.Target.AtAll == b.Target.AtAll
}
