// Package markdown makes plain job text safe in the markdown dialects of
// chat robots (WeCom, Lark cards): none of them documents backslash
// escapes, so the characters that build structure become visible
// look-alikes, text never leaves its line, and links are http(s) only.
package markdown

import (
	"strings"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// Escape makes plain text (a job name, a reason, a label) safe inside one
// line of markdown:
//
//   - line breaks and other controls -> one space (a run of them, one):
//     text cannot start a line, so it cannot open a heading, a list or a
//     quote, or forge another field;
//   - every rune in lookalike -> its look-alike (the caller's dialect says
//     which: '<' '>' '[' ']' '*' '`' '&' at least);
//   - a leading '#' -> '＃', in case the text starts a line after all;
//   - spaces around the result trimmed.
//
// Invalid UTF-8 becomes U+FFFD.
func Escape(s string, lookalike map[rune]rune) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	space := false
	for _, r := range s {
		if IsBreak(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		space = r == ' '
		if alt, ok := lookalike[r]; ok {
			b.WriteRune(alt)
		} else {
			b.WriteRune(r)
		}
	}
	out := strings.TrimSpace(b.String())
	if strings.HasPrefix(out, "#") {
		out = "＃" + out[1:]
	}
	return out
}

// IsBreak reports whether r would end or disturb a line: ASCII and C1
// controls (tab included), DEL, and the Unicode line/paragraph separators.
func IsBreak(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029'
}

// OneLine turns each line break into a space and invalid UTF-8 into
// U+FFFD, and changes nothing else (for plain-text fields and keywords,
// which must arrive as typed to match).
func OneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if IsBreak(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// maxURLBytes bounds a link: a longer one is not a console page.
const maxURLBytes = 2048

// LinkURL returns u when it can sit inside (...) of a [text](url) link or a
// card button: http or https with a host (channel.HTTPURL), re-encoded, and
// without characters that would end the link early. Anything else is ""
// and the caller leaves the link out.
func LinkURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > maxURLBytes || !utf8.ValidString(u) {
		return "" // invalid UTF-8 would pass url.Parse into the markup as is
	}
	p, ok := channel.HTTPURL(u)
	if !ok {
		return ""
	}
	s := p.String() // re-encodes spaces, quotes and controls
	return linkReplacer.Replace(s)
}

var linkReplacer = strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", `"`, "%22", "[", "%5B", "]", "%5D")
