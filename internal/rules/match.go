package rules

import (
	"fmt"
	"slices"

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
// allocate when dst has room.
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
		if r := s.rules[i]; r.scopeMatches(t) {
			dst = append(dst, r)
		}
	}
	return dst
}

func (r *Rule) scopeMatches(t *event.Task) bool {
	switch r.Scope {
	case ScopeMine:
		return t.CreatorID == r.Owner
	case ScopePipelines:
		return r.hasPipeline(t)
	}
	return true
}

func (r *Rule) hasPipeline(t *event.Task) bool {
	return (t.PipelineID != "" && slices.Contains(r.Pipelines, t.PipelineID)) ||
		(t.PipelineName != "" && slices.Contains(r.Pipelines, t.PipelineName))
}

// Explain returns every rule's verdict on t, in document order.
func (s *Set) Explain(t *event.Task) []Verdict {
	out := make([]Verdict, len(s.rules))
	for i, r := range s.rules {
		reason := r.why(t)
		out[i] = Verdict{Rule: r.Name, Matched: reason == "", Reason: reason}
	}
	return out
}

// why returns the first reason r does not match t, checking source,
// workspace, owner, pipeline and status in that order; "" when it matches.
// Match must agree with it (a test holds them to that).
func (r *Rule) why(t *event.Task) string {
	if t == nil {
		return "no event"
	}
	switch {
	case t.Source == "" && r.Source != "":
		return fmt.Sprintf("event has no source, rule wants %s", r.Source)
	case !t.Source.Valid():
		return fmt.Sprintf("source %q is not dlc or paiflow", string(t.Source))
	case r.Source != "" && r.Source != t.Source:
		return fmt.Sprintf("source %s, rule wants %s", t.Source, r.Source)
	}
	if r.WorkspaceID != "" && t.WorkspaceID != r.WorkspaceID {
		if t.WorkspaceID == "" {
			return fmt.Sprintf("event has no workspace, rule wants %s", r.WorkspaceID)
		}
		return fmt.Sprintf("workspace %s is not %s", t.WorkspaceID, r.WorkspaceID)
	}
	if r.Scope == ScopeMine && t.CreatorID != r.Owner {
		if t.CreatorID == "" {
			return "event has no creator, rule wants the owner's tasks"
		}
		return fmt.Sprintf("creator %s is not the owner", t.CreatorID)
	}
	if r.Scope == ScopePipelines && !r.hasPipeline(t) {
		switch {
		case t.PipelineID == "" && t.PipelineName == "":
			return fmt.Sprintf("event has no pipeline, rule wants %v", r.Pipelines)
		case t.PipelineName == "":
			return fmt.Sprintf("pipeline %q is not in %v", t.PipelineID, r.Pipelines)
		case t.PipelineID == "":
			return fmt.Sprintf("pipeline %q is not in %v", t.PipelineName, r.Pipelines)
		default:
			return fmt.Sprintf("pipeline %q (%s) is not in %v", t.PipelineName, t.PipelineID, r.Pipelines)
		}
	}
	if c, ok := event.CanonicalStatus(t.Source, t.Status); !ok || !slices.Contains(r.Events, c) {
		if t.Status == "" {
			return fmt.Sprintf("event has no status, rule wants %v", r.Events)
		}
		return fmt.Sprintf("status %s is not in %v", t.Status, r.Events)
	}
	return ""
}
