package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// benchDoc writes n rules spread over both sources, 100 workspaces (one rule
// in ten takes any workspace), every scope and every events form.
func benchDoc(n int) string {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := 0; i < n; i++ {
		src := event.DLC
		if i%2 == 1 {
			src = event.PAIFlow
		}
		fmt.Fprintf(&b, "  - name: r%d\n    source: %s\n", i, src)
		if i%10 != 0 {
			fmt.Fprintf(&b, "    workspaceId: \"%d\"\n", i%100)
		}
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "    scope: mine\n    owner: \"u%d\"\n", i%7)
		case 1:
			if src == event.PAIFlow {
				fmt.Fprintf(&b, "    scope: pipelines\n    pipelines: [p%d, name%d]\n", i%5, i%5)
			}
		}
		switch i % 4 {
		case 0:
			b.WriteString("    events: failed\n")
		case 1:
			b.WriteString("    events: ended\n")
		case 2:
			b.WriteString("    events: [Running, Failed]\n")
		}
		fmt.Fprintf(&b, "    target: {webhook: \"https://oapi.dingtalk.com/robot/send?access_token=t%d\"}\n", i%20)
	}
	return b.String()
}

func BenchmarkMatch(b *testing.B) {
	tasks := []event.Task{
		{Source: event.DLC, Status: "Failed", WorkspaceID: "42", CreatorID: "u1"},
		{Source: event.PAIFlow, Status: "Terminated", WorkspaceID: "7", PipelineName: "name2"},
		{Source: event.DLC, Status: "running", WorkspaceID: "3", CreatorID: "u3"},
		{Source: event.PAIFlow, Status: "Failed", WorkspaceID: "55", PipelineID: "p0"},
	}
	// Statuses no rule names: the cost of finding that nothing matches,
	// which the index keeps flat however many rules there are.
	misses := []event.Task{
		{Source: event.DLC, Status: "Queuing", WorkspaceID: "42", CreatorID: "u1"},
		{Source: event.PAIFlow, Status: "Initialized", WorkspaceID: "7", PipelineName: "name2"},
	}
	for _, n := range []int{1, 10, 100, 1000, 10000} {
		s := mustParse(b, benchDoc(n), nil)
		for _, set := range []struct {
			name  string
			tasks []event.Task
		}{{"mix", tasks}, {"miss", misses}} {
			b.Run(fmt.Sprintf("%s/rules=%d", set.name, n), func(b *testing.B) {
				dst := make([]*Rule, 0, 1024)
				matched := 0
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					dst = s.Match(dst[:0], &set.tasks[i%len(set.tasks)])
					matched += len(dst)
				}
				b.ReportMetric(float64(matched)/float64(b.N), "matches/op")
			})
		}
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(benchDoc(100))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, nil); err != nil {
			b.Fatal(err)
		}
	}
}
