// Package message decides how a PAI task event reads in a DingTalk group:
// the title, the markdown, the console link and the @mentions, in Chinese
// (as PAI writes it) or English. It also folds many events into digests and
// guarantees that every message's whole request body fits DingTalk's 20000
// bytes. It sends nothing.
package message

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// Options are the per-target choices a rule makes about its messages.
type Options struct {
	Lang    string // "zh" (default) or "en"
	Format  string // "markdown" (default) or "actionCard"
	Keyword string // the robot's security keyword; put into every title and text when set

	// Location is the zone times are told in (the rule's timezone:);
	// Asia/Shanghai when nil. The offset is always written.
	Location *time.Location

	// Mentions. Each one is also written into the text as @..., because
	// DingTalk notifies only mentions that appear there.
	AtMobiles, AtUserIDs []string
	AtAll                bool
}

// Caps on single fields, in runes. Names and ids this long are already
// useless to a reader, and the caps keep the fixed part of a message far
// below MaxBodyBytes, so only the free-text fields (reason, event message)
// ever need cutting to fit.
const (
	maxTitleName = 64  // the name in a title: the chat list shows little more
	maxField     = 256 // any single-line field other than the free texts
)

// field is one "label: value" line. pre and post are our own markup around
// the value; only body (already sanitised) is ever cut.
type field struct {
	label     string
	pre, post string
	body      string
	cut       bool   // body was shortened; show the truncation marker
	note      string // written as " (note)" after post
}

