package event

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
	"github.com/tidwall/match"
)

// Kind is what happened, in the words of PAI's notification rules: a job
// entered the queue, started running, failed, was preempted ... A rule's
// `events:` names kinds (or raw statuses); a Task carries every kind it is.
type Kind string

// The kinds. Those up to retained follow from the status alone (see
// kindStatuses); faultTolerance, timeout and preempted are events PAI
// offers (https://www.alibabacloud.com/help/en/pai/configure-notification-on-job-status-changes)
// without publishing how it marks them, so they are recognised from words in
// the event type, status or reason, and a rules document's `kinds:` section
// can say exactly (KindRule).
const (
	KindFailed         Kind = "failed"
	KindEnded          Kind = "ended"
	KindSucceeded      Kind = "succeeded"
	KindStopped        Kind = "stopped"
	KindQueued         Kind = "queued"
	KindBidding        Kind = "bidding"
	KindPreparing      Kind = "preparing"
	KindRunning        Kind = "running"
	KindRetained       Kind = "retained"
	KindFaultTolerance Kind = "faultTolerance"
	KindTimeout        Kind = "timeout"
	KindPreempted      Kind = "preempted"
)

// Kinds lists every kind, the most specific first: a Task's main kind (the
// one its message names) is the first of these it is.
var Kinds = []Kind{
	KindFaultTolerance, KindPreempted, KindTimeout, KindRetained, KindQueued, KindBidding,
	KindPreparing, KindRunning, KindSucceeded, KindFailed, KindStopped, KindEnded,
}

// KindSet is a set of kinds.
type KindSet uint16

func kindBit(k Kind) KindSet {
	if i := slices.Index(Kinds, k); i >= 0 {
		return 1 << i
	}
	return 0
}

// With returns the set with k added.
func (s KindSet) With(k Kind) KindSet { return s | kindBit(k) }

// StatusKinds returns the kinds a status of source s is by itself (failed,
// ended, queued ...); a Task's Kinds also holds those told by words or by a
// document's kinds: entries.
func StatusKinds(s Source, status string) KindSet { return statusKinds[s][status] }

// statusKinds is kindStatuses turned around, for a lookup per event.
var statusKinds = func() map[Source]map[string]KindSet {
	m := map[Source]map[string]KindSet{}
	for k, bySource := range kindStatuses {
		for src, sts := range bySource {
			if m[src] == nil {
				m[src] = map[string]KindSet{}
			}
			for _, st := range sts {
				m[src][st] |= kindBit(k)
			}
		}
	}
	return m
}()

// Has reports whether k is in the set.
func (s KindSet) Has(k Kind) bool { return s&kindBit(k) != 0 }

// Main is the most specific kind in the set, "" when empty.
func (s KindSet) Main() Kind {
	for i, k := range Kinds {
		if s&(1<<i) != 0 {
			return k
		}
	}
	return ""
}

// All yields the kinds in the set, most specific first, without allocating.
func (s KindSet) All() iter.Seq[Kind] {
	return func(yield func(Kind) bool) {
		for i, k := range Kinds {
			if s&(1<<i) != 0 && !yield(k) {
				return
			}
		}
	}
}

