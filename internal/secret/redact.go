package secret

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Redactor removes secrets from text bound for a log line, an error or a
// result: the values it was given, in every spelling a URL or an answer
// echoing one may use, and anything shaped like a DingTalk credential
// (access_token=..., SEC...) even when it was never given.
//
// It is the one place text is shortened for display, because the order
// matters: Cut redacts the WHOLE text first and only then cuts it. Cutting
// first leaves part of a token behind that no longer matches anything (a
// 502 page echoing the request URL, cut at 120 bytes, kept up to 63 of the
// token's 64 characters).
//
// The zero Redactor redacts only the credential patterns.
type Redactor struct {
	values []string
}

// minSecret is the shortest value treated as a secret: a shorter one would
// redact ordinary words.
const minSecret = 4

// Credential shapes redacted even when the value was never given.
var (
	tokenPattern  = regexp.MustCompile(`(?i)(access_token=)[^&\s"'\x60.)<\x00]+`)
	secretPattern = regexp.MustCompile(`SEC[0-9A-Za-z+/=_-]{12,}`)
)

// NewRedactor returns a Redactor for values (each also in its URL query and
// path escapings). Empty and very short values are ignored.
func NewRedactor(values ...string) *Redactor {
	r := &Redactor{}
	r.Add(values...)
	return r
}

// Add adds values to redact. A webhook URL should go through AddURL.
func (r *Redactor) Add(values ...string) {
	for _, v := range values {
		if len(v) < minSecret {
			continue
		}
		for _, s := range [...]string{v, url.QueryEscape(v), url.PathEscape(v)} {
			if !slices.Contains(r.values, s) {
				r.values = append(r.values, s)
			}
		}
	}
	// Longest first, so that a value containing another is replaced whole.
	slices.SortStableFunc(r.values, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

// AddURL adds a URL that carries secrets: the whole URL, its query and the
// values of its access_token and sign parameters.
func (r *Redactor) AddURL(raw string) {
	r.Add(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	r.Add(u.RawQuery)
	q := u.Query()
	r.Add(q["access_token"]...)
	r.Add(q["sign"]...)
}

// Redact returns s with every secret replaced by "<secret>".
func (r *Redactor) Redact(s string) string {
	if r != nil {
		for _, v := range r.values {
			if strings.Contains(s, v) {
				s = strings.ReplaceAll(s, v, redacted)
			}
		}
	}
	s = tokenPattern.ReplaceAllString(s, "${1}"+redacted)
	return secretPattern.ReplaceAllString(s, redacted)
}

// Cut redacts s, then shortens it to at most max bytes on a UTF-8 boundary,
// marking a cut with "...", and replaces invalid UTF-8 with "?".
func (r *Redactor) Cut(s string, max int) string {
	s = strings.ToValidUTF8(r.Redact(s), "?")
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}
