// Package message decides what a PAI task event says: the title, the
// "label: value" facts, the console link and the mentions, in Chinese (as
// PAI writes it) or English, as a channel-neutral channel.Message. It also
// folds many events into digests (messages with Items) and is the one owner
// of fitting a message under a channel's size limit (Fit), measured with the
// channel's own Body. Each channel turns the message into its markup; this
// package writes none and sends nothing.
package message

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// Options are the per-target choices a rule makes about its messages.
type Options struct {
	Lang    string // "zh" (default) or "en"
	Format  string // a channel's presentation, e.g. "actionCard" for DingTalk; "" for the default
	Keyword string // the robot's security keyword; every channel puts it into every message

	// Location is the zone times are told in (the rule's timezone:);
	// Asia/Shanghai when nil. The offset is always written.
	Location *time.Location

	// Mentions: the people the message must really notify.
	AtMobiles, AtUserIDs []string
	AtAll                bool
}

// Caps on single fields, in runes. Names and ids this long are already
// useless to a reader, and the caps keep the fixed part of a message far
// below every channel's limit, so only the free-text fields (reason, event
// message) ever need cutting to fit.
const (
	maxTitleName = 64  // the name in a title: the chat list shows little more
	maxField     = 256 // any single-line field other than the free texts
)

// capBytes cuts s to at most n bytes on a rune boundary. Text longer than a
// whole body can never be shown whole, so the free texts are cut to this
// before any work is done on them; Fit then cuts the exact excess.
func capBytes(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	return channel.Cut(s, n), true
}

// Render returns the message for one task event. The message always fits
// ch (see Fit): when a field is too long the reason is cut first, then the
// longest remaining field, on a UTF-8 boundary, marked …(已截断). A nil task
// renders as an empty one rather than panicking.
func Render(ch channel.Channel, t *event.Task, o Options) channel.Message {
	if t == nil {
		t = &event.Task{}
	}
	l := pickLang(o)
	m := base(o)
	m.Title = title(t, l)
	m.Tone = tone(t.Status)
	if u := strings.TrimSpace(t.ConsoleURL); u != "" {
		m.LinkText, m.LinkURL = l.console, u
	}
	m.Tasks = []channel.Task{TaskData(t)}
	m.Fields = taskFields(t, l, ch.MaxBodyBytes())
	return Fit(ch, m, o)
}

// base is what every message of a rule carries: keyword, mentions, format.
func base(o Options) channel.Message {
	return channel.Message{
		Keyword:  strings.TrimSpace(o.Keyword),
		Format:   o.Format,
		Mentions: mentions(&o),
	}
}

// TaskData is t as plain data, for channels whose receivers are programs.
func TaskData(t *event.Task) channel.Task {
	return channel.Task{
		EventID: t.EventID, EventTime: t.EventTime, Source: string(t.Source),
		JobID: t.JobID, JobName: t.JobName, JobType: t.JobType, Status: t.Status,
		WorkspaceID: t.WorkspaceID, WorkspaceName: t.WorkspaceName, Region: t.Region,
		OwnerID: t.CreatorID, OwnerName: t.CreatorName,
		Created: t.Created, Started: t.Started, Finished: t.Finished, Duration: t.Duration,
		ReasonCode: t.ReasonCode, ReasonMessage: t.ReasonMessage, ConsoleURL: t.ConsoleURL,
	}
}

// tone is how a status should feel: failures bad, successes good, the rest
// (progress, a job someone ended) neutral.
func tone(status string) channel.Tone {
	canonical, _ := event.CanonicalStatus("", status)
	switch canonical {
	case "Failed", "SaveFailed", "SubmitFailed", "Rejected", "FailedReserving":
		return channel.ToneBad
	case "Succeeded", "Approved", "SucceededReserving", "Saved":
		return channel.ToneGood
	}
	return channel.ToneInfo
}