// List returns the kinds in the set, most specific first.
func (s KindSet) List() []Kind {
	var out []Kind
	for i, k := range Kinds {
		if s&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	return out
}

// String lists the kinds, most specific first: "failed,ended".
func (s KindSet) String() string {
	names := make([]string, 0, 4)
	for _, k := range s.List() {
		names = append(names, string(k))
	}
	return strings.Join(names, ",")
}

// ParseKind returns the kind named s, matched case-insensitively.
func ParseKind(s string) (Kind, bool) {
	s = strings.TrimSpace(s)
	for _, k := range Kinds {
		if strings.EqualFold(string(k), s) {
			return k, true
		}
	}
	return "", false
}

// kindStatuses maps the status-borne kinds to each source's statuses. The
// DLC column is the table of PAI's job-progress events: Enters Queue =
// Queuing, Start Bidding = Bidding, Starts Environment Preparation =
// EnvPreparing, Starts Running = Running, Retained on Success / Failure =
// SucceededReserving / FailedReserving.
var kindStatuses = map[Kind]map[Source][]string{
	KindFailed: {DLC: {"Failed"}, PAIFlow: {"Failed"}, DSW: {"Failed", "SaveFailed"}, SageMaker: {"Failed"}},
	KindEnded: {DLC: {"Succeeded", "Failed", "Stopped"}, PAIFlow: {"Succeeded", "Failed", "Terminated"},
		DSW: {"Stopped", "Failed"}, Model: {"Approved", "Rejected"}, SageMaker: {"Succeeded", "Failed", "Stopped"}},
	KindSucceeded: {DLC: {"Succeeded"}, PAIFlow: {"Succeeded"}, SageMaker: {"Succeeded"}},
	KindStopped:   {DLC: {"Stopped"}, PAIFlow: {"Terminated"}, DSW: {"Stopped"}, SageMaker: {"Stopped"}},
	KindQueued:    {DLC: {"Queuing"}, DSW: {"Queuing"}},
	KindBidding:   {DLC: {"Bidding"}},
	KindPreparing: {DLC: {"EnvPreparing"}, DSW: {"ResourceAllocating", "EnvPreparing"}},
	KindRunning:   {DLC: {"Running"}, PAIFlow: {"Running"}, DSW: {"Running"}, SageMaker: {"Running"}},
	KindRetained:  {DLC: {"SucceededReserving", "FailedReserving"}},
}

// kindWords are the words that mark the kinds PAI does not tell by status,
// looked for (case-insensitively) in the event type, status and reason.
var kindWords = map[Kind][]string{
	KindFaultTolerance: {"faulttolerance", "fault tolerance", "fault-tolerance", "faulttolerant", "容错"},
	KindTimeout:        {"timeout", "timed out", "超时"},
	KindPreempted:      {"preempt", "抢占"},
}

// KindStatuses returns the statuses of source s that are kind k; none for
// the kinds told by words.
func KindStatuses(k Kind, s Source) []string { return kindStatuses[k][s] }

// ByWords reports whether k is recognised from words in the event rather
// than from its status.
func (k Kind) ByWords() bool { return kindWords[k] != nil }

// KindRule is a rules document's `kinds:` entry: an event is of Kind when
// its type matches one of Types (exactly or as a * pattern, ignoring case),
// its status is one of Statuses (ignoring case), or Path finds a value in
// it other than null, false, 0 or "".
type KindRule struct {
	Kind     Kind
	Types    []string
	Statuses []string
	Path     string
}

// CheckKindRule is the one judge of a `kinds:` entry, for the rules
// document's validation and for NewParser.
func CheckKindRule(k KindRule) error {
	if _, ok := ParseKind(string(k.Kind)); !ok {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = string(k)
		}
		return fmt.Errorf("unknown kind %q (known: %s)", k.Kind, strings.Join(names, ", "))
	}
	if len(k.Types) == 0 && len(k.Statuses) == 0 && strings.TrimSpace(k.Path) == "" {
		return errors.New("give types, statuses or a path")
	}
	for _, t := range k.Types {
		if strings.TrimSpace(t) == "" {
			return errors.New("types: empty type")
		}
	}
	for _, s := range k.Statuses {
		if TrimStatus(s) == "" {
			return errors.New("statuses: empty status")
		}
	}
	return nil
}

// kindsOf works out every kind a task is: from its status, from the words
// in its type, status and reason, and from the document's kind rules.
func (p *Parser) kindsOf(t *Task, v gjson.Result) KindSet {
	set := StatusKinds(t.Source, t.Status)
	for k, words := range kindWords {
		for _, text := range [...]string{t.EventType, t.Status, t.ReasonCode, t.ReasonMessage} {
			if containsAnyFold(text, words) {
				set |= kindBit(k)
				break
			}
		}
	}
	for _, kr := range p.kinds {
		if kr.matches(t, v) {
			set |= kindBit(kr.Kind)
		}
	}
	return set
}

func (k KindRule) matches(t *Task, v gjson.Result) bool {
	typ := strings.ToLower(t.EventType)
	for _, pat := range k.Types {
		if match.Match(typ, strings.ToLower(strings.TrimSpace(pat))) {
			return true
		}
	}
	for _, s := range k.Statuses {
		if strings.EqualFold(TrimStatus(s), t.Status) {
			return true
		}
	}
	if k.Path != "" {
		r := gjson.Get(v.Raw, k.Path)
		switch r.Type {
		case gjson.String:
			return TrimStatus(r.Str) != ""
		case gjson.Number:
			return r.Num != 0
		case gjson.True:
			return true
		case gjson.JSON:
			return r.Raw != "{}" && r.Raw != "[]"
		}
	}
	return false
}

// containsAnyFold reports whether s contains one of the lower-case words,
// ignoring ASCII case (the Chinese words have none), without allocating.
func containsAnyFold(s string, words []string) bool {
	for _, w := range words {
		if containsFold(s, w) {
			return true
		}
	}
	return false
}
