package markdown

import (
	"strings"
	"testing"
)

var lookalike = map[rune]rune{'<': '＜', '>': '＞', '[': '［', ']': '］', '*': '＊', '`': '｀', '&': '＆'}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"train-resnet50", "train-resnet50"},
		{"  padded\t", "padded"},
		{"a\nb\r\n\nc", "a b c"},
		{"[x](http://evil)", "［x］(http://evil)"},
		{"<@all>", "＜@all＞"},
		{"**b** `c` &amp;", "＊＊b＊＊ ｀c｀ ＆amp;"},
		{"~~s~~ _i_", "~~s~~ _i_"}, // not in this lookalike map: left alone
		{"my_job_v2 #3 50%", "my_job_v2 #3 50%"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"line\u2028sep\u0085x", "line sep x"},
		{"# heading", "＃ heading"},
		{"\n# heading", "＃ heading"},
	} {
		if got := Escape(tc.in, lookalike); got != tc.want {
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
