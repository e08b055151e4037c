package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// indexKey is what an event must share with a rule for the rule to be worth
// checking: source, canonical status, and workspace ("" for rules that take
// any workspace). With it an event looks only at the few rules that can
// match, however many rules the document holds.
type indexKey struct {
	src    event.Source
	ws     string
	status string
}

func buildIndex(rules []*Rule) map[indexKey][]int32 {
	idx := map[indexKey][]int32{}
	for i, r := range rules {
		for _, src := range event.Sources {
			if r.Source != "" && r.Source != src {
				continue
			}
			for _, st := range r.Events {
				// Events are canonical for the rule's source; a source-less
				// rule's status is filed under the sources that know it.
				if c, ok := event.CanonicalStatus(src, st); !ok || c != st {
					continue
				}
				k := indexKey{src, r.WorkspaceID, st}
				// A status listed twice must not file the rule twice.
				if l := idx[k]; len(l) == 0 || l[len(l)-1] != int32(i) {
					idx[k] = append(l, int32(i))
				}
			}
		}
	}
	return idx
}

// Match appends to dst the rules matching t, in document order. It does not
// allocate when dst has room. The index only narrows the rules worth
// testing; whether one matches is test's answer, the same one Explain gives.
func (s *Set) Match(dst []*Rule, t *event.Task) []*Rule {
	if t == nil || !t.Source.Valid() {
		return dst
	}
	status, ok := event.CanonicalStatus(t.Source, t.Status)
	if !ok {
		return dst
	}
	anyWS := s.index[indexKey{t.Source, "", status}]
	var ws []int32
	if t.WorkspaceID != "" {
		ws = s.index[indexKey{t.Source, t.WorkspaceID, status}]
	}
	// Both lists are in document order; merge them to keep it.
	for len(anyWS) > 0 || len(ws) > 0 {
		var i int32
		if len(ws) == 0 || (len(anyWS) > 0 && anyWS[0] < ws[0]) {
			i, anyWS = anyWS[0], anyWS[1:]
		} else {
			i, ws = ws[0], ws[1:]
		}
		if r := s.rules[i]; r.test(t) == matches {
			dst = append(dst, r)
		}
	}
	return dst
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
	noStatus
	otherStatus
)

// test is the one match predicate: it checks source, workspace, owner,
// pipeline and status in that order and returns the first that fails.
func (r *Rule) test(t *event.Task) mismatch {
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
	}
	if c, ok := event.CanonicalStatus(t.Source, t.Status); !ok || !slices.Contains(r.Events, c) {
		if event.TrimStatus(t.Status) == "" {
			return noStatus
		}
		return otherStatus
	}
	return matches
}

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
		var got []string
		for _, v := range [...]string{t.PipelineName, t.PipelineID, t.JobName} {
			if v != "" && !slices.Contains(got, v) {
				got = append(got, v)
			}
		}
		return fmt.Sprintf("pipeline %s is not in %v", quoteAll(got), r.Pipelines)
	case noStatus:
		return fmt.Sprintf("event has no status, rule wants %v", r.Events)
	case otherStatus:
		return fmt.Sprintf("status %q is not in %v", t.Status, r.Events)
	}
	return "unknown mismatch"
}

// quoteAll writes "a" / "b" for the names an event gives a pipeline.
func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " / ")
}
