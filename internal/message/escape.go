package message

import (
	"net/url"
	"strings"
	"unicode/utf8"
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
//   - "](" -> "]\u200b(": [text](url) and ![](img) stop being links.
//
// Link text (digest lines) also gets '[' ']' '\' replaced, so a name cannot
// close the link it sits in.

const zwsp = "\u200b" // zero-width space: invisible, breaks "](" apart

// inline returns s made safe to show inside one markdown line.
func inline(s string) string { return sanitize(s, false) }

// linkText returns s made safe to show as the text of a [text](url) link.
func linkText(s string) string { return sanitize(s, true) }

func sanitize(s string, inLink bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	space := false // collapse runs of line breaks / spaces that we introduce
	prev := rune(0)
	for _, r := range s { // an invalid byte arrives as U+FFFD, so the result is valid UTF-8
		if isBreak(r) {
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
	return strings.TrimSpace(b.String())
}

// isBreak reports whether r would end or disturb a line: ASCII and C1
// controls (tab included), DEL, and the Unicode line/paragraph separators.
func isBreak(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029'
}

// mention returns a configured mobile or user id fit to follow '@': config is
// trusted, but a stray space or newline would silently stop the mention from
// firing, so those are removed.
func mention(s string) string {
	return strings.Map(func(r rune) rune {
		if isBreak(r) || r == ' ' || r == '\u3000' {
			return -1
		}
		return r
	}, s)
}

// consoleLink returns u when it is safe to put in (...) of a markdown link or
// in an actionCard button: http(s) only, no javascript: or dingtalk: tricks,
// and no characters that would end the link early. Anything else yields "".
func consoleLink(u string) string {
	if u == "" || len(u) > maxURLBytes || !utf8.ValidString(u) {
		return "" // invalid UTF-8 would pass url.Parse into the markdown as is
	}
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return linkEscaper.Replace(p.String()) // String re-encodes spaces, quotes and controls
}

// linkEscaper encodes what String leaves but a markdown link cannot hold.
var linkEscaper = strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", `"`, "%22")

// maxURLBytes bounds a console link; a longer one is dropped rather than cut,
// since a cut URL points nowhere.
const maxURLBytes = 2048

// jsonLen is the number of bytes s takes inside a JSON string as
// encoding/json writes it with HTML escaping off. It is additive over
// concatenation of valid UTF-8, which lets the digest pack lines without
// re-encoding the whole body for every line.
func jsonLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		w, size := jsonWidth(s, i)
		n += w
		i += size
	}
	return n
}

// jsonWidth returns the encoded width and the byte size of the character
// starting at s[i].
func jsonWidth(s string, i int) (width, size int) {
	c := s[i]
	if c < utf8.RuneSelf {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			return 2, 1
		case c < 0x20:
			return 6, 1 // \u00XX
		default:
			return 1, 1
		}
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
		return 6, size // \ufffd, \u2028, \u2029
	}
	return size, size
}

// cutJSON returns the longest prefix of s, ending on a rune boundary, whose
// jsonLen is at most budget.
func cutJSON(s string, budget int) string {
	n := 0
	for i := 0; i < len(s); {
		w, size := jsonWidth(s, i)
		if n+w > budget {
			return s[:i]
		}
		n += w
		i += size
	}
	return s
}

// shorten caps s at max runes, marking the cut with "…".
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
