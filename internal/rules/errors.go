package rules

import (
	"fmt"
	"regexp"
	"strings"
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
	// secrets are values seen in secret fields; they are scrubbed from every
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
// message scrubbed of secrets.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	out := make([]Problem, len(ps.list))
	for i, p := range ps.list {
		p.Where = ps.scrub(p.Where)
		p.Msg = ps.scrub(p.Msg)
		out[i] = p
	}
	return &Error{Problems: out}
}

// Patterns of DingTalk credentials, scrubbed even when we never saw them in a
// secret field (an env variable expanded into the wrong field, say).
var (
	tokenPattern  = regexp.MustCompile(`(?i)(access_token=)[^&\s"'\x60.)]+`)
	secretPattern = regexp.MustCompile(`SEC[0-9A-Za-z+/=_-]{12,}`)
)

func (ps *problems) scrub(s string) string {
	for _, v := range ps.secrets {
		s = strings.ReplaceAll(s, v, "<secret>")
	}
	s = tokenPattern.ReplaceAllString(s, "${1}<secret>")
	return secretPattern.ReplaceAllString(s, "<secret>")
}

// show quotes a user value for an error message: at most 40 bytes of it, and
// the text as written rather than its expansion when it came from the
// environment, whose values we do not echo.
func show(s *scalar) string {
	v := s.val
	if s.raw != s.val {
		v = s.raw
	}
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return fmt.Sprintf("%q", v)
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
