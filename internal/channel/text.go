package channel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Cut returns the longest prefix of s of at most n bytes that ends on a
// rune boundary.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SnippetBytes is how much of an unexpected answer an error quotes.
const SnippetBytes = 120

// Snippet quotes the start of an unexpected answer for an error message:
// its first SnippetBytes bytes (invalid UTF-8, including a rune cut in
// two, as '?'), "..." when there was more, in Go quotes. Redact the answer
// before quoting it.
func Snippet(raw []byte) string {
	s := strings.ToValidUTF8(string(raw[:min(len(raw), SnippetBytes)]), "?")
	if len(raw) > SnippetBytes {
		s += "..."
	}
	return fmt.Sprintf("%q", s)
}

// JSON encodes v as a request body: no HTML escaping (the markup's <at>,
// <font> and <@id> must reach the service as typed, and \u003c escapes
// would only inflate the body against its limit) and no trailing newline.
func JSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
