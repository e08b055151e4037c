package message

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
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
		{"# heading\n> quote\n- item", "# heading > quote - item"},
		{"显存不足 CUDA OOM", "显存不足 CUDA OOM"},
		{"", ""},
	} {
		got := inline(c.in)
		if got != c.want {
			t.Errorf("inline(%q) = %q, want %q", c.in, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("inline(%q) = %q is not valid UTF-8", c.in, got)
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

func TestConsoleLink(t *testing.T) {
	const pai = "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=1#/job/detail?jobId=dlc1&page=jobs"
	for _, c := range []struct{ in, want string }{
		{pai, pai},
		{"", ""},
		{"javascript:alert(1)", ""},
		{"dingtalk://dingtalkclient/page/link?url=x", ""},
		{"https:///nohost", ""},
		{"https://h/a(b)c", "https://h/a%28b%29c"},
		{"https://h/x) [y](http://evil", ""}, // space makes url.Parse fail? either dropped or encoded
		{"https://h/" + strings.Repeat("a", maxURLBytes), ""},
	} {
		got := consoleLink(c.in)
		if c.in == "https://h/x) [y](http://evil" {
			if strings.ContainsAny(got, "() ") {
				t.Errorf("consoleLink(%q) = %q still holds characters that end a markdown link", c.in, got)
			}
			continue
		}
		if got != c.want {
			t.Errorf("consoleLink(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// jsonLen must agree with encoding/json (HTML escaping off) byte for byte:
// the digest packs lines by it.
func TestJSONLenMatchesEncoder(t *testing.T) {
	alphabet := []string{"a", "中", "😀", "\"", "\\", "\n", "\r", "\t", "\x00", "\x1f", "<", ">", "&", "\u2028", "\u2029", "\xff", "\xe4\xb8", "\u007f", "\u0085"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		want := encodedLen(t, s)
		if got := jsonLen(s); got != want {
			t.Fatalf("jsonLen(%q) = %d, encoding/json writes %d", s, got, want)
		}
	}
}

func encodedLen(t *testing.T, s string) int {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return b.Len() - 3 // quotes and the newline Encode appends
}

func TestCutJSON(t *testing.T) {
	s := `ab"中😀\` + "\n" + `é`
	total := jsonLen(s)
	for budget := -1; budget <= total+1; budget++ {
		got := cutJSON(s, budget)
		if !utf8.ValidString(got) {
			t.Fatalf("cutJSON(%q, %d) = %q: not valid UTF-8", s, budget, got)
		}
		if !strings.HasPrefix(s, got) {
			t.Fatalf("cutJSON(%q, %d) = %q: not a prefix", s, budget, got)
		}
		if n := jsonLen(got); n > budget && got != "" {
			t.Fatalf("cutJSON(%q, %d) = %q takes %d bytes", s, budget, got, n)
		}
		// Maximal: one more rune would not fit.
		if len(got) < len(s) {
			_, size := utf8.DecodeRuneInString(s[len(got):])
			if jsonLen(s[:len(got)+size]) <= budget {
				t.Fatalf("cutJSON(%q, %d) = %q stops early", s, budget, got)
			}
		}
	}
}

func TestShorten(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"中文名字很长", 4, "中文名…"},
	} {
		if got := shorten(c.in, c.max); got != c.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
}
