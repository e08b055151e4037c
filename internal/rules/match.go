package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// indexKey is what an event must share with a rule for the rule to be worth
// testing: source, workspace ("" for rules that take any workspace), and a
// raw status or a kind the rule fires on. With it an event looks only at the
// few rules that can match, however many rules the document holds.
type indexKey struct {
	src    event.Source
	ws     string
	status string
	kind   event.Kind
}

func buildIndex(rules []*Rule) map[indexKey][]int32 {
	idx := map[indexKey][]int32{}
	file := func(k indexKey, i int) {
		// An entry listed twice must not file the rule twice.
		if l := idx[k]; len(l) == 0 || l[len(l)-1] != int32(i) {
			idx[k] = append(l, int32(i))
		}
	}
	for i, r := range rules {
		for _, src := range event.Sources {
			if r.Source != "" && r.Source != src {
				continue
			}
			for _, k := range r.kinds.List() {
				file(indexKey{src: src, ws: r.WorkspaceID, kind: k}, i)
			}
			for _, st := range r.statuses {
				// A source-less rule's status is filed under the sources
				// that know it.
				if c, ok := event.CanonicalStatus(src, st); ok && c == st {
					file(indexKey{src: src, ws: r.WorkspaceID, status: st}, i)
				}
			}
		}
	}
	return idx
}

// maxLists bounds the index lists one event reads: its status and each of
// its kinds, each for any workspace and for its own.
const maxLists = 2 * 16

// Match appends to dst the rules matching t, in document order. It does not
// allocate when dst has room. The index only narrows the rules worth
// testing; whether one matches is test's answer, the same one Explain gives.
func (s *Set) Match(dst []*Rule, t *event.Task) []*Rule {
	if t == nil || !t.Source.Valid() {
		return dst
	}
	status, known := event.CanonicalStatus(t.Source, t.Status)
	kinds := taskKinds(t, status)
	var lists [maxLists][]int32
	n := 0
	add := func(k indexKey) {
		k.ws = ""
		if l := s.index[k]; len(l) > 0 && n < maxLists {
			lists[n], n = l, n+1
		}
		if t.WorkspaceID != "" {
			k.ws = t.WorkspaceID
			if l := s.index[k]; len(l) > 0 && n < maxLists {
				lists[n], n = l, n+1
			}
		}
	}
	add(indexKey{src: t.Source, status: status})
	for k := range kinds.All() {
		add(indexKey{src: t.Source, kind: k})
	}
	// Every list is in document order; merge them to keep it, testing each
	// rule once.
	last := int32(-1)
	for {
		best := -1
		for j := range n {
			if len(lists[j]) > 0 && (best < 0 || lists[j][0] < lists[best][0]) {
				best = j
			}
		}
		if best < 0 {
			return dst
		}
		i := lists[best][0]
		lists[best] = lists[best][1:]
		if i == last {
			continue
		}
		last = i
		if r := s.rules[i]; r.check(t, status, known, kinds) == matches {
			dst = append(dst, r)
		}
	}
}

// taskKinds is every kind t is: those the parser found and those its
// status is by itself (so a Task built by hand matches like a parsed one).
func taskKinds(t *event.Task, status string) event.KindSet {
	return t.Kinds | event.StatusKinds(t.Source, status)
}

// Explain returns every rule's verdict on t, in document order.
func (s *Set) Explain(t *event.Task) []Verdict {
	out := make([]Verdict, len(s.rules))
	for i, r := range s.rules {
		m := r.test(t)
		out[i] = Verdict{Rule: r.Name, Matched: m == matches, Reason: m.reason(r, t)}
	}
	return out
}

// mismatch is the first check a task fails against a rule; matches when it
// fails none. It is a number, not a string, so that Match can use the very
// predicate Explain words without allocating.
type mismatch uint8

const (
	matches mismatch = iota
	noTask
	noSource
	unknownSource
	otherSource
	noWorkspace
	otherWorkspace
	noCreator
	otherCreator
	noPipeline
	otherPipeline
	noModel
	otherModel
	noStatus
	otherStatus
)

// test is the one match predicate: it checks source, workspace, owner,
// pipeline and status in that order and returns the first that fails.
func (r *Rule) test(t *event.Task) mismatch {
	if t == nil {
		return noTask
	}
	status, known := event.CanonicalStatus(t.Source, t.Status)
	return r.check(t, status, known, taskKinds(t, status))
}

