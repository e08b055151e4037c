package channel

import (
	"strings"
	"testing"
)

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"a界", 3, "a"}, // 界 is 3 bytes: not cut in two
		{"a界", 4, "a界"},
		{"界界", 5, "界"},
		{"abc", 0, ""},
	} {
		if got := Cut(tc.in, tc.n); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("x", SnippetBytes-1) + "界"
	for in, want := range map[string]string{
		"":                    `""`,
		"<html>\n":            `"<html>\n"`,
		"bad\xff":             `"bad?"`,
		long:                  `"` + strings.Repeat("x", SnippetBytes-1) + `?..."`, // a rune cut at the edge
		long[:SnippetBytes-1]: `"` + strings.Repeat("x", SnippetBytes-1) + `"`,
	} {
		if got := Snippet([]byte(in)); got != want {
			t.Errorf("Snippet(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	b, err := JSON(map[string]string{"content": "<at id=all></at> & <@u>"})
	if err != nil || string(b) != `{"content":"<at id=all></at> & <@u>"}` {
		t.Errorf("JSON = %s, %v; want the markup as typed and no trailing newline", b, err)
	}
	if _, err := JSON(func() {}); err == nil {
		t.Error("a func encoded without an error")
	}
}
