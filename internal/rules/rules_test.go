package rules

import (
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

const (
	testToken  = "tok0123456789abcdef"
	testSecret = "SECsupersecret0123456789"
	testHook   = "https://oapi.dingtalk.com/robot/send?access_token=" + testToken
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var demoEnv = map[string]string{
	"DEMO_ROBOT_PORT":   "18080",
	"DEMO_SECRET_TEAM":  "SECteam0123456789abcdef",
	"DEMO_SECRET_OWNER": "SECowner0123456789abcdef",
	"DEMO_SECRET_FLOW":  "SECflow0123456789abcdef",
	"DEMO_SECRET_KINDS": "SECkinds0123456789abcdef",
	"DEMO_SECRET_OTHER": "SECother0123456789abcdef",
}

func mustParse(t testing.TB, doc string, env map[string]string) *Set {
	t.Helper()
	s, err := Parse([]byte(doc), envOf(env))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// plain is r without what a test writes no expectation for: the derived
// kind and status sets and the time zone (TestTimezones checks those).
func plain(r Rule) Rule {
	r.kinds, r.statuses, r.Location, r.mentions = 0, nil, nil, nil
	return r
}

func names(rs []*Rule) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestDemoRules(t *testing.T) {
	doc, err := os.ReadFile("../../events/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := mustParse(t, string(doc), demoEnv)
	hook := func(tok string) secret.String {
		return secret.String("http://127.0.0.1:18080/robot/send?access_token=" + tok)
	}
	want := []Rule{{
		Name: "dlc-failures", Source: event.DLC, Scope: ScopeWorkspace, WorkspaceID: "249407",
		Events: []string{"failed"}, Lang: "zh", Format: "markdown",
		Target: Target{Type: "dingtalk", Webhook: hook("demo-team"), Secret: "SECteam0123456789abcdef", Keyword: "PAI", AtMobiles: []string{"13800000000"}},
	}, {
		Name: "dlc-ended-mine", Source: event.DLC, Scope: ScopeMine, Owner: "211790764591639068",
		Events: []string{"ended"}, Lang: "en", Format: "actionCard",
		Target: Target{Type: "dingtalk", Webhook: hook("demo-owner"), Secret: "SECowner0123456789abcdef"},
	}, {
		Name: "flow-pipelines", Source: event.PAIFlow, Scope: ScopePipelines, Pipelines: []string{"ctr-feature-pipeline"},
		Events: []string{"ended"}, Lang: "zh", Format: "markdown",
		Target: Target{Type: "dingtalk", Webhook: hook("demo-flow"), Secret: "SECflow0123456789abcdef"},
	}, {
		Name: "dlc-progress", Source: event.DLC, Scope: ScopeWorkspace,
		Events: []string{"queued", "bidding", "preparing", "retained", "faultTolerance", "timeout", "preempted"}, Lang: "zh", Format: "markdown",
		Target: Target{Type: "dingtalk", Webhook: hook("demo-kinds"), Secret: "SECkinds0123456789abcdef"},
	}, {
		Name: "dsw-stopped", Source: event.DSW, Scope: ScopeWorkspace,
		Events: []string{"stopped", "failed"}, Lang: "zh", Format: "markdown",
		Target: Target{Type: "dingtalk", Webhook: hook("demo-other"), Secret: "SECother0123456789abcdef"},
	}, {
		Name: "model-approvals", Source: event.Model, Scope: ScopeModels, Models: []string{"qwen-sft"},
		Events: []string{"ended"}, Lang: "zh", Format: "markdown",
		Target: Target{Type: "dingtalk", Webhook: hook("demo-other"), Secret: "SECother0123456789abcdef"},
	}, {
		Name: "sagemaker-ended", Source: event.SageMaker, Scope: ScopeWorkspace,
		Events: []string{"ended"}, Lang: "en", Format: "markdown",
		Target: Target{Type: "dingtalk", Webhook: hook("demo-other"), Secret: "SECother0123456789abcdef"},
	}}
	got := s.Rules()
	if len(got) != len(want) {
		t.Fatalf("got %d rules, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(plain(*got[i]), want[i]) {
			t.Errorf("rule %d:\n got %+v\nwant %+v (webhook %q)", i, *got[i], want[i], got[i].Target.Webhook.Reveal())
		}
		if s.Rule(want[i].Name) != got[i] {
			t.Errorf("Rule(%q) is not the listed rule", want[i].Name)
		}
	}
	if s.Rule("nope") != nil {
		t.Error("Rule(nope) != nil")
	}
	if w := s.Warnings(); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
	// The demo refuses to run with a secret missing rather than send unsigned.
	env := map[string]string{"DEMO_ROBOT_PORT": "1"}
	_, err = Parse(doc, envOf(env))
	wantErr := `rules[0] "dlc-failures": target.secret: ${DEMO_SECRET_TEAM} is not set
rules[1] "dlc-ended-mine": target.secret: ${DEMO_SECRET_OWNER} is not set
rules[2] "flow-pipelines": target.secret: ${DEMO_SECRET_FLOW} is not set
rules[3] "dlc-progress": target.secret: ${DEMO_SECRET_KINDS} is not set
rules[4] "dsw-stopped": target.secret: ${DEMO_SECRET_OTHER} is not set
rules[5] "model-approvals": target.secret: ${DEMO_SECRET_OTHER} is not set
rules[6] "sagemaker-ended": target.secret: ${DEMO_SECRET_OTHER} is not set`
	if err == nil || err.Error() != wantErr {
		t.Errorf("without secrets: got %v\nwant %s", err, wantErr)
	}
}

// matchDoc has one rule per option; the anchor shares one target.
const matchDoc = `
rules:
  - name: dlc-failed
    source: dlc
    target: &robot
      webhook: ` + testHook + `
      secret: ` + testSecret + `
  - name: dlc-ws
    source: dlc
    workspaceId: 249407
    events: failed
    target: *robot
  - name: dlc-mine-ended
    source: dlc
    scope: mine
    owner: "42"
    events: ended
    target: *robot
  - name: flow-pipes
    source: paiflow
    scope: pipelines
    pipelines: [p-1, ctr]
    events: [Running, terminated]
    target: *robot
  - name: flow-failed
    source: PAIFlow
    scope: workspace
    target: *robot
  - name: flow-ws-raw
    source: paiflow
    workspaceId: "111"
    events: Succeeded
    target: *robot
`

type taskCase struct {
	name string
	task event.Task
	want []string
}

var matchCases = []taskCase{
	{"dlc failed in 249407 by the owner", event.Task{Source: event.DLC, Status: "Failed", WorkspaceID: "249407", CreatorID: "42"},
		[]string{"dlc-failed", "dlc-ws", "dlc-mine-ended"}},
	{"dlc failed elsewhere, lower case", event.Task{Source: event.DLC, Status: "failed", WorkspaceID: "111", CreatorID: "7"},
		[]string{"dlc-failed"}},
	{"dlc failed, no workspace", event.Task{Source: event.DLC, Status: "FAILED"}, []string{"dlc-failed"}},
	{"dlc stopped by the owner", event.Task{Source: event.DLC, Status: "Stopped", CreatorID: "42"}, []string{"dlc-mine-ended"}},
	{"dlc succeeded by someone else", event.Task{Source: event.DLC, Status: "Succeeded", CreatorID: "43"}, []string{}},
	{"dlc running", event.Task{Source: event.DLC, Status: "Running", WorkspaceID: "249407", CreatorID: "42"}, []string{}},
	{"Terminated is not a dlc status", event.Task{Source: event.DLC, Status: "Terminated", CreatorID: "42"}, []string{}},
	{"flow failed", event.Task{Source: event.PAIFlow, Status: "Failed", PipelineName: "ctr"}, []string{"flow-failed"}},
	{"flow terminated by id", event.Task{Source: event.PAIFlow, Status: "Terminated", PipelineID: "p-1"}, []string{"flow-pipes"}},
	{"flow terminated by name", event.Task{Source: event.PAIFlow, Status: "Terminated", PipelineID: "p-9", PipelineName: "ctr"}, []string{"flow-pipes"}},
	{"flow running, upper case", event.Task{Source: event.PAIFlow, Status: "RUNNING", PipelineName: "ctr"}, []string{"flow-pipes"}},
	{"flow run named after the pipeline", event.Task{Source: event.PAIFlow, Status: "Terminated", JobName: "ctr"}, []string{"flow-pipes"}},
	{"flow run of another name", event.Task{Source: event.PAIFlow, Status: "Terminated", JobName: "ctr-2"}, []string{}},
	{"status with spaces, newline and BOM", event.Task{Source: event.DLC, Status: "\ufeff failed\n", WorkspaceID: "111"}, []string{"dlc-failed"}},
	{"flow other pipeline", event.Task{Source: event.PAIFlow, Status: "Terminated", PipelineID: "p-2", PipelineName: "other"}, []string{}},
	{"flow succeeded in 111", event.Task{Source: event.PAIFlow, Status: "Succeeded", WorkspaceID: "111"}, []string{"flow-ws-raw"}},
	{"flow succeeded in 112", event.Task{Source: event.PAIFlow, Status: "Succeeded", WorkspaceID: "112"}, []string{}},
	{"unknown source", event.Task{Source: "dsw", Status: "Failed"}, []string{}},
	{"unknown status", event.Task{Source: event.DLC, Status: "Exploded"}, []string{}},
}

func TestMatch(t *testing.T) {
	s := mustParse(t, matchDoc, nil)
	for _, c := range matchCases {
		t.Run(c.name, func(t *testing.T) {
			got := names(s.Match(nil, &c.task))
			if !slices.Equal(got, c.want) {
				t.Errorf("Match = %q, want %q", got, c.want)
			}
			// Match appends.
			pre := []*Rule{{Name: "kept"}}
			if got := s.Match(pre, &c.task); got[0].Name != "kept" || len(got) != len(c.want)+1 {
				t.Errorf("Match did not append to dst: %q", names(got))
			}
		})
	}
	if got := s.Match(nil, nil); len(got) != 0 {
		t.Errorf("Match(nil task) = %q", names(got))
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	s := mustParse(t, matchDoc, nil)
	task := &event.Task{Source: event.DLC, Status: "failed", WorkspaceID: "249407", CreatorID: "42"}
	dst := make([]*Rule, 0, 8)
	if n := testing.AllocsPerRun(100, func() { dst = s.Match(dst[:0], task) }); n != 0 {
		t.Errorf("Match allocates %v times per call", n)
	}
	if len(dst) != 3 {
		t.Errorf("matched %d rules, want 3", len(dst))
	}
}

func TestExplain(t *testing.T) {
	s := mustParse(t, matchDoc, nil)
	cases := []struct {
		task event.Task
		want []string // per rule, "" for matched
	}{
		{event.Task{Source: event.DLC, Status: "Running", WorkspaceID: "111", CreatorID: "7"}, []string{
			`status "Running" (running) is not in [failed]`,
			`workspace "111" is not 249407`,
			`creator "7" is not the owner`,
			"source dlc, rule wants paiflow",
			"source dlc, rule wants paiflow",
			"source dlc, rule wants paiflow",
		}},
		{event.Task{Source: event.PAIFlow, Status: "Failed", PipelineName: "x"}, []string{
			"source paiflow, rule wants dlc",
			"source paiflow, rule wants dlc",
			"source paiflow, rule wants dlc",
			`pipeline "x" is not in [p-1 ctr]`,
			"",
			"event has no workspace, rule wants 111",
		}},
		{event.Task{Source: event.PAIFlow, Status: "Failed", PipelineID: "p-7", PipelineName: "x", WorkspaceID: "111"}, []string{
			"source paiflow, rule wants dlc", "source paiflow, rule wants dlc", "source paiflow, rule wants dlc",
			`pipeline "x" / "p-7" is not in [p-1 ctr]`,
			"",
			`status "Failed" (failed,ended) is not in [succeeded]`,
		}},
		{event.Task{Source: event.PAIFlow, Status: "Failed", PipelineID: "p-7"}, []string{
			"source paiflow, rule wants dlc", "source paiflow, rule wants dlc", "source paiflow, rule wants dlc",
			`pipeline "p-7" is not in [p-1 ctr]`, "", "event has no workspace, rule wants 111",
		}},
		{event.Task{Source: event.DLC, Status: " Running\n", WorkspaceID: "249407", CreatorID: "42"}, []string{
			`status " Running\n" (running) is not in [failed]`, `status " Running\n" (running) is not in [failed]`,
			`status " Running\n" (running) is not in [ended]`,
			"source dlc, rule wants paiflow", "source dlc, rule wants paiflow", "source dlc, rule wants paiflow",
		}},
		{event.Task{Source: event.PAIFlow, Status: "Failed", JobName: "run-9", WorkspaceID: "111"}, []string{
			"source paiflow, rule wants dlc", "source paiflow, rule wants dlc", "source paiflow, rule wants dlc",
			`pipeline "run-9" is not in [p-1 ctr]`, "", `status "Failed" (failed,ended) is not in [succeeded]`,
		}},
		{event.Task{Source: event.PAIFlow, Status: "Running"}, []string{
			"source paiflow, rule wants dlc", "source paiflow, rule wants dlc", "source paiflow, rule wants dlc",
			"event has no pipeline or run name, rule wants [p-1 ctr]", `status "Running" (running) is not in [failed]`, "event has no workspace, rule wants 111",
		}},
		{event.Task{Source: event.DLC, WorkspaceID: "249407"}, []string{
			"event has no status, rule wants [failed]", "event has no status, rule wants [failed]",
			"event has no creator, rule wants the owner's tasks",
			"source dlc, rule wants paiflow", "source dlc, rule wants paiflow", "source dlc, rule wants paiflow",
		}},
		{event.Task{Source: "", Status: "Failed"}, []string{
			"event has no source, rule wants dlc", "event has no source, rule wants dlc", "event has no source, rule wants dlc",
			"event has no source, rule wants paiflow", "event has no source, rule wants paiflow", "event has no source, rule wants paiflow",
		}},
	}
	for _, c := range cases {
		vs := s.Explain(&c.task)
		if len(vs) != len(c.want) {
			t.Fatalf("%+v: %d verdicts, want %d", c.task, len(vs), len(c.want))
		}
		for i, v := range vs {
			if v.Rule != s.Rules()[i].Name || v.Reason != c.want[i] || v.Matched != (c.want[i] == "") {
				t.Errorf("%+v: verdict %d = %+v, want reason %q", c.task, i, v, c.want[i])
			}
		}
	}
}

// TestMatchAgreesWithExplain holds the index to the plain reading of the
// rules: for random rules and tasks, Match returns exactly the rules Explain
// says match, in document order.
func TestMatchAgreesWithExplain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		s := randomSet(rng, 1+rng.IntN(60))
		for i := 0; i < 200; i++ {
			task := randomTask(rng)
			got := s.Match(nil, &task)
			var want []*Rule
			for j, v := range s.Explain(&task) {
				if v.Matched {
					want = append(want, s.rules[j])
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("task %+v: Match %q, Explain %q", task, names(got), names(want))
			}
		}
	}
}

var (
	testStatuses   = []string{"Failed", "failed", "Succeeded", "Stopped", "Terminated", "Running", "Skipped", "Nope", "", "Queuing", "FailedReserving", "Approved"}
	testWorkspaces = []string{"", "1", "2", "3"}
	testPeople     = []string{"", "u1", "u2"}
	testPipes      = []string{"", "p1", "p2", "n1"}
)

func randomSet(rng *rand.Rand, n int) *Set {
	var rules []*Rule
	for i := 0; i < n; i++ {
		r := &Rule{Name: "r" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Lang: LangZh, Format: FormatMarkdown}
		switch rng.IntN(5) {
		case 0:
			r.Source = ""
		case 1, 2:
			r.Source = event.DLC
		default:
			r.Source = event.PAIFlow
		}
		r.WorkspaceID = testWorkspaces[rng.IntN(len(testWorkspaces))]
		switch rng.IntN(3) {
		case 0:
			r.Scope, r.Owner = ScopeMine, testPeople[1+rng.IntN(2)]
		case 1:
			r.Scope, r.Pipelines = ScopePipelines, []string{testPipes[1+rng.IntN(3)]}
		default:
			r.Scope = ScopeWorkspace
		}
		switch rng.IntN(4) {
		case 0:
			r.Events = []string{"failed"}
		case 1:
			r.Events = []string{"ended", "running"}
		case 2:
			r.Events = []string{string(event.Kinds[rng.IntN(len(event.Kinds))]), "Stopped"}
		default:
			src := r.Source
			if src == "" {
				src = event.Sources[rng.IntN(len(event.Sources))]
			}
			st := event.Statuses(src)
			r.Events = []string{st[rng.IntN(len(st))], st[rng.IntN(len(st))]}
		}
		rules = append(rules, r)
	}
	return newSet(rules, nil, nil)
}

func randomTask(rng *rand.Rand) event.Task {
	srcs := []event.Source{event.DLC, event.PAIFlow, event.DLC, event.PAIFlow, "", "eas", event.DSW, event.Model, event.SageMaker}
	return event.Task{
		Source:       srcs[rng.IntN(len(srcs))],
		Status:       testStatuses[rng.IntN(len(testStatuses))],
		WorkspaceID:  testWorkspaces[rng.IntN(len(testWorkspaces))],
		CreatorID:    testPeople[rng.IntN(len(testPeople))],
		PipelineID:   testPipes[rng.IntN(len(testPipes))],
		PipelineName: testPipes[rng.IntN(len(testPipes))],
		Kinds:        event.KindSet(rng.IntN(1 << len(event.Kinds))),
	}
}

// The same document as YAML and as JSON (with a \/ escape YAML would
// reject) gives the same Set.
func TestJSONAndYAMLAgree(t *testing.T) {
	yamlDoc := `
fields:
  dlc: {jobId: data.detail.JobId}
  paiflow:
    status: data.state
rules:
  - name: a
    source: dlc
    workspaceId: 249407
    owner: 211790764591639068
    scope: mine
    events: [Running, failed]
    lang: en
    format: actioncard
    target:
      webhook: https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}
      secret: ${SECRET}
      keyword: PAI
      atMobiles: [13800000000]
      atUserIds: [u1]
      atAll: true
  - name: b
    source: paiflow
    scope: pipelines
    pipelines: [p1, p2]
    events: ended
    target: {webhook: "http://localhost:9/robot/send?access_token=x"}
`
	jsonDoc := `{
	"fields": {"dlc": {"jobId": "data.detail.JobId"}, "paiflow": {"status": "data.state"}},
	"rules": [
		{"name": "a", "source": "dlc", "workspaceId": 249407, "owner": 211790764591639068, "scope": "mine",
		 "events": ["Running", "failed"], "lang": "en", "format": "actioncard",
		 "target": {"webhook": "https:\/\/oapi.dingtalk.com/robot/send?access_token=${TOKEN}", "secret": "${SECRET}",
		            "keyword": "PAI", "atMobiles": [13800000000], "atUserIds": ["u1"], "atAll": true}},
		{"name": "b", "source": "paiflow", "scope": "pipelines", "pipelines": ["p1", "p2"], "events": "ended",
		 "target": {"webhook": "http://localhost:9/robot/send?access_token=x"}}
	]
}`
	env := map[string]string{"TOKEN": testToken, "SECRET": testSecret}
	y, j := mustParse(t, yamlDoc, env), mustParse(t, jsonDoc, env)
	if !reflect.DeepEqual(y.Rules(), j.Rules()) {
		for i := range y.Rules() {
			t.Errorf("rule %d:\nyaml %+v\njson %+v", i, *y.Rules()[i], *j.Rules()[i])
		}
	}
	if !reflect.DeepEqual(y.Fields(), j.Fields()) {
		t.Errorf("fields: yaml %v, json %v", y.Fields(), j.Fields())
	}
	a := y.Rule("a")
	want := Rule{
		Name: "a", Source: event.DLC, Scope: ScopeMine, WorkspaceID: "249407", Owner: "211790764591639068",
		Events: []string{"running", "failed"}, Lang: "en", Format: "actionCard",
		Target: Target{Type: "dingtalk", Webhook: testHook, Secret: testSecret, Keyword: "PAI",
			AtMobiles: []string{"13800000000"}, AtUserIDs: []string{"u1"}, AtAll: true},
	}
	if !reflect.DeepEqual(plain(*a), want) {
		t.Errorf("rule a:\n got %+v\nwant %+v", *a, want)
	}
	wantFields := map[event.Source]map[string]string{event.DLC: {"jobId": "data.detail.JobId"}, event.PAIFlow: {"status": "data.state"}}
	if !reflect.DeepEqual(y.Fields(), wantFields) {
		t.Errorf("Fields() = %v", y.Fields())
	}
	// Fields() hands out a copy.
	y.Fields()[event.DLC]["jobId"] = "changed"
	if y.Fields()[event.DLC]["jobId"] != "data.detail.JobId" {
		t.Error("Fields() exposes the set's map")
	}
}

func TestYAMLFeatures(t *testing.T) {
	// Merge keys share settings; keys written in the rule win.
	doc := `
rules:
  - &base
    name: base
    source: dlc
    events: ended
    target: {webhook: "` + testHook + `"}
  - <<: *base
    name: derived
    events: [Running]
  - <<: [*base]
    name: derived2
`
	s := mustParse(t, doc, nil)
	got := s.Rules()
	if len(got) != 3 || got[1].Name != "derived" || !slices.Equal(got[1].Events, []string{"running"}) ||
		got[1].Source != event.DLC || got[1].Target.Webhook.Reveal() != testHook ||
		!slices.Equal(got[2].Events, []string{"ended"}) {
		for _, r := range got {
			t.Errorf("%+v", *r)
		}
	}
}

func TestExpand(t *testing.T) {
	env := envOf(map[string]string{"A": "alpha", "B_2": "beta"})
	cases := []struct {
		in, out string
		unset   []string
		bad     string
	}{
		{"plain $A text", "plain $A text", nil, ""},
		{"${A}", "alpha", nil, ""},
		{"x${A}y${B_2}z", "xalphaybetaz", nil, ""},
		{"${C}", "", []string{"C"}, ""},
		{"${C}-${D}", "-", []string{"C", "D"}, ""},
		{"${C:-dflt}", "dflt", nil, ""},
		{"${C:-}", "", nil, ""},
		{"${A:-dflt}", "alpha", nil, ""},
		{"$${A}", "${A}", nil, ""},
		{"${A", "${A", nil, "unterminated ${"},
		{"${1A}", "", nil, "bad variable name in ${...} (want letters, digits and _)"},
		{"${}", "", nil, "bad variable name in ${...} (want letters, digits and _)"},
	}
	for _, c := range cases {
		out, unset, bad := expand(c.in, env)
		if out != c.out || !slices.Equal(unset, c.unset) || bad != c.bad {
			t.Errorf("expand(%q) = %q, %q, %q; want %q, %q, %q", c.in, out, unset, bad, c.out, c.unset, c.bad)
		}
	}
}

// Every string value is expanded, not just the target's.
func TestExpandEverywhere(t *testing.T) {
	doc := `
fields:
  dlc: {jobId: "${JOB_PATH}"}
rules:
  - name: ${NAME}
    source: ${SRC}
    scope: ${SCOPE:-mine}
    workspaceId: ${WS}
    owner: ${OWNER}
    events: ["${EV}"]
    lang: ${LANG_}
    format: ${FMT:-markdown}
    target:
      webhook: ${HOOK}
      secret: ${SECRET}
      keyword: ${KW}
      atMobiles: ["${PHONE}"]
      atAll: ${ALL:-false}
`
	env := map[string]string{"JOB_PATH": "data.x", "NAME": "n", "SRC": "dlc", "WS": "9", "OWNER": "u1", "EV": "running",
		"LANG_": "en", "HOOK": testHook, "SECRET": testSecret, "KW": "PAI", "PHONE": "138"}
	s := mustParse(t, doc, env)
	want := Rule{Name: "n", Source: event.DLC, Scope: ScopeMine, WorkspaceID: "9", Owner: "u1", Events: []string{"running"},
		Lang: "en", Format: "markdown", Target: Target{Type: "dingtalk", Webhook: testHook, Secret: testSecret, Keyword: "PAI", AtMobiles: []string{"138"}}}
	if got := s.Rule("n"); got == nil || !reflect.DeepEqual(plain(*got), want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if s.Fields()[event.DLC]["jobId"] != "data.x" {
		t.Errorf("fields not expanded: %v", s.Fields())
	}
}

func TestWarnings(t *testing.T) {
	doc := `
rules:
  - name: w
    source: dlc
    target: {webhook: "` + testHook + `", secret: "notsec"}
`
	s := mustParse(t, doc, nil)
	want := []string{`rules[0] "w": target.secret does not start with SEC; DingTalk signing secrets do, so check it was copied whole`}
	if !slices.Equal(s.Warnings(), want) {
		t.Errorf("Warnings() = %q", s.Warnings())
	}
	if s.Rule("w").Target.Secret.Reveal() != "notsec" {
		t.Error("a secret without SEC must still be accepted")
	}
}
