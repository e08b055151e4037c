package markdown

import (
	"strings"
	"testing"
)

// lookalike is a small dialect of the test's own: the mechanism is under
// test here; each channel's tests hold its own set.
var lookalike = map[rune]rune{'<': '＜', '>': '＞', '[': '［', ']': '］', '*': '＊', '`': '｀', '&': '＆'}

func TestEscape(t *testing.T) {
	small := map[rune]rune{'<': '＜', '*': '＊'}
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"job-1 中文", "job-1 中文"},
		{" \t x \r\n ", "x"},
		{"a\n\n\tb", "a b"},                 // a run of breaks is one space
		{"a\u0085b\u2029c\x7fd", "a b c d"}, // C1, separators, DEL
		{"<b>*x*</b>", "＜b>＊x＊＜/b>"},        // only the dialect's runes swap
		{"[x](u) `c` &", "[x](u) `c` &"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"# h", "＃ h"},
		{"\n  # h", "＃ h"}, // a leading '#' after trimming too
		{"a # b", "a # b"},
	} {
		if got := Escape(tc.in, small); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"kw":           "kw",
		"a\nb\r\nc":    "a b  c",
		" *x* <y> ":    " *x* <y> ", // nothing but breaks changes
		"bad\xff\t":    "bad\uFFFD ",
		"p\u2029q\x7f": "p q ",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLinkURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://pai.console.aliyun.com/#/dlc/jobs/1": "https://pai.console.aliyun.com/#/dlc/jobs/1",
		" https://h/x ":       "https://h/x",
		"javascript:alert(1)": "",
		"ftp://x/y":           "",
		"/relative":           "",
		"https:///no-host":    "",
		"http://h/a)b":        "http://h/a%29b",
		"http://h/[a] (b)":    "http://h/%5Ba%5D%20%28b%29",
		"https://h/" + strings.Repeat("a", maxURLBytes): "",
	} {
		if got := LinkURL(in); got != want {
			t.Errorf("LinkURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMarkdown: whatever a job sends, escaped text stays on one line and
// holds none of the characters its dialect swaps, and a link is "" or an
// http(s) URL with nothing that could end [text](url) early.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{"", "[x](http://evil)", "<at id=all></at>\n# h", "https://h/a b(c)<d>", "javascript:alert(1)", "\xff\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s, lookalike)
		if strings.IndexFunc(e, IsBreak) >= 0 || strings.ContainsAny(e, "<>[]*`&") || strings.HasPrefix(e, "#") {
			t.Fatalf("Escape(%q) = %q", s, e)
		}
		if u := LinkURL(s); u != "" && (!strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") || strings.ContainsAny(u, "()[]<> \"\n")) {
			t.Fatalf("LinkURL(%q) = %q", s, u)
		}
	})
}
