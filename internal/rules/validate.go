package rules

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/rate"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// build validates a read document into a Set, recording every problem.
// zone is the time zone of rules that name none (NOTIFY_TIMEZONE or the
// default).
func build(raw *rawDoc, ps *problems, zone *time.Location) *Set {
	var warnings []string
	fields := buildFields(raw, ps)
	kinds := buildKinds(raw, ps)
	defined := map[event.Kind]bool{}
	for _, k := range kinds {
		defined[k.Kind] = true
	}
	if len(raw.rules) == 0 && !raw.rulesBad {
		if raw.rulesSeen {
			ps.add(0, "", "rules: the list is empty; add at least one rule")
		} else {
			ps.add(0, "", "the document has no rules: add a rules: list")
		}
	}
	rules := make([]*Rule, 0, len(raw.rules))
	firstUse := map[string]int{}
	for i, rr := range raw.rules {
		if rr.bad {
			continue
		}
		v := &validator{ps: ps, where: rr.where, defined: defined, zone: zone}
		r := v.rule(rr)
		if r.Name != "" {
			if j, dup := firstUse[r.Name]; dup {
				ps.add(0, rr.where, "name %q is already used by rules[%d]", r.Name, j)
			} else {
				firstUse[r.Name] = i
			}
		}
		warnings = append(warnings, v.warnings...)
		rules = append(rules, r)
	}
	mentions := buildMentions(raw, ps)
	for _, r := range rules {
		r.mentions = mentions
		if r.AtOwner && len(mentions) == 0 {
			warnings = append(warnings, fmt.Sprintf("rule %q: atOwner is set but the document has no mentions: section, so nobody is mentioned", r.Name))
		}
	}
	s := newSet(rules, fields, warnings)
	s.kinds = kinds
	v := &validator{ps: ps}
	if name, ok := v.str(raw.alarm, "unreadableAlarm"); ok && raw.alarm != nil {
		if s.alarm = s.Rule(name); s.alarm == nil {
			names := make([]string, len(rules))
			for i, r := range rules {
				names[i] = r.Name
			}
			ps.add(raw.alarm.line, "", "unreadableAlarm: no rule is named %q (want one of: %s)", name, strings.Join(names, ", "))
		}
	}
	return s
}

// buildMentions checks the mentions: section: user -> channel -> whom.
func buildMentions(raw *rawDoc, ps *problems) map[string]map[string]Mention {
	out := map[string]map[string]Mention{}
	for _, rm := range raw.mentions {
		v := &validator{ps: ps}
		field := "mentions." + rm.user
		if strings.TrimSpace(rm.user) == "" {
			ps.add(rm.line, "", "mentions: empty user id or name")
			continue
		}
		byChannel := map[string]Mention{}
		for _, at := range rm.ats {
			f := field + "." + at.channel
			m := Mention{AtMobiles: v.strings(at.atMobiles, f+".atMobiles"), AtUserIDs: v.strings(at.atUserIDs, f+".atUserIds")}
			if spec, ok := channels.Lookup(at.channel); ok && len(m.AtMobiles) > 0 && !spec.Mentions.Mobiles {
				ps.add(rm.line, "", "%s.atMobiles: %s cannot mention people by mobile; use atUserIds", f, spec.Name)
			}
			if spec, ok := channels.Lookup(at.channel); ok && spec.CheckMentions != nil {
				if err := spec.CheckMentions(channel.Mentions{UserIDs: m.AtUserIDs}); err != nil {
					ps.add(rm.line, "", "%s: %v", f, err)
				}
			}
			if len(m.AtMobiles) > 0 || len(m.AtUserIDs) > 0 {
				byChannel[at.channel] = m
			}
		}
		if len(byChannel) == 0 {
			ps.add(rm.line, "", "%s: nobody to mention (want e.g. dingtalk: {atMobiles: [...], atUserIds: [...]} or slack: {atUserIds: [...]})", field)
			continue
		}
		out[rm.user] = byChannel
	}
	return out
}

