package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Error is every problem found in a rules document. Parse reports them all
// at once so that one round of editing fixes the document.
type Error struct {
	Problems []Problem
}

// Problem is one thing wrong with a rules document.
type Problem struct {
	Line  int    // 1-based line in the document; 0 when not known or not useful
	Where string // "rules[1] \"flow\"", "fields", "DINGTALK_WEBHOOK", ...; may be empty
	Msg   string // what is wrong, starting with the field when there is one
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Where != "" {
		b.WriteString(p.Where)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists the problems one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems while a document is read and validated.
type problems struct {
	list []Problem
	// secrets are values seen in secret fields; they are redacted from every
	// message in case one slipped into a field that is echoed back (a secret
	// pasted as a source, say).
	secrets []string
}

func (ps *problems) add(line int, where, format string, args ...any) {
	ps.list = append(ps.list, Problem{Line: line, Where: where, Msg: fmt.Sprintf(format, args...)})
}

func (ps *problems) secret(v string) {
	if len(v) >= 4 {
		ps.secrets = append(ps.secrets, v)
	}
}

// err returns nil when there were no problems, else an *Error with every
// message redacted of secrets: the whole text first, and only then are the
// values show marked cut to length, so a cut never leaves part of a secret
// behind that the redactor no longer recognises.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	red := secret.NewRedactor(ps.secrets...)
	out := make([]Problem, len(ps.list))
	for i, p := range ps.list {
		p.Where = finish(red, p.Where)
		p.Msg = finish(red, p.Msg)
		out[i] = p
	}
	return &Error{Problems: out}
}

// Marks around a value show quoted. NUL never reaches a message otherwise:
// show replaces it in values, and quoting escapes it.
const (
	showOpen  = "\x00<"
	showClose = "\x00>"
	maxShown  = 40 // bytes of a user value quoted in a message
)

// show marks a user value for an error message: the text as written rather
// than its expansion when it came from the environment, whose values we do
// not echo. err quotes it, at most maxShown bytes of it, after redaction.
func show(s *scalar) string {
	v := s.val
	if s.raw != s.val {
		v = s.raw
	}
	return showOpen + strings.ReplaceAll(v, "\x00", "\uFFFD") + showClose
}

// finish redacts text whole, then quotes each value show marked in it, cut
// to maxShown bytes.
func finish(red *secret.Redactor, text string) string {
	text = red.Redact(text)
	var b strings.Builder
	for {
		before, rest, ok := strings.Cut(text, showOpen)
		if !ok {
			b.WriteString(text)
			return b.String()
		}
		v, after, ok := strings.Cut(rest, showClose)
		if !ok { // cannot happen; never let a stray mark print a value uncut
			v, after = rest, ""
		}
		b.WriteString(before)
		b.WriteString(strconv.Quote(red.Cut(v, maxShown)))
		text = after
	}
}

// suggest returns ` (did you mean "x"?)` when one of known is within two
// edits of got.
func suggest(got string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(got), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein edit distance, capped to keep it cheap on
// hostile input.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
