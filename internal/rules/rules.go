// Package rules reads the notification rules document (which events go to
// which group's robot, on which chat service), validates all of it at once, and answers, for each
// task event, which rules match and why the others do not.
package rules

import (
	"maps"
	"slices"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/rate"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Scope says whose tasks a rule covers, as in PAI's own notification rules.
type Scope string

// The scopes.
const (
	ScopeMine      Scope = "mine"      // tasks created by Owner
	ScopeWorkspace Scope = "workspace" // every task (of WorkspaceID, when set)
	ScopePipelines Scope = "pipelines" // runs of the named PAIFlow pipelines
	ScopeModels    Scope = "models"    // versions of the named models
)

// EnvTimezone names the time zone of every rule without its own timezone:.
const EnvTimezone = "NOTIFY_TIMEZONE"

// Languages and formats a rule may ask for.
const (
	LangZh           = "zh"
	LangEn           = "en"
	FormatMarkdown   = "markdown"
	FormatActionCard = "actionCard"
	TargetDingTalk   = "dingtalk"
)

// Rule is one validated rule: which events (source, scope, statuses) go to
// which target, and how the message reads. Treat it as read-only.
type Rule struct {
	Name        string
	Source      event.Source // "" = every source (the env default rule)
	Scope       Scope
	WorkspaceID string         // "" = any workspace
	Owner       string         // creator UID, for ScopeMine
	Pipelines   []string       // pipeline ids or names, for ScopePipelines
	Models      []string       // model ids or names, for ScopeModels
	Events      []string       // what it fires on, canonical: kind names (failed, preempted ...) and raw statuses (FailedReserving)
	Lang        string         // "zh" (default) | "en"
	Format      string         // "markdown" (default) | "actionCard"
	Location    *time.Location // times in messages: timezone:, else NOTIFY_TIMEZONE, else Asia/Shanghai
	AtOwner     bool           // also mention the job's creator, when mentions: maps them
	Target      Target

	kinds    event.KindSet                 // the kinds among Events
	statuses []string                      // the raw statuses among Events
	mentions map[string]map[string]Mention // mentions: user -> channel -> whom
}

// Mention is whom to mention for one PAI user in a DingTalk message.
type Mention struct {
	AtMobiles []string
	AtUserIDs []string
}

// Mentions returns whom a message about t mentions: the target's
// atMobiles and atUserIds and, with atOwner, those mentions: maps the job's
// creator to (by user id, else by name). A creator without a mapping adds
// nobody: never @all.
func (r *Rule) Mentions(t *event.Task) (mobiles, userIDs []string) {
	mobiles, userIDs = r.Target.AtMobiles, r.Target.AtUserIDs
	if !r.AtOwner || t == nil {
		return mobiles, userIDs
	}
	typ := r.Target.Type
	if typ == "" {
		typ = TargetDingTalk
	}
	m, ok := r.mentions[t.CreatorID][typ]
	if !ok || t.CreatorID == "" {
		m, ok = r.mentions[t.CreatorName][typ]
	}
	if !ok || (t.CreatorID == "" && t.CreatorName == "") {
		return mobiles, userIDs
	}
	add := func(dst, more []string) []string {
		for _, v := range more {
			if !slices.Contains(dst, v) {
				dst = append(dst, v)
			}
		}
		return dst
	}
	return add(slices.Clone(mobiles), m.AtMobiles), add(slices.Clone(userIDs), m.AtUserIDs)
}

// Target is a group's robot or bot on one chat service, or a generic
// webhook.
type Target struct {
	Type      string        // a registered service: dingtalk (the default), wecom, lark, slack or webhook
	Webhook   secret.String // the full webhook URL; it carries the credential
	Secret    secret.String // signing secret (DingTalk SEC..., Lark, whsec_...); may be empty
	Keyword   string        // robot keyword, put into every message when set
	AtMobiles []string
	AtUserIDs []string
	AtAll     bool
	// Rate overrides the service's default budget windows
	// (target.rateLimit); nil keeps the default.
	Rate []rate.Rate
}

// Verdict is whether one rule matches a task, and if not, the first reason.
type Verdict struct {
	Rule    string `json:"rule"`
	Matched bool   `json:"matched"`
	Reason  string `json:"reason,omitempty"` // first failing check, worded for a human; "" when matched
}

// Set is a validated, indexed rules document. It is immutable and safe for
// concurrent use.
type Set struct {
	rules    []*Rule
	byName   map[string]*Rule
	fields   map[event.Source]map[string]string
	kinds    []event.KindRule
	alarm    *Rule // unreadableAlarm:
	warnings []string
	index    map[indexKey][]int32
}

// Parse reads a rules document, JSON or YAML, expanding ${VAR} and
// ${VAR:-default} in every value with getenv (nil means an empty
// environment). The error, when not nil, is an *Error listing every problem.
func Parse(doc []byte, getenv func(string) string) (*Set, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	ps := &problems{}
	raw := read(doc, getenv, ps)
	if raw == nil {
		return nil, ps.err()
	}
	s := build(raw, ps, zoneFromEnv(getenv, ps))
	if err := ps.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// newSet indexes validated rules.
func newSet(rules []*Rule, fields map[event.Source]map[string]string, warnings []string) *Set {
	s := &Set{rules: rules, byName: make(map[string]*Rule, len(rules)), fields: fields, warnings: warnings}
	for _, r := range rules {
		s.byName[r.Name] = r
		r.kinds, r.statuses = 0, nil
		for _, e := range r.Events {
			if k, ok := event.ParseKind(e); ok {
				r.kinds |= event.KindSet(0).With(k)
			} else {
				r.statuses = append(r.statuses, e)
			}
		}
	}
	s.index = buildIndex(rules)
	return s
}

// Rules returns the rules in document order.
func (s *Set) Rules() []*Rule { return slices.Clone(s.rules) }

// Rule returns the rule with that name, or nil.
func (s *Set) Rule(name string) *Rule { return s.byName[name] }

// Fields returns the document's `fields:` overrides (source -> field name ->
// gjson path) for event.NewParser; nil when there are none.
func (s *Set) Fields() map[event.Source]map[string]string {
	if len(s.fields) == 0 {
		return nil
	}
	out := make(map[event.Source]map[string]string, len(s.fields))
	for k, v := range s.fields {
		out[k] = maps.Clone(v)
	}
	return out
}

// UnreadableAlarm returns the rule named by the document's unreadableAlarm:
// setting, whose target hears (at most hourly) that PAI events arrive in a
// shape the notifier cannot read; nil when the document opts out.
func (s *Set) UnreadableAlarm() *Rule { return s.alarm }

// Kinds returns the document's `kinds:` entries for event.NewParser.
func (s *Set) Kinds() []event.KindRule { return slices.Clone(s.kinds) }

// Warnings returns doubts about a valid document (a signing secret that does
// not look like DingTalk's, say), worth logging once at start-up.
func (s *Set) Warnings() []string { return slices.Clone(s.warnings) }