// buildKinds checks the kinds: section with event.CheckKindRule, the judge
// event.NewParser also uses.
func buildKinds(raw *rawDoc, ps *problems) []event.KindRule {
	var out []event.KindRule
	for _, rk := range raw.kinds {
		v := &validator{ps: ps}
		field := "kinds." + rk.name
		k := event.KindRule{Kind: event.Kind(rk.name)}
		k.Types = v.strings(rk.types, field+".types")
		k.Statuses = v.strings(rk.statuses, field+".statuses")
		k.Path, _ = v.str(rk.path, field+".path")
		if err := event.CheckKindRule(k); err != nil {
			ps.add(rk.line, "", "%s: %v", field, err)
			continue
		}
		k.Kind, _ = event.ParseKind(rk.name)
		out = append(out, k)
	}
	return out
}

// zoneFromEnv is NOTIFY_TIMEZONE's zone, or the default when it is unset.
func zoneFromEnv(getenv func(string) string, ps *problems) *time.Location {
	name := strings.TrimSpace(getenv(EnvTimezone))
	if name == "" {
		name = event.DefaultZone
	}
	loc, err := event.LoadZone(name)
	if err != nil {
		ps.add(0, "", "%s: %v", EnvTimezone, err)
		return time.UTC
	}
	return loc
}

// buildFields checks the `fields:` section with event.CheckField, the same
// judge event.NewParser uses, so every problem in it is reported here, with
// its line, together with the rest of the document's.
func buildFields(raw *rawDoc, ps *problems) map[event.Source]map[string]string {
	if len(raw.fields) == 0 {
		return nil
	}
	out := map[event.Source]map[string]string{}
	for _, src := range slices.Sorted(maps.Keys(raw.fields)) {
		s := event.Source(src)
		if err := event.CheckField(s, "", ""); err != nil {
			ps.add(raw.fieldsLine, "", "fields: %q: %v", src, err)
			continue
		}
		m := map[string]string{}
		fs := raw.fields[src]
		for _, name := range slices.Sorted(maps.Keys(fs)) {
			v := &validator{ps: ps}
			path, ok := v.str(fs[name], "fields."+src+"."+name)
			if !ok {
				continue
			}
			if err := event.CheckField(s, name, path); err != nil {
				ps.add(fs[name].line, "", "fields.%s.%s: %v", src, name, err)
				continue
			}
			m[name] = strings.TrimSpace(path)
		}
		out[s] = m
	}
	return out
}

type validator struct {
	ps       *problems
	where    string
	warnings []string
	defined  map[event.Kind]bool // kinds the document's kinds: section defines
	zone     *time.Location      // for rules without timezone:
	// envNames renames target fields in messages, for the env default rule.
	envNames map[string]string
}

func (v *validator) add(format string, args ...any) { v.ps.add(0, v.where, format, args...) }

func (v *validator) name(field string) string {
	if n, ok := v.envNames[field]; ok {
		return n
	}
	return field
}

// str returns the expanded value of s, or ok=false after reporting an unset
// variable or a malformed reference. A nil s (field absent) is "", true.
func (v *validator) str(s *scalar, field string) (string, bool) {
	if s == nil {
		return "", true
	}
	field = v.name(field)
	if s.bad != "" {
		v.ps.add(s.line, v.where, "%s: %s", field, s.bad)
		return "", false
	}
	if len(s.unset) > 0 {
		refs := make([]string, len(s.unset))
		for i, n := range s.unset {
			refs[i] = "${" + n + "}"
		}
		verb := "is"
		if len(refs) > 1 {
			verb = "are"
		}
		v.add("%s: %s %s not set", field, strings.Join(refs, ", "), verb)
		return "", false
	}
	return s.val, true
}

// enum matches s case-insensitively against choices, returning the canonical
// spelling, def when s is absent or empty, or ok=false after reporting.
func (v *validator) enum(s *scalar, field, what, def string, choices ...string) (string, bool) {
	val, ok := v.str(s, field)
	if !ok {
		return "", false
	}
	if val == "" {
		return def, true
	}
	for _, c := range choices {
		if strings.EqualFold(c, val) {
			return c, true
		}
	}
	v.add("%s: unknown %s %s (want %s)", field, what, show(s), orList(choices))
	return "", false
}

// sourceList is "dlc, paiflow ... or sagemaker": every source, for messages.
func sourceList() string { return orList(sourceNames()) }

func sourceNames() []string {
	names := make([]string, len(event.Sources))
	for i, s := range event.Sources {
		names[i] = string(s)
	}
	return names
}

