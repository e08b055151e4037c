package dingtalk

import (
	"testing"
	"unicode/utf8"
)

func TestInline(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"debug-webhook_clone", "debug-webhook_clone"},
		{"  padded  ", "padded"},
		{"a\nb", "a b"},
		{"a\r\n\r\n\tb", "a b"},
		{"line\u2028sep\u2029par\u0085nel", "line sep par nel"},
		{"job\n@13800000000 [x](http://evil)", "job ＠13800000000 [x]" + zwsp + "(http://evil)"},
		{"![](http://img/track.png)", "![]" + zwsp + "(http://img/track.png)"},
		{"[a] (b)", "[a] (b)"}, // not a link: nothing to break
		{`<font color="#00B42A">ok</font>`, `＜font color="#00B42A">ok＜/font>`},
		{"<http://evil>", "＜http://evil>"},
		{"user@example.com", "user＠example.com"},
		{"bad\xffbyte", "bad\uFFFDbyte"},
		{"\x00\x01nul", "nul"},
		{"# heading\n> quote\n- item", "＃ heading > quote - item"},
		{"显存不足 CUDA OOM", "显存不足 CUDA OOM"},
		{"", ""},
	} {
		got := escape(c.in)
		if got != c.want {
			t.Errorf("escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("escape(%q) = %q is not valid UTF-8", c.in, got)
		}
	}
}

func TestLinkText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"job-a", "job-a"},
		{"a](http://evil) [b", "a］(http://evil) ［b"},
		{`trailing\`, "trailing＼"},
		{"x\n@138", "x ＠138"},
	} {
		if got := linkText(c.in); got != c.want {
			t.Errorf("linkText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMention(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"13800000000", "13800000000"},
		{" 138 0000 0000\n", "13800000000"},
		{"+852-12345678", "+852-12345678"},
		{"\t", ""},
	} {
		if got := mention(c.in); got != c.want {
			t.Errorf("mention(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
