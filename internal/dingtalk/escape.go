package dingtalk

import (
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/channel/markdown"
)

// Text that comes from an event (job names, reasons, creator names) is shown
// inside our markdown, so it must not be able to change the message's shape.
// DingTalk's markdown renderer is not documented well enough to rely on
// backslash escapes, so instead of escaping we replace the few characters that
// build structure with visible look-alikes, and break the one two-character
// sequence that makes a link:
//
//   - line breaks and other control characters -> space: a value cannot start
//     a new line, so it can never begin a heading, quote, list or
//     "@mention" line, and cannot forge another field;
//   - '@' -> '＠' (U+FF20): DingTalk cannot read it as a mention;
//   - '<' -> '＜' (U+FF1C): no <font>, <a>, <img> or <autolink>;
//   - "](" -> "]\u200b(": [text](url) and ![](img) stop being links;
//   - a leading '#' -> '＃'.
//
// Link text (digest lines, the console link) also gets '[' ']' '\' replaced,
// so a name cannot close the link it sits in.

const zwsp = "\u200b" // zero-width space: invisible, breaks "](" apart

// escape returns s made safe to show inside one markdown line.
func escape(s string) string { return sanitize(s, false) }

// linkText returns s made safe to show as the text of a [text](url) link.
func linkText(s string) string { return sanitize(s, true) }

func sanitize(s string, inLink bool) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	space := false // collapse runs of line breaks / spaces that we introduce
	prev := rune(0)
	for _, r := range s { // an invalid byte arrives as U+FFFD, so the result is valid UTF-8
		if markdown.IsBreak(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			prev = ' '
			continue
		}
		space = r == ' '
		switch {
		case r == '@':
			b.WriteString("＠")
		case r == '<':
			b.WriteString("＜")
		case r == '(' && prev == ']' && !inLink: // in link text ']' is replaced below anyway
			b.WriteString(zwsp + "(")
		case inLink && r == '[':
			b.WriteString("［")
		case inLink && r == ']':
			b.WriteString("］")
		case inLink && r == '\\':
			b.WriteString("＼")
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	out := strings.TrimSpace(b.String())
	if strings.HasPrefix(out, "#") {
		out = "＃" + out[1:]
	}
	return out
}

// mention returns a configured mobile or user id fit to follow '@': config is
// trusted, but a stray space or newline would silently stop the mention from
// firing, so those are removed.
func mention(s string) string {
	return strings.Map(func(r rune) rune {
		if markdown.IsBreak(r) || r == ' ' || r == '\u3000' {
			return -1
		}
		return r
	}, s)
}