// check is test with the task's canonical status and kinds worked out once,
// as Match does for all the rules it tests.
func (r *Rule) check(t *event.Task, status string, known bool, kinds event.KindSet) mismatch {
	switch {
	case t == nil:
		return noTask
	case t.Source == "" && r.Source != "":
		return noSource
	case !t.Source.Valid():
		return unknownSource
	case r.Source != "" && r.Source != t.Source:
		return otherSource
	case r.WorkspaceID != "" && t.WorkspaceID == "":
		return noWorkspace
	case r.WorkspaceID != "" && t.WorkspaceID != r.WorkspaceID:
		return otherWorkspace
	case r.Scope == ScopeMine && t.CreatorID == "":
		return noCreator
	case r.Scope == ScopeMine && t.CreatorID != r.Owner:
		return otherCreator
	case r.Scope == ScopePipelines && !r.hasPipeline(t):
		if t.PipelineID == "" && t.PipelineName == "" && t.JobName == "" {
			return noPipeline
		}
		return otherPipeline
	case r.Scope == ScopeModels && !r.hasModel(t.JobID) && !r.hasModel(t.JobName):
		if t.JobID == "" && t.JobName == "" {
			return noModel
		}
		return otherModel
	}
	switch {
	case status == "":
		return noStatus
	case kinds&r.kinds != 0, known && slices.Contains(r.statuses, status):
		return matches
	}
	return otherStatus
}

func (r *Rule) hasModel(v string) bool { return v != "" && slices.Contains(r.Models, v) }

// hasPipeline reports whether a PAIFlow run belongs to one of the rule's
// pipelines: by pipeline id, pipeline name, or the run's own name (a run
// event may carry only its Name, which PAI takes from the pipeline).
func (r *Rule) hasPipeline(t *event.Task) bool {
	for _, v := range [...]string{t.PipelineID, t.PipelineName, t.JobName} {
		if v != "" && slices.Contains(r.Pipelines, v) {
			return true
		}
	}
	return false
}

// reason words a mismatch for a human, quoting the event's values so that
// stray spaces or an odd spelling show.
func (m mismatch) reason(r *Rule, t *event.Task) string {
	switch m {
	case matches:
		return ""
	case noTask:
		return "no event"
	case noSource:
		return fmt.Sprintf("event has no source, rule wants %s", r.Source)
	case unknownSource:
		return fmt.Sprintf("source %q is not %s", string(t.Source), sourceList())
	case otherSource:
		return fmt.Sprintf("source %s, rule wants %s", t.Source, r.Source)
	case noWorkspace:
		return fmt.Sprintf("event has no workspace, rule wants %s", r.WorkspaceID)
	case otherWorkspace:
		return fmt.Sprintf("workspace %q is not %s", t.WorkspaceID, r.WorkspaceID)
	case noCreator:
		return "event has no creator, rule wants the owner's tasks"
	case otherCreator:
		return fmt.Sprintf("creator %q is not the owner", t.CreatorID)
	case noPipeline:
		return fmt.Sprintf("event has no pipeline or run name, rule wants %v", r.Pipelines)
	case otherPipeline:
		return fmt.Sprintf("pipeline %s is not in %v", quoteAll(compactNames(t.PipelineName, t.PipelineID, t.JobName)), r.Pipelines)
	case noModel:
		return fmt.Sprintf("event has no model id or name, rule wants %v", r.Models)
	case otherModel:
		return fmt.Sprintf("model %s is not in %v", quoteAll(compactNames(t.JobName, t.JobID)), r.Models)
	case noStatus:
		return fmt.Sprintf("event has no status, rule wants %v", r.Events)
	case otherStatus:
		status, _ := event.CanonicalStatus(t.Source, t.Status)
		if k := taskKinds(t, status); k != 0 {
			return fmt.Sprintf("status %q (%s) is not in %v", t.Status, k, r.Events)
		}
		return fmt.Sprintf("status %q is not in %v", t.Status, r.Events)
	}
	return "unknown mismatch"
}

// compactNames drops empty and repeated names.
func compactNames(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// quoteAll writes "a" / "b" for the names an event gives a pipeline.
func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " / ")
}
