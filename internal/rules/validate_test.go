package rules

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// rule wraps rule lines (indented by four) into a document with a valid
// target unless the lines bring their own.
func doc(ruleLines ...string) string {
	var b strings.Builder
	b.WriteString("rules:\n")
	for _, r := range ruleLines {
		b.WriteString(r)
	}
	return b.String()
}

const okTarget = "    target: {webhook: \"" + testHook + "\", secret: " + testSecret + "}\n"

// secretEnv holds the credentials every failing case may reference, so the
// leak check can look for them.
var secretEnv = map[string]string{"HOOK": testHook, "SECRET": testSecret, "TOKEN": testToken}

func TestValidationErrors(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string
	}{
		{"empty document", "", []string{"the document has no rules: add a rules: list"}},
		{"empty list", "rules: []", []string{"rules: the list is empty; add at least one rule"}},
		{"null rules", "rules:\n", []string{"rules: the list is empty; add at least one rule"}},
		{"not a mapping", "- a\n- b\n", []string{"line 1: the document: want a mapping with a rules: list"}},
		{"rules not a list", "rules: {name: x}\n", []string{"line 1: rules: want a list of rules (lines starting with -)"}},
		{"unknown top key", "rule:\n  - name: x\n", []string{
			`line 1: unknown key "rule" (did you mean "rules"?)`,
			"the document has no rules: add a rules: list"}},
		{"rule not a mapping", "rules:\n  - just-a-name\n", []string{`line 2: rules[0]: want a mapping (key: value lines)`}},
		{"name missing", doc("  - source: dlc\n", okTarget), []string{"rules[0]: name is required"}},
		{"name empty", doc("  - name: \"\"\n    source: dlc\n", okTarget), []string{"rules[0]: name is required"}},
		{"name duplicate", doc("  - name: a\n    source: dlc\n", okTarget, "  - name: b\n    source: dlc\n", okTarget, "  - name: a\n    source: paiflow\n", okTarget),
			[]string{`rules[2] "a": name "a" is already used by rules[0]`}},
		{"source missing", doc("  - name: a\n", okTarget), []string{`rules[0] "a": source is required (want dlc, paiflow, dsw, model or sagemaker)`}},
		{"source unknown", doc("  - name: a\n    source: eas\n", okTarget), []string{`rules[0] "a": source: unknown source "eas" (want dlc, paiflow, dsw, model or sagemaker)`}},
		{"scope unknown", doc("  - name: a\n    source: dlc\n    scope: everyone\n", okTarget),
			[]string{`rules[0] "a": scope: unknown scope "everyone" (want mine, workspace, pipelines or models)`}},
		{"mine without owner", doc("  - name: a\n    source: dlc\n    scope: mine\n", okTarget),
			[]string{`rules[0] "a": scope mine needs owner (the creator's UID)`}},
		{"owner without mine", doc("  - name: a\n    source: dlc\n    owner: \"42\"\n", okTarget),
			[]string{`rules[0] "a": owner is only for scope mine`}},
		{"pipelines missing", doc("  - name: a\n    source: paiflow\n    scope: pipelines\n", okTarget),
			[]string{`rules[0] "a": scope pipelines needs pipelines (pipeline ids or names)`}},
		{"pipelines empty", doc("  - name: a\n    source: paiflow\n    scope: pipelines\n    pipelines: []\n", okTarget),
			[]string{`rules[0] "a": pipelines: empty list; scope pipelines needs pipeline ids or names`}},
		{"pipelines empty item", doc("  - name: a\n    source: paiflow\n    scope: pipelines\n    pipelines: [x, \"\"]\n", okTarget),
			[]string{`rules[0] "a": pipelines[1]: empty`}},
		{"pipelines a scalar", doc("  - name: a\n    source: paiflow\n    scope: pipelines\n    pipelines: x\n", okTarget),
			[]string{`line 5: rules[0] "a": pipelines: want a list`, `rules[0] "a": pipelines: empty list; scope pipelines needs pipeline ids or names`}},
		{"pipelines without scope", doc("  - name: a\n    source: paiflow\n    pipelines: [x]\n", okTarget),
			[]string{`rules[0] "a": pipelines is only for scope pipelines`}},
		{"pipelines for dlc", doc("  - name: flow\n    source: dlc\n    scope: pipelines\n    pipelines: [x]\n", okTarget),
			[]string{`rules[0] "flow": scope pipelines needs source paiflow`}},
		{"events unknown", doc("  - name: a\n    source: dlc\n    events: Runing\n", okTarget),
			[]string{`rules[0] "a": events: unknown kind or status "Runing" for dlc (did you mean "Running"?) (kinds: failed, ended, succeeded, stopped, queued, bidding, preparing, running, retained, faultTolerance, timeout, preempted; statuses: Creating, Queuing, Dequeued, Bidding, EnvPreparing, SanityChecking, Running, Restarting, Stopping, SucceededReserving, FailedReserving, Succeeded, Failed, Stopped, Deleted, SubmitFailed)`}},
		{"events of the other source", doc("  - name: a\n    source: paiflow\n    events: [Running, Queuing]\n", okTarget),
			[]string{`rules[0] "a": events[1]: unknown kind or status "Queuing" for paiflow (Queuing is a status of another source) (kinds: failed, ended, succeeded, stopped, queued, bidding, preparing, running, retained, faultTolerance, timeout, preempted; statuses: Initialized, ReadyToSchedule, Starting, Running, WorkflowServiceStarting, Suspended, Terminating, Succeeded, Terminated, Unknown, Skipped, Failed)`}},
		{"events with a bad source", doc("  - name: a\n    source: x\n    events: [Nope]\n", okTarget), []string{
			`rules[0] "a": source: unknown source "x" (want dlc, paiflow, dsw, model or sagemaker)`,
			`rules[0] "a": events: unknown kind or status "Nope" (kinds: failed, ended, succeeded, stopped, queued, bidding, preparing, running, retained, faultTolerance, timeout, preempted; or a status of dlc, paiflow, dsw, model or sagemaker)`}},
		{"events empty", doc("  - name: a\n    source: dlc\n    events: []\n", okTarget),
			[]string{`rules[0] "a": events: empty list (want kinds such as failed or ended, or statuses)`}},
		{"events empty string", doc("  - name: a\n    source: dlc\n    events: \"\"\n", okTarget),
			[]string{`rules[0] "a": events: empty (want a kind such as failed or ended, or a status)`}},
		{"events a mapping", doc("  - name: a\n    source: dlc\n    events: {failed: true}\n", okTarget),
			[]string{`line 4: rules[0] "a": events: want a list`, `rules[0] "a": events: empty list (want kinds such as failed or ended, or statuses)`}},
		{"lang", doc("  - name: a\n    source: dlc\n    lang: fr\n", okTarget), []string{`rules[0] "a": lang: unknown language "fr" (want zh or en)`}},
		{"format", doc("  - name: a\n    source: dlc\n    format: html\n", okTarget), []string{`rules[0] "a": format: unknown format "html" (want markdown or actionCard)`}},
		{"target missing", doc("  - name: a\n    source: dlc\n"), []string{`rules[0] "a": target is required (target.type, target.webhook and, when the target signs, target.secret)`}},
		{"target a string", doc("  - name: a\n    source: dlc\n    target: ${HOOK}\n"), []string{`line 4: rules[0] "a": target: want a mapping (key: value lines)`}},
		{"target type", doc("  - name: a\n    source: dlc\n    target: {type: teams, webhook: \"${HOOK}\"}\n"),
			[]string{`rules[0] "a": target.type: unknown type "teams" (want dingtalk, wecom, lark, slack or webhook)`}},
		{"webhook missing", doc("  - name: a\n    source: dlc\n    target: {secret: \"${SECRET}\"}\n"),
			[]string{`rules[0] "a": target.webhook is required (the webhook URL of the group's robot or bot, e.g. https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook a bare token", doc("  - name: a\n    source: dlc\n    target: {webhook: \"${TOKEN}\"}\n"),
			[]string{`rules[0] "a": target.webhook: looks like a bare access token; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook a literal bare token", doc("  - name: a\n    source: dlc\n    target: {webhook: " + testToken + "}\n"),
			[]string{`rules[0] "a": target.webhook: looks like a bare access token; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook without scheme", doc("  - name: a\n    source: dlc\n    target: {webhook: \"oapi.dingtalk.com/robot/send?access_token=" + testToken + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: not a URL; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook unparsable", doc("  - name: a\n    source: dlc\n    target: {webhook: \"https://oapi.dingtalk.com/%zz?access_token=" + testToken + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: not a valid URL; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook with spaces", doc("  - name: a\n    source: dlc\n    target: {webhook: \" " + testHook + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: has spaces around it; remove them`}},
		{"webhook http", doc("  - name: a\n    source: dlc\n    target: {webhook: \"http://oapi.dingtalk.com/robot/send?access_token=" + testToken + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: must use https (http is allowed only for 127.0.0.1, ::1 and localhost)`}},
		{"webhook ftp", doc("  - name: a\n    source: dlc\n    target: {webhook: \"ftp://127.0.0.1/robot/send?access_token=" + testToken + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: must use https`}},
		{"webhook no host", doc("  - name: a\n    source: dlc\n    target: {webhook: \"https:///robot/send?access_token=" + testToken + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: has no host; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook no token", doc("  - name: a\n    source: dlc\n    target: {webhook: \"https://oapi.dingtalk.com/robot/send?token=" + testToken + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: has no access_token query parameter; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook empty token", doc("  - name: a\n    source: dlc\n    target: {webhook: \"https://oapi.dingtalk.com/robot/send?access_token=\"}\n"),
			[]string{`rules[0] "a": target.webhook: has no access_token query parameter; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		// The connectivity function refused these and the notifier accepted them, until both used
		// dingtalk.ParseWebhook.
		{"webhook with user info", doc("  - name: a\n    source: dlc\n    target: {webhook: \"https://oapi.dingtalk.com@evil.example/robot/send?access_token=" + testToken + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: has a user name or password before the host (user@host); paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook pasted as its own token", doc("  - name: a\n    source: dlc\n    target: {webhook: \"https://oapi.dingtalk.com/robot/send?access_token=https://oapi.dingtalk.com/robot/send?access_token=" + testToken + "\"}\n"),
			[]string{`rules[0] "a": target.webhook: has a URL as its access_token: the whole webhook was pasted where only the token goes; paste the webhook URL once (https://oapi.dingtalk.com/robot/send?access_token=...)`}},
		{"webhook variable unset", doc("  - name: x\n    source: dlc\n    target: {webhook: \"${NO_HOOK}\"}\n"),
			[]string{`rules[0] "x": target.webhook: ${NO_HOOK} is not set`}},
		{"secret variable unset", doc("  - name: x\n    source: dlc\n    target: {webhook: \"${HOOK}\", secret: \"${DINGTALK_SECRET}\"}\n"),
			[]string{`rules[0] "x": target.secret: ${DINGTALK_SECRET} is not set`}},
		{"two variables unset", doc("  - name: x\n    source: dlc\n    target: {webhook: \"https://${H1}/robot/send?access_token=${T1}\"}\n"),
			[]string{`rules[0] "x": target.webhook: ${H1}, ${T1} are not set`}},
		{"owner variable unset", doc("  - name: x\n    source: dlc\n    scope: mine\n    owner: ${ME}\n", okTarget),
			[]string{`rules[0] "x": owner: ${ME} is not set`}},
		{"bad reference", doc("  - name: x\n    source: dlc\n    workspaceId: \"${WS\"\n", okTarget),
			[]string{`line 4: rules[0] "x": workspaceId: unterminated ${`}},
		{"at mobiles empty", doc("  - name: a\n    source: dlc\n    target: {webhook: \"${HOOK}\", atMobiles: [\"\"]}\n"),
			[]string{`rules[0] "a": target.atMobiles[0]: empty`}},
		{"at mobiles a mapping", doc("  - name: a\n    source: dlc\n    target: {webhook: \"${HOOK}\", atMobiles: [{a: 1}]}\n"),
			[]string{`line 4: rules[0] "a": target.atMobiles[0]: want a single value, not a list or mapping`}},
		{"at all", doc("  - name: a\n    source: dlc\n    target: {webhook: \"${HOOK}\", atAll: sometimes}\n"),
			[]string{`rules[0] "a": target.atAll: want true or false`}},
		{"unknown rule key", doc("  - name: a\n    source: dlc\n    evnets: ended\n", okTarget),
			[]string{`line 4: rules[0] "a": unknown key "evnets" (did you mean "events"?)`}},
		{"unknown key far from any", doc("  - name: a\n    source: dlc\n    colour: red\n", okTarget),
			[]string{`line 4: rules[0] "a": unknown key "colour" (known: name, source, scope, workspaceId, owner, pipelines, models, events, timezone, lang, format, atOwner, target)`}},
		{"unknown target key", doc("  - name: a\n    source: dlc\n    target:\n      webhook: \"${HOOK}\"\n      at_mobiles: [1]\n"),
			[]string{`line 6: rules[0] "a": target: unknown key "at_mobiles" (did you mean "atMobiles"?)`}},
		{"duplicate key", doc("  - name: a\n    source: dlc\n    source: paiflow\n", okTarget),
			[]string{`line 4: rules[0] "a": duplicate key "source"`}},
		{"fields", "fields:\n  eas: {jobId: x}\n  dlc: {jobId: \"\", status: [a], jobID: x}\n" + doc("  - name: a\n    source: dlc\n", okTarget), []string{
			`line 3: fields.dlc.status: want a single value, not a list or mapping`,
			`line 3: fields.dlc.jobID: unknown field (known: ` + strings.Join(event.FieldNames, ", ") + `)`,
			`line 3: fields.dlc.jobId: empty path`,
			`line 1: fields: "eas": unknown source (want dlc, paiflow, dsw, model or sagemaker)`}},
		{"fields not a mapping", "fields: [a]\n" + doc("  - name: a\n    source: dlc\n", okTarget),
			[]string{`line 1: fields: want a mapping (key: value lines)`}},
		{"yaml syntax", "rules:\n  - name: a\n   source: dlc\n", []string{"yaml: line 1: did not find expected '-' indicator"}},
		{"yaml tabs", "rules:\n\t- name: a\n", []string{"yaml: line 2: found character that cannot start any token"}},
		{"two documents", doc("  - name: a\n    source: dlc\n", okTarget) + "---\nrules: []\n",
			[]string{"line 5: the file holds more than one YAML document (---); put every rule in one"}},
		{"json syntax", "{\"rules\": [\n {\"name\": \"a\",}]}", []string{
			"JSON: line 2, column 15: invalid character '}' looking for beginning of object key string"}},
		{"json truncated", "{\"rules\": [\n", []string{"JSON: the document ends too early (a missing } or ])"}},
		{"json trailing text", "{\"rules\": []} x", []string{"JSON: line 1, column 15: text after the end of the document"}},
		{"json duplicate key", `{"rules": [{"name": "a", "name": "b", "source": "dlc", "target": {"webhook": "` + testHook + `"}}]}`,
			[]string{`line 1: rules[0] "a": duplicate key "name"`}},
		{"json unknown key", "{\"rules\": [{\"name\": \"a\", \"source\": \"dlc\",\n \"evnets\": \"ended\", \"target\": {\"webhook\": \"" + testHook + "\"}}]}",
			[]string{`line 2: rules[0] "a": unknown key "evnets" (did you mean "events"?)`}},
		{"secret pasted as a source", doc("  - name: a\n    source: "+testSecret+"\n", okTarget),
			[]string{`rules[0] "a": source: unknown source "<secret>" (want dlc, paiflow, dsw, model or sagemaker)`}},
		{"secret expanded into a source", doc("  - name: a\n    source: ${SECRET}\n", okTarget),
			[]string{`rules[0] "a": source: unknown source "${SECRET}" (want dlc, paiflow, dsw, model or sagemaker)`}},
		{"token pasted as a name", doc("  - name: "+testToken+"\n    source: nope\n", okTarget),
			[]string{`rules[0] "<secret>": source: unknown source "nope" (want dlc, paiflow, dsw, model or sagemaker)`}},
		{"unknown top key far from any", "a: 1\n", []string{`line 1: unknown key "a" (known: fields, kinds, mentions, unreadableAlarm, rules)`, "the document has no rules: add a rules: list"}},
		{"alias loop", "rules: &a [*a]\n", []string{`line 1: rules[0]: want a mapping (key: value lines)`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse([]byte(c.doc), envOf(secretEnv))
			if err == nil {
				t.Fatalf("Parse succeeded with %d rules; want %q", len(s.Rules()), c.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			got := make([]string, len(e.Problems))
			for i, p := range e.Problems {
				got[i] = p.String()
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") || err.Error() != strings.Join(c.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			assertNoSecret(t, err)
		})
	}
}

// assertNoSecret fails when any rendering of err carries a credential.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	for _, form := range []string{fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%q", err)} {
		for _, s := range []string{testToken, testSecret, "supersecret"} {
			if strings.Contains(form, s) {
				t.Errorf("error leaks %q: %s", s, form)
			}
		}
	}
}

// TestEveryProblemAtOnce: one document with a problem in every rule and
// field reports them all, in document order.
func TestEveryProblemAtOnce(t *testing.T) {
	d := `
rules:
  - name: x
    source: dlcc
    evnets: failed
    scope: pipelines
    target:
      webhook: ` + testToken + `
      secret: ${DINGTALK_SECRET}
  - name: flow
    source: dlc
    scope: pipelines
    pipelines: []
    events: [Runing, Terminated]
    lang: fr
    target: {webhook: "http://example.com/robot/send?access_token=` + testToken + `", atAll: maybe}
  - name: x
    source: paiflow
    target: {webhook: "https://x/robot/send", secret: ` + testSecret + `}
`
	_, err := Parse([]byte(d), envOf(nil))
	want := `line 5: rules[0] "x": unknown key "evnets" (did you mean "events"?)
rules[0] "x": source: unknown source "dlcc" (want dlc, paiflow, dsw, model or sagemaker)
rules[0] "x": scope pipelines needs pipelines (pipeline ids or names)
rules[0] "x": target.webhook: looks like a bare access token; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)
rules[0] "x": target.secret: ${DINGTALK_SECRET} is not set
rules[1] "flow": pipelines: empty list; scope pipelines needs pipeline ids or names
rules[1] "flow": scope pipelines needs source paiflow
rules[1] "flow": events[0]: unknown kind or status "Runing" for dlc (did you mean "Running"?) (kinds: failed, ended, succeeded, stopped, queued, bidding, preparing, running, retained, faultTolerance, timeout, preempted; statuses: Creating, Queuing, Dequeued, Bidding, EnvPreparing, SanityChecking, Running, Restarting, Stopping, SucceededReserving, FailedReserving, Succeeded, Failed, Stopped, Deleted, SubmitFailed)
rules[1] "flow": events[1]: unknown kind or status "Terminated" for dlc (Terminated is a status of another source) (kinds: failed, ended, succeeded, stopped, queued, bidding, preparing, running, retained, faultTolerance, timeout, preempted; statuses: Creating, Queuing, Dequeued, Bidding, EnvPreparing, SanityChecking, Running, Restarting, Stopping, SucceededReserving, FailedReserving, Succeeded, Failed, Stopped, Deleted, SubmitFailed)
rules[1] "flow": lang: unknown language "fr" (want zh or en)
rules[1] "flow": target.webhook: must use https (http is allowed only for 127.0.0.1, ::1 and localhost)
rules[1] "flow": target.atAll: want true or false
rules[2] "x": target.webhook: has no access_token query parameter; paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)
rules[2] "x": name "x" is already used by rules[0]`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
	assertNoSecret(t, err)
}

func TestLoopbackWebhooks(t *testing.T) {
	for _, hook := range []string{
		"http://127.0.0.1:8080/robot/send?access_token=t",
		"http://[::1]:8080/robot/send?access_token=t",
		"http://localhost/robot/send?access_token=t",
		"HTTP://LOCALHOST/robot/send?access_token=t",
		"https://oapi.dingtalk.com/robot/send?access_token=t&other=1",
	} {
		d := doc("  - name: a\n    source: dlc\n    target: {webhook: \"" + hook + "\"}\n")
		s, err := Parse([]byte(d), nil)
		if err != nil {
			t.Errorf("%s: %v", hook, err)
			continue
		}
		if got := s.Rule("a").Target.Webhook.Reveal(); got != hook {
			t.Errorf("webhook = %q, want %q", got, hook)
		}
	}
}

// TestMisplacedSecretAtEveryOffset: a secret pasted into a field that an
// error quotes (here the source), after any amount of other text. The
// quote is cut to 40 bytes; it must keep no part of the secret, whether the
// redactor knows it from a secret field (the second rule), from its shape
// (SEC..., access_token=...) or both.
func TestMisplacedSecretAtEveryOffset(t *testing.T) {
	const (
		sec   = "SEC0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B"
		plain = "0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B" // a signing secret without the SEC prefix
		tok   = "9F8E7D6C5B4A39281706F5E4D3C2B1A09F8E7D6C5B4A39281706F5E4D3C2B1A0"
	)
	for name, tc := range map[string]struct{ pasted, other string }{
		"secret seen in a secret field": {sec, `{webhook: "https://oapi.dingtalk.com/robot/send?access_token=tok1", secret: "` + sec + `"}`},
		"secret never seen":             {sec, `{webhook: "https://oapi.dingtalk.com/robot/send?access_token=tok1"}`},
		"plain secret seen":             {plain, `{webhook: "https://oapi.dingtalk.com/robot/send?access_token=tok1", secret: "` + plain + `"}`},
		"token seen in a webhook":       {tok, `{webhook: "https://oapi.dingtalk.com/robot/send?access_token=` + tok + `"}`},
		"webhook never seen":            {"https://oapi.dingtalk.com/robot/send?access_token=" + tok, `{webhook: "https://oapi.dingtalk.com/robot/send?access_token=tok1"}`},
	} {
		t.Run(name, func(t *testing.T) {
			for off := 0; off <= 60; off++ {
				pasted := strings.Repeat("x", off) + tc.pasted
				d := "rules:\n  - name: a\n    source: \"" + pasted + "\"\n    target: {webhook: \"" + testHook + "\"}\n" +
					"  - name: b\n    source: dlc\n    target: " + tc.other + "\n"
				_, err := Parse([]byte(d), envOf(nil))
				if err == nil || !strings.Contains(err.Error(), "unknown source") {
					t.Fatalf("offset %d: %v, want the unknown source quoted", off, err)
				}
				for _, s := range []string{sec, plain, tok} {
					for i := 0; i+4 <= len(s); i++ {
						if strings.Contains(err.Error(), s[i:i+4]) {
							t.Fatalf("offset %d: error keeps part of a secret (%q):\n%v", off, s[i:i+4], err)
						}
					}
				}
			}
		})
	}
}