// capBytes cuts s to at most n bytes on a rune boundary. Text longer than a
// whole body can never be shown whole, so the free texts are cut to this
// before any work is done on them; fit then cuts the exact excess.
func capBytes(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

// Render returns the message for one task event. The message always fits
// dingtalk.MaxBodyBytes: when a field is too long the reason is cut first,
// then the longest remaining field, on a UTF-8 boundary, marked …(已截断).
// A nil task renders as an empty one rather than panicking.
func Render(t *event.Task, o Options) dingtalk.Message {
	if t == nil {
		t = &event.Task{}
	}
	l := pickLang(o)
	r := render{l: l, o: o, t: t, link: consoleLink(t.ConsoleURL)}
	r.fields, r.reason = taskFields(t, l)
	r.mentions, r.mobiles, r.users = mentions(&o)
	return r.fit()
}

type render struct {
	l *lang
	o Options
	t *event.Task

	fields   []field
	reason   int // index of the reason field, -1 when none
	link     string
	mentions string
	mobiles  []string
	users    []string
}

func taskFields(t *event.Task, l *lang) ([]field, int) {
	var fs []field
	add := func(label, value string) {
		if v := inline(value); v != "" {
			fs = append(fs, field{label: label, body: shorten(v, maxField)})
		}
	}
	// freeText fields are the long ones; they are not capped up front but
	// cut to whatever room the message has left.
	freeText := func(label, value string) int {
		raw, cut := capBytes(value, dingtalk.MaxBodyBytes)
		if v := inline(raw); v != "" {
			fs = append(fs, field{label: label, body: v, cut: cut})
			return len(fs) - 1
		}
		return -1
	}
	nameLabel, idLabel, statusLabel := l.labels(t)
	add(nameLabel, t.JobName)
	add(idLabel, t.JobID)
	add(l.version, t.Version)
	add(l.jobType, t.JobType)
	if s := inline(t.Status); s != "" {
		word := inline(l.statusWord(t.Status))
		f := field{label: statusLabel, pre: fontTag(t.Status), post: "</font>", body: shorten(word, maxField)}
		if word != s && !strings.EqualFold(word, s) {
			f.note = s // known status: keep PAI's spelling, rules are written in it
		}
		fs = append(fs, f)
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
	reason := -1
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
		reason = freeText(label, text)
	}
	// What happened, in PAI's words, when the event does not say it itself.
	freeText(l.eventLabel, cmp.Or(t.EventLabel, l.happened(t)))
	freeText(l.eventMessage, t.EventMessage)
	return fs, reason
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

// mentions returns the "@a @b" line and the cleaned lists for Message.At*.
func mentions(o *Options) (line string, mobiles, users []string) {
	var b strings.Builder
	add := func(list []string) []string {
		var out []string
		for _, s := range list {
			s = mention(s)
			if s == "" {
				continue
			}
			out = append(out, s)
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte('@')
			b.WriteString(s)
		}
		return out
	}
	mobiles = add(o.AtMobiles)
	users = add(o.AtUserIDs)
	return b.String(), mobiles, users
}

// titlePrefix is the keyword as it opens titles and headings. The keyword is
// written verbatim: DingTalk compares it byte for byte, so escaping it would
// make every message fail the robot's keyword check. It goes into both the
// title and the text because which of the two DingTalk checks is not
// documented for markdown.
func titlePrefix(kw string) string {
	if kw == "" {
		return ""
	}
	return "[" + kw + "] "
}

func (r *render) title() string {
	l, t := r.l, r.t
	name := shorten(inline(t.JobName), maxTitleName)
	if name == "" {
		name = shorten(inline(t.JobID), maxTitleName)
	}
	word := shorten(inline(l.headline(t)), maxTitleName)
	title := titlePrefix(r.o.Keyword) + l.subject(t)
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

func (r *render) heading(b *strings.Builder) {
	l, t := r.l, r.t
	b.WriteString("#### ")
	b.WriteString(titlePrefix(r.o.Keyword))
	b.WriteString(fontTag(t.Status))
	word := shorten(inline(l.headline(t)), maxTitleName)
	b.WriteString(l.subject(t))
	if l.en {
		if word != "" {
			b.WriteByte(' ')
			b.WriteString(word)
		}
	} else {
		if word != "" {
			b.WriteString("：")
			b.WriteString(word)
		}
	}
	b.WriteString("</font>")
}

// message builds the message from the current (possibly cut) fields.
func (r *render) message() dingtalk.Message {
	l := r.l
	card := strings.EqualFold(r.o.Format, dingtalk.TypeActionCard) && r.link != ""
	var b strings.Builder
	r.heading(&b)
	b.WriteString("\n\n")
	for i, f := range r.fields {
		if i > 0 {
			b.WriteString("  \n") // two spaces: DingTalk renders the break
		}
		b.WriteString("**")
		b.WriteString(f.label)
		b.WriteString("**")
		b.WriteString(l.sep)
		b.WriteString(f.pre)
		b.WriteString(f.body)
		if f.cut {
			b.WriteString(l.truncated)
		}
		b.WriteString(f.post)
		if f.note != "" {
			b.WriteString(" (")
			b.WriteString(f.note)
			b.WriteByte(')')
		}
	}
	if r.link != "" && !card { // a card's button already is the link
		b.WriteString("\n\n[")
		b.WriteString(l.console)
		b.WriteString("](")
		b.WriteString(r.link)
		b.WriteByte(')')
	}
	if r.mentions != "" {
		b.WriteString("\n\n")
		b.WriteString(r.mentions)
	}
	m := dingtalk.Message{
		Type:      dingtalk.TypeMarkdown,
		Title:     r.title(),
		Text:      b.String(),
		AtMobiles: r.mobiles,
		AtUserIDs: r.users,
		AtAll:     r.o.AtAll,
	}
	if card {
		m.Type = dingtalk.TypeActionCard
		m.ButtonTitle = l.button
		m.ButtonURL = r.link
	}
	return m
}

// fit renders, measures the real wire body, and cuts fields until it fits.
// Each round cuts exactly the excess (in JSON bytes) from one field, so it
// ends after at most one round per field.
func (r *render) fit() dingtalk.Message {
	marker := jsonLen(r.l.truncated)
	for range len(r.fields) + 2 {
		m := r.message()
		excess := bodySize(m) - dingtalk.MaxBodyBytes
		if excess <= 0 {
			return m
		}
		v := r.victim(excess)
		if v < 0 {
			return m // nothing left to cut: only a huge keyword or mention list can get here
		}
		f := &r.fields[v]
		budget := jsonLen(f.body) - excess
		if !f.cut {
			budget -= marker
		}
		f.body, f.cut = cutJSON(f.body, budget), true
	}
	return r.message()
}

// victim picks the field to cut: the reason when cutting it alone makes the
// message fit (it is the usual giant: a stack trace or a log tail), else the
// longest field, so a short reason survives a giant event message.
func (r *render) victim(excess int) int {
	if r.reason >= 0 && jsonLen(r.fields[r.reason].body) > excess+jsonLen(r.l.truncated) {
		return r.reason
	}
	best, bestLen := -1, 0
	for i, f := range r.fields {
		if n := jsonLen(f.body); n > bestLen {
			best, bestLen = i, n
		}
	}
	return best
}

// bodySize is the size of the request DingTalk will receive for m. Body
// fails only for a malformed message, which this package never builds; an
// error counts as "too large" so it can never pass as fitting.
func bodySize(m dingtalk.Message) int {
	b, err := dingtalk.Body(m)
	if err != nil {
		return dingtalk.MaxBodyBytes + 1
	}
	return len(b)
}