func orList(choices []string) string {
	if len(choices) == 1 {
		return choices[0]
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

func (v *validator) rule(rr *rawRule) *Rule {
	r := &Rule{}
	r.Name, _ = v.str(rr.name, "name")
	if rr.name == nil || (r.Name == "" && len(rr.name.unset) == 0 && rr.name.bad == "") {
		v.add("name is required")
	}

	srcOK := false
	if rr.source == nil || (rr.source.val == "" && len(rr.source.unset) == 0) {
		v.add("source is required (want %s)", sourceList())
	} else if src, ok := v.enum(rr.source, "source", "source", "", sourceNames()...); ok {
		r.Source, srcOK = event.Source(src), true
	}

	scopeOK := false
	if sc, ok := v.enum(rr.scope, "scope", "scope", string(ScopeWorkspace), string(ScopeMine), string(ScopeWorkspace), string(ScopePipelines), string(ScopeModels)); ok {
		r.Scope, scopeOK = Scope(sc), true
	}

	r.WorkspaceID, _ = v.str(rr.workspace, "workspaceId")
	owner, ownerOK := v.str(rr.owner, "owner")
	r.Owner = owner
	if scopeOK {
		switch {
		case r.Scope == ScopeMine && owner == "" && ownerOK:
			v.add("scope mine needs owner (the creator's UID)")
		case r.Scope != ScopeMine && rr.owner != nil:
			v.add("owner is only for scope mine")
		}
	}

	r.Pipelines = v.names(rr.pipelines, "pipelines")
	if scopeOK {
		switch {
		case r.Scope == ScopePipelines && !rr.hasPipes:
			v.add("scope pipelines needs pipelines (pipeline ids or names)")
		case r.Scope == ScopePipelines && len(rr.pipelines) == 0:
			v.add("pipelines: empty list; scope pipelines needs pipeline ids or names")
		case r.Scope != ScopePipelines && rr.hasPipes:
			v.add("pipelines is only for scope pipelines")
		}
		if r.Scope == ScopePipelines && srcOK && r.Source != event.PAIFlow {
			v.add("scope pipelines needs source paiflow")
		}
	}

	r.Models = v.names(rr.models, "models")
	if scopeOK {
		switch {
		case r.Scope == ScopeModels && !rr.hasModels:
			v.add("scope models needs models (model ids or names)")
		case r.Scope == ScopeModels && len(rr.models) == 0:
			v.add("models: empty list; scope models needs model ids or names")
		case r.Scope != ScopeModels && rr.hasModels:
			v.add("models is only for scope models")
		}
		if r.Scope == ScopeModels && srcOK && r.Source != event.Model {
			v.add("scope models needs source model")
		}
	}

	r.Location = v.zone
	if name, ok := v.str(rr.timezone, "timezone"); ok && strings.TrimSpace(name) != "" {
		if loc, err := event.LoadZone(strings.TrimSpace(name)); err != nil {
			v.add("timezone: %v", err)
		} else {
			r.Location = loc
		}
	}

	if srcOK || rr.source == nil {
		r.Events = v.events(rr, r.Source)
	} else {
		// The source is wrong; still check the statuses against every source
		// so that all problems come out in one round.
		v.events(rr, "")
	}

	if owner, ok := v.str(rr.atOwner, "atOwner"); ok && rr.atOwner != nil {
		switch strings.ToLower(owner) {
		case "true":
			r.AtOwner = true
		case "false", "":
		default:
			v.add("atOwner: want true or false")
		}
	}

	r.Lang, _ = v.enum(rr.lang, "lang", "language", LangZh, LangZh, LangEn)
	r.Format, _ = v.enum(rr.format, "format", "format", FormatMarkdown, FormatMarkdown, FormatActionCard)

	if rr.target == nil {
		v.add("target is required (target.type, target.webhook and, when the target signs, target.secret)")
	} else if !rr.target.bad {
		r.Target = v.target(rr.target)
		if r.Format == FormatActionCard && r.Target.Type != "" && r.Target.Type != TargetDingTalk {
			v.warn("format actionCard is DingTalk's; %s messages use that channel's own format", r.Target.Type)
		}
	}
	return r
}

// names reads a list of pipeline or model ids or names, dropping repeats.
func (v *validator) names(list []*scalar, field string) []string {
	var out []string
	for i, p := range list {
		if val, ok := v.str(p, fmt.Sprintf("%s[%d]", field, i)); ok {
			if val == "" {
				v.add("%s[%d]: empty", field, i)
				continue
			}
			if !slices.Contains(out, val) {
				out = append(out, val)
			}
		}
	}
	return out
}

// kindNames is "failed, ended, succeeded ..." for messages.
func kindNames() string {
	names := make([]string, 0, len(event.Kinds))
	for _, k := range []event.Kind{event.KindFailed, event.KindEnded, event.KindSucceeded, event.KindStopped,
		event.KindQueued, event.KindBidding, event.KindPreparing, event.KindRunning, event.KindRetained,
		event.KindFaultTolerance, event.KindTimeout, event.KindPreempted} {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// events canonicalises the events field: named kinds (failed, ended,
// preempted ...) and raw statuses of the rule's source. A kind must be able
// to happen to the source: it has statuses of that kind, is told by words,
// or the document's kinds: section defines it. Without events a rule fires
// on failed, or for model versions (which do not fail) on ended.
func (v *validator) events(rr *rawRule, src event.Source) []string {
	if !rr.eventsSet {
		if src == event.Model {
			return []string{string(event.KindEnded)}
		}
		return []string{string(event.KindFailed)}
	}
	if len(rr.events) == 0 {
		v.add("events: empty list (want kinds such as failed or ended, or statuses)")
		return nil
	}
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for i, s := range rr.events {
		field := "events"
		if len(rr.events) > 1 {
			field = fmt.Sprintf("events[%d]", i)
		}
		val, ok := v.str(s, field)
		if !ok {
			continue
		}
		if event.TrimStatus(val) == "" {
			v.add("%s: empty (want a kind such as failed or ended, or a status)", field)
			continue
		}
		if k, ok := event.ParseKind(val); ok {
			if src != "" && len(event.KindStatuses(k, src)) == 0 && !k.ByWords() && !v.defined[k] {
				v.add("%s: %s never happens to %s (it has no such status; define it under kinds:, or name statuses: %s)",
					field, k, src, strings.Join(event.Statuses(src), ", "))
				continue
			}
			add(string(k))
			continue
		}
		c, known := event.CanonicalStatus(src, val)
		if !known {
			if src == "" {
				v.add("%s: unknown kind or status %s (kinds: %s; or a status of %s)", field, show(s), kindNames(), sourceList())
			} else {
				hint := suggest(val, event.Statuses(src))
				if c, ok := event.CanonicalStatus("", val); ok {
					hint = fmt.Sprintf(" (%s is a status of another source)", c)
				}
				v.add("%s: unknown kind or status %s for %s%s (kinds: %s; statuses: %s)", field, show(s), src,
					hint, kindNames(), strings.Join(event.Statuses(src), ", "))
			}
			continue
		}
		add(c)
	}
	return out
}

func (v *validator) target(rt *rawTarget) Target {
	var t Target
	hook, hookOK := "", false
	webhookField := v.name("target.webhook")
	if rt.webhook == nil || (rt.webhook.val == "" && len(rt.webhook.unset) == 0 && rt.webhook.bad == "") {
		v.add("%s is required (the webhook URL of the group's robot or bot, e.g. https://oapi.dingtalk.com/robot/send?access_token=...)", webhookField)
	} else {
		hook, hookOK = v.str(rt.webhook, "target.webhook")
	}
	// An absent type is DingTalk's, as before channels, unless the webhook
	// names another service's official host.
	def := channels.Default
	if hookOK {
		def = cmp.Or(channels.Infer(hook), def)
	}
	t.Type, _ = v.enum(rt.typ, v.name("target.type"), "type", def, channels.Names()...)
	spec, known := channels.Lookup(t.Type)
	if hookOK {
		if msg := checkWebhook(t.Type, hook, v.ps); msg != "" {
			v.add("%s: %s", webhookField, msg)
		} else {
			t.Webhook = secret.String(hook)
			if u, _ := channel.HTTPURL(hook); known && !spec.Official(hook) && u != nil && !loopback(u.Hostname()) {
				v.warn("%s is not %s's official host (%s); fine for a relay, a proxy or a test server, otherwise check the URL", webhookField, spec.Name, strings.Join(spec.Hosts, ", "))
			}
		}
	}

	if sec, ok := v.str(rt.secret, "target.secret"); ok && sec != "" {
		v.ps.secret(sec)
		t.Secret = secret.String(sec)
		switch {
		case !known:
		case spec.Secret == channels.SecretUnused:
			v.warn("%s is set but %s does not sign its webhooks (the URL is the credential); it is ignored", v.name("target.secret"), spec.Name)
		case spec.Name == TargetDingTalk && !strings.HasPrefix(sec, "SEC"):
			v.warn("%s does not start with SEC; DingTalk signing secrets do, so check it was copied whole", v.name("target.secret"))
		case spec.Name == webhook.Name:
			if _, err := webhook.ParseSecret(sec); err != nil {
				v.add("%s: not a Standard Webhooks secret (whsec_ followed by base64); copy it whole from the receiver", v.name("target.secret"))
			}
		}
	}
	t.Keyword, _ = v.str(rt.keyword, "target.keyword")
	t.AtMobiles = v.strings(rt.atMobiles, "target.atMobiles")
	t.AtUserIDs = v.strings(rt.atUserIDs, "target.atUserIds")
	if all, ok := v.str(rt.atAll, "target.atAll"); ok && rt.atAll != nil {
		switch strings.ToLower(all) {
		case "true":
			t.AtAll = true
		case "false", "":
		default:
			v.add("target.atAll: want true or false")
		}
	}
	if known {
		cannot := func(field string) {
			v.add("%s: %s cannot mention people this way, so nobody would be notified; remove it (docs/CHANNELS.md lists the mentions each channel supports)", field, spec.Name)
		}
		if len(t.AtMobiles) > 0 && !spec.Mentions.Mobiles {
			cannot("target.atMobiles")
		}
		if len(t.AtUserIDs) > 0 && !spec.Mentions.UserIDs {
			cannot("target.atUserIds")
		}
		if t.AtAll && !spec.Mentions.All {
			cannot("target.atAll")
		}
		if spec.CheckMentions != nil {
			if err := spec.CheckMentions(channel.Mentions{UserIDs: t.AtUserIDs}); err != nil {
				v.add("target: %v", err)
			}
		}
	}
	if lim, ok := v.str(rt.rateLimit, "target.rateLimit"); ok && lim != "" {
		r, err := rate.Parse(lim)
		if err != nil {
			v.add("%s: %v", v.name("target.rateLimit"), err)
		} else {
			t.Rate = []rate.Rate{r}
		}
	}
	return t
}

// warn records a warning, placed like a problem.
func (v *validator) warn(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if v.where != "" {
		w = v.where + ": " + w
	}
	v.warnings = append(v.warnings, w)
}

func (v *validator) strings(list []*scalar, field string) []string {
	var out []string
	for i, s := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		if val, ok := v.str(s, f); ok {
			if val == "" {
				v.add("%s: empty", f)
				continue
			}
			out = append(out, val)
		}
	}
	return out
}

// checkWebhook returns what is wrong with a webhook URL, never quoting it, and registers its
// credential as a secret so that no problem message can carry it. DingTalk's check is the
// channel's (dingtalk.ParseWebhook), the same one the connectivity function applies; every other
// service's webhook must be an https URL (http only for loopback test servers) without a user
// name, and all of it counts as secret: keys, tokens and secret paths live anywhere in it.
func checkWebhook(typ, hook string, ps *problems) string {
	if typ == TargetDingTalk {
		w, err := dingtalk.ParseWebhook(hook)
		ps.secret(w.Token)
		if err != nil {
			return err.Error()
		}
		return ""
	}
	ps.secret(hook)
	u, ok := channel.HTTPURL(hook)
	switch {
	case strings.TrimSpace(hook) != hook:
		return "has spaces around it; remove them"
	case !ok:
		return "not an http(s) URL with a host; paste the whole webhook URL"
	case u.User != nil:
		return "has a user name or password before the host (user@host); paste the webhook URL as the service shows it"
	case u.Scheme == "http" && !loopback(u.Hostname()):
		return "must use https (http is allowed only for 127.0.0.1, ::1 and localhost)"
	}
	if p := strings.Trim(u.EscapedPath(), "/"); p != "" {
		ps.secret(p)
	}
	if u.RawQuery != "" {
		ps.secret(u.RawQuery)
		for _, vs := range u.Query() {
			for _, v := range vs {
				if len(v) >= 8 {
					ps.secret(v)
				}
			}
		}
	}
	return ""
}

// loopback reports whether host (no port) names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
