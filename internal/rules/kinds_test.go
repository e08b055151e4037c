package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

const kindsDoc = `
kinds:
  preempted:
    types: ["pai:DLC:*Evicted"]
  timeout:
    statuses: [Dequeued]
    path: data.TimedOut
rules:
  - name: progress
    source: dlc
    events: [queued, bidding, preparing, running, retained]
    target: {webhook: "` + testHook + `"}
  - name: trouble
    source: dlc
    events: [faultTolerance, timeout, preempted, SubmitFailed]
    target: {webhook: "` + testHook + `"}
  - name: dsw-stopped
    source: dsw
    events: [stopped, Failed]
    target: {webhook: "` + testHook + `"}
  - name: models
    source: model
    scope: models
    models: [qwen-sft]
    target: {webhook: "` + testHook + `"}
  - name: sagemaker
    source: sagemaker
    events: [failed, succeeded]
    target: {webhook: "` + testHook + `"}
  - name: dlc-failed
    source: dlc
    target: {webhook: "` + testHook + `"}
`

func TestKindsMatch(t *testing.T) {
	s := mustParse(t, kindsDoc, nil)
	if got := s.Rule("models").Events; !slices.Equal(got, []string{"ended"}) {
		t.Errorf("a model rule without events fires on %v, want [ended]", got)
	}
	if k := s.Kinds(); len(k) != 2 || k[0].Kind != event.KindPreempted || k[1].Path != "data.TimedOut" {
		t.Errorf("Kinds() = %+v", k)
	}
	for _, c := range []taskCase{
		{"queued", event.Task{Source: event.DLC, Status: "Queuing"}, []string{"progress"}},
		{"retained on success", event.Task{Source: event.DLC, Status: "SucceededReserving"}, []string{"progress"}},
		{"preempted, from the parser", event.Task{Source: event.DLC, Status: "Restarting", Kinds: event.KindSet(0).With(event.KindPreempted)}, []string{"trouble"}},
		{"raw status beside kinds", event.Task{Source: event.DLC, Status: "submitfailed"}, []string{"trouble"}},
		{"failed with a timeout", event.Task{Source: event.DLC, Status: "Failed", Kinds: event.KindSet(0).With(event.KindTimeout)}, []string{"trouble", "dlc-failed"}},
		{"dsw stopped", event.Task{Source: event.DSW, Status: "Stopped"}, []string{"dsw-stopped"}},
		{"dsw running", event.Task{Source: event.DSW, Status: "Running"}, []string{}},
		{"model approved, named", event.Task{Source: event.Model, Status: "Approved", JobName: "qwen-sft"}, []string{"models"}},
		{"model approved, by id", event.Task{Source: event.Model, Status: "Approved", JobID: "qwen-sft"}, []string{"models"}},
		{"model of another name", event.Task{Source: event.Model, Status: "Rejected", JobName: "other"}, []string{}},
		{"model pending", event.Task{Source: event.Model, Status: "Pending", JobName: "qwen-sft"}, []string{}},
		{"sagemaker failed: not a dlc job", event.Task{Source: event.SageMaker, Status: "Failed"}, []string{"sagemaker"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := names(s.Match(nil, &c.task)); !slices.Equal(got, c.want) {
				t.Errorf("Match = %q, want %q", got, c.want)
			}
		})
	}
	v := s.Explain(&event.Task{Source: event.Model, Status: "Rejected", JobName: "other", JobID: "m-1"})
	if v[3].Reason != `model "other" / "m-1" is not in [qwen-sft]` {
		t.Errorf("reason %q", v[3].Reason)
	}
}

func TestKindErrors(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"kind that never happens to the source", "  - name: a\n    source: paiflow\n    events: [bidding]\n",
			`rules[0] "a": events: bidding never happens to paiflow (it has no such status; define it under kinds:, or name statuses: Initialized,`},
		{"model rules do not fail", "  - name: a\n    source: model\n    events: failed\n",
			`rules[0] "a": events: failed never happens to model`},
		{"models scope needs source model", "  - name: a\n    source: dlc\n    scope: models\n    models: [x]\n",
			`rules[0] "a": scope models needs source model`},
		{"models only for scope models", "  - name: a\n    source: model\n    models: [x]\n", `rules[0] "a": models is only for scope models`},
		{"unknown kind in kinds:", "kinds:\n  exploded: {types: [x]}\n", `line 2: kinds.exploded: unknown kind "exploded" (known: `},
		{"empty kind entry", "kinds:\n  timeout: {}\n", `line 2: kinds.timeout: give types, statuses or a path`},
		{"unknown kinds: key", "kinds:\n  timeout: {typo: x}\n", `line 2: kinds.timeout: unknown key "typo"`},
		{"bad timezone", "  - name: a\n    source: dlc\n    timezone: Mars/Olympus\n", `rules[0] "a": timezone: unknown time zone "Mars/Olympus"`},
		{"path-like timezone", "  - name: a\n    source: dlc\n    timezone: ../../etc/passwd\n", `rules[0] "a": timezone: "../../etc/passwd" is not a time zone name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := c.doc
			if !strings.HasPrefix(d, "kinds:") {
				d = doc(d, okTarget)
			} else {
				d += doc("  - name: ok\n    source: dlc\n", okTarget)
			}
			_, err := Parse([]byte(d), nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse = %v\nwant %q", err, c.want)
			}
		})
	}
	// A kind a document defines may be asked of any source.
	mustParse(t, "kinds:\n  bidding: {types: [x]}\n"+doc("  - name: a\n    source: paiflow\n    events: bidding\n", okTarget), nil)
}

func TestTimezones(t *testing.T) {
	d := doc("  - name: default\n    source: dlc\n", okTarget,
		"  - name: ny\n    source: sagemaker\n    timezone: America/New_York\n", okTarget)
	zone := func(s *Set, rule string) string { return s.Rule(rule).Location.String() }
	s := mustParse(t, d, nil)
	if zone(s, "default") != "Asia/Shanghai" || zone(s, "ny") != "America/New_York" {
		t.Errorf("zones %s, %s", zone(s, "default"), zone(s, "ny"))
	}
	s = mustParse(t, d, map[string]string{EnvTimezone: "UTC"})
	if zone(s, "default") != "UTC" || zone(s, "ny") != "America/New_York" {
		t.Errorf("with NOTIFY_TIMEZONE=UTC: zones %s, %s", zone(s, "default"), zone(s, "ny"))
	}
	// The zone really is the named one: New York is UTC-5 in January.
	jan := time.Date(2026, 1, 6, 12, 0, 0, 0, time.UTC).In(s.Rule("ny").Location)
	if _, off := jan.Zone(); off != -5*3600 {
		t.Errorf("New York offset %d", off)
	}
	if _, err := Parse([]byte(d), envOf(map[string]string{EnvTimezone: "Nowhere/City"})); err == nil ||
		!strings.Contains(err.Error(), `NOTIFY_TIMEZONE: unknown time zone "Nowhere/City"`) {
		t.Errorf("bad NOTIFY_TIMEZONE: %v", err)
	}
	set, err := Load(envOf(map[string]string{EnvWebhook: testHook, EnvTimezone: "Asia/Tokyo"}))
	if err != nil || set.Rule(DefaultRuleName).Location.String() != "Asia/Tokyo" {
		t.Errorf("default rule zone: %v, %v", set, err)
	}
}
