package rules

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// FuzzParse: no document makes Parse panic; a failure is always an *Error;
// a success always has named rules whose Match agrees with Explain.
func FuzzParse(f *testing.F) {
	demo, err := os.ReadFile("../../events/rules.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(demo), matchDoc, "", "rules: []", "{}", "[]", "null", "rules: &a [*a]",
		"rules:\n  - <<: [*x]\n", "a: &a {b: *a}", "rules: [{name: a, source: dlc, target: {webhook: \"" + testHook + "\"}}]",
		`{"rules": [{"name": "a", "source": "dlc", "events": ["Running"], "target": {"webhook": "` + testHook + `"}}]}`,
		"{\"rules\": [\n", "rules:\n\t- x", "rules:\n  - name: ${A\n", "---\n---\n", "\xff\xfe", "- [[[[[[[[[[",
	} {
		f.Add([]byte(seed))
	}
	env := envOf(map[string]string{"DEMO_ROBOT_PORT": "1", "DEMO_SECRET_TEAM": "SECa", "DEMO_SECRET_OWNER": "SECb", "DEMO_SECRET_FLOW": "SECc", "A": "dlc"})
	tasks := []event.Task{
		{Source: event.DLC, Status: "Failed", WorkspaceID: "249407", CreatorID: "211790764591639068"},
		{Source: event.PAIFlow, Status: "Terminated", PipelineName: "ctr-feature-pipeline"},
		{Source: event.DLC, Status: "running"},
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := Parse(doc, env)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 || err.Error() == "" {
				t.Fatalf("error %T %q is not an *Error with problems", err, err)
			}
			return
		}
		if len(s.Rules()) == 0 {
			t.Fatal("a valid set with no rules")
		}
		for _, r := range s.Rules() {
			if r.Name == "" || s.Rule(r.Name) != r || len(r.Events) == 0 || r.Target.Webhook.IsZero() {
				t.Fatalf("incomplete rule %+v", *r)
			}
		}
		for i := range tasks {
			got := s.Match(nil, &tasks[i])
			var want []*Rule
			for j, v := range s.Explain(&tasks[i]) {
				if v.Matched {
					want = append(want, s.Rules()[j])
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("Match %q disagrees with Explain %q", names(got), names(want))
			}
		}
	})
}