// clean is a value as one trimmed line: a channel escapes it for its
// markup, but a break inside a configured or reported value is never meant.
func clean(s string) string {
	if !strings.ContainsFunc(s, isBreak) {
		return strings.TrimSpace(s) // the usual case: nothing to replace, no copy
	}
	return strings.TrimSpace(strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if isBreak(r) {
			return ' '
		}
		return r
	}, s)), " "))
}

// isBreak reports whether r would end or disturb a line.
func isBreak(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' }

func taskFields(t *event.Task, l *lang, limit int) []channel.Field {
	var fs []channel.Field
	add := func(label, value string) {
		if v := clean(value); v != "" {
			fs = append(fs, channel.Field{Label: label, Value: shorten(v, maxField)})
		}
	}
	// freeText fields are the long ones; they are not capped up front but
	// cut by Fit to whatever room the message has left.
	freeText := func(label, value string) {
		raw, cut := capBytes(value, limit)
		if v := clean(raw); v != "" {
			if cut {
				v += l.truncated
			}
			fs = append(fs, channel.Field{Label: label, Value: v})
		}
	}
	nameLabel, idLabel, statusLabel := l.labels(t)
	add(nameLabel, t.JobName)
	add(idLabel, t.JobID)
	add(l.version, t.Version)
	add(l.jobType, t.JobType)
	if s := clean(t.Status); s != "" {
		word := clean(l.statusWord(t.Status))
		if word != s && !strings.EqualFold(word, s) {
			word += " (" + s + ")" // known status: keep PAI's spelling, rules are written in it
		}
		add(statusLabel, word)
	}
	add(l.workspace, pair(t.WorkspaceName, t.WorkspaceID))
	add(l.region, t.Region)
	add(l.creator, pair(t.CreatorName, t.CreatorID))
	add(l.pipeline, pair(t.PipelineName, t.PipelineID))
	if !t.Created.IsZero() {
		add(l.created, l.fmtTime(t.Created))
	}
	if !t.Started.IsZero() {
		add(l.started, l.fmtTime(t.Started))
	}
	if !t.Finished.IsZero() {
		add(l.finished, l.fmtTime(t.Finished))
	}
	if t.Duration > 0 {
		add(l.duration, l.fmtDuration(t.Duration))
	}
	if !event.Succeeded(t.Status) {
		code, msg := strings.TrimSpace(t.ReasonCode), strings.TrimSpace(t.ReasonMessage)
		text := code
		if code != "" && msg != "" && code != msg {
			text = code + ": " + msg
		} else if code == "" {
			text = msg
		}
		label := l.reason
		if event.Failed(t.Status) {
			label = l.failReason
		}
		freeText(label, text)
	}
	// What happened, in PAI's words, when the event does not say it itself.
	freeText(l.eventLabel, cmp.Or(t.EventLabel, l.happened(t)))
	freeText(l.eventMessage, t.EventMessage)
	return fs
}

// pair writes "name (id)", or whichever of the two is known.
func pair(name, id string) string {
	name, id = strings.TrimSpace(name), strings.TrimSpace(id)
	switch {
	case name == "":
		return id
	case id == "" || id == name:
		return name
	default:
		return name + " (" + id + ")"
	}
}

// mentions are o's mentions with stray spaces and breaks taken out of each
// (config is trusted, but a stray space would silently stop a mention from
// firing) and empty entries dropped.
func mentions(o *Options) channel.Mentions {
	clean := func(list []string) []string {
		var out []string
		for _, s := range list {
			s = strings.Map(func(r rune) rune {
				if r <= ' ' || r == 0x7f || r == '\u3000' || r == '\u2028' || r == '\u2029' {
					return -1
				}
				return r
			}, s)
			if s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return channel.Mentions{Mobiles: clean(o.AtMobiles), UserIDs: clean(o.AtUserIDs), All: o.AtAll}
}

// title is the one line a chat list shows: DLC任务通知：name failed.
func title(t *event.Task, l *lang) string {
	name := shorten(clean(t.JobName), maxTitleName)
	if name == "" {
		name = shorten(clean(t.JobID), maxTitleName)
	}
	word := shorten(clean(l.headline(t)), maxTitleName)
	title := l.subject(t)
	if l.en {
		return strings.Join(nonEmpty(title, name, word), " ")
	}
	if name != "" || word != "" {
		title += "：" + strings.Join(nonEmpty(name, word), " ")
	}
	return title
}

// nonEmpty returns the strings that are not empty.
func nonEmpty(ss ...string) []string {
	return slices.DeleteFunc(ss, func(s string) bool { return s == "" })
}

// Fit returns m cut until ch's body for it fits ch.MaxBodyBytes: the
// reason (the usual giant: a stack trace or a log tail) first when cutting
// it alone is enough, else the longest field, so a short reason survives a
// giant event message; then the footer and the title. Each cut ends in the
// truncation marker of o's language, falls on a UTF-8 boundary and keeps
// the longest prefix that fits, measured with ch.Body (bisecting), so every
// channel's escaping and envelope count exactly. A message that fits is
// returned as is; m's slices are not changed.
func Fit(ch channel.Channel, m channel.Message, o Options) channel.Message {
	l := pickLang(o)
	marker := l.truncated
	limit := ch.MaxBodyBytes()
	if b, ok := ch.(channel.Bounder); ok && b.Bound(m) <= limit {
		return m // surely fits: no need to build the body to know
	}
	fits := func() (bool, int) {
		body, err := ch.Body(m)
		if err != nil {
			return true, 0 // only a malformed message; sending it reports the error
		}
		return len(body) <= limit, len(body) - limit
	}
	reason := slices.IndexFunc(m.Fields, func(f channel.Field) bool { return f.Label == l.failReason || f.Label == l.reason })
	copied := false
	for range len(m.Fields) + 3 {
		ok, excess := fits()
		if ok {
			return m
		}
		if !copied {
			m.Fields = slices.Clone(m.Fields)
			copied = true
		}
		var text *string
		if v := victim(m.Fields, reason, excess, len(marker)); v >= 0 {
			text = &m.Fields[v].Value
		} else if len(m.Footer) > 2*len(marker) {
			text = &m.Footer
		} else if len(m.Title) > 2*len(marker) {
			text = &m.Title
		} else {
			return m // nothing left to cut: only a huge keyword or mention list gets here
		}
		raw := strings.TrimSuffix(*text, marker)
		try := func(n int) bool {
			*text = channel.Cut(raw, n) + marker
			ok, _ := fits()
			return ok
		}
		// The longest prefix that fits: lo fits (or is -1), hi does not.
		// The excess is nearly what must go (escaping changes little), so
		// gallop from that guess, then bisect what is left: a few bodies,
		// not one per bit of the field's length.
		lo, hi := -1, len(raw)
		if guess := len(raw) - excess; guess > 0 && guess < hi {
			if try(guess) {
				lo = guess
				for step := 1; lo+step < hi; step *= 2 {
					if !try(lo + step) {
						hi = lo + step
						break
					}
					lo += step
				}
			} else {
				hi = guess
				for step := 1; hi-step > 0; step *= 2 {
					if try(hi - step) {
						lo = hi - step
						break
					}
					hi -= step
				}
			}
		}
		if lo < 0 {
			if !try(0) {
				continue // even empty it does not fit: cut the next one too
			}
			lo = 0
		}
		for hi-lo > 1 {
			if mid := (lo + hi) / 2; try(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		*text = channel.Cut(raw, lo) + marker
	}
	return m
}

// victim picks the field to cut: the reason when cutting it alone makes
// the message fit, else the longest field longer than the marker; -1 when
// none is.
func victim(fs []channel.Field, reason, excess, marker int) int {
	if reason >= 0 && len(fs[reason].Value) > excess+2*marker {
		return reason
	}
	best, bestLen := -1, 0
	for i, f := range fs {
		if n := len(f.Value); n > bestLen {
			best, bestLen = i, n
		}
	}
	if bestLen <= 2*marker {
		return -1
	}
	return best
}
