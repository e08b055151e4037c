package wecom

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/golden"
)

// Messages the goldens and the end-to-end tests share.
var (
	failed = channel.Message{
		Title: "DLC 任务失败: train-resnet50",
		Tone:  channel.ToneBad,
		Fields: []channel.Field{
			{Label: "任务", Value: "train-resnet50 (dlc1a2b3c4d)"},
			{Label: "工作空间", Value: "ws-prod"},
			{Label: "原因", Value: "OOMKilled: worker-0 exceeded its memory limit"},
		},
		LinkText: "在控制台查看",
		LinkURL:  "https://pai.console.aliyun.com/?regionId=cn-hangzhou#/dlc/jobs/dlc1a2b3c4d",
		Mentions: channel.Mentions{UserIDs: []string{"zhangsan", "lisi"}},
		Keyword:  "PAI",
	}
	digest = channel.Message{
		Title: "3 tasks changed state",
		Tone:  channel.ToneInfo,
		Items: []channel.Item{
			{Text: "train-a succeeded", URL: "https://pai.console.aliyun.com/#/dlc/jobs/dlc1", Tone: channel.ToneGood},
			{Text: "train-b failed", URL: "https://pai.console.aliyun.com/#/dlc/jobs/dlc2", Tone: channel.ToneBad},
			{Text: "train-c running", Tone: channel.ToneInfo},
		},
		Footer: "… and 12 more tasks: see the console",
	}
	paged = channel.Message{
		Title:    "DSW instance stopped: notebook-1",
		Tone:     channel.ToneBad,
		Fields:   []channel.Field{{Label: "Instance", Value: "notebook-1"}},
		Mentions: channel.Mentions{Mobiles: []string{"13800000000", " 139 0000 0000\n"}, All: true},
	}
	// hostile is every way we know a job name could try to change the message.
	hostile = channel.Message{
		Title: "[x](http://evil) <@all> **bold**",
		Tone:  channel.ToneBad,
		Fields: []channel.Field{
			{Label: "Job", Value: "[x](http://evil)"},
			{Label: "Mention", Value: "<@all> <@zhangsan>"},
			{Label: "Lark", Value: "<at id=all></at>"},
			{Label: "Line", Value: "ok\n# heading\n> quote\r\n<font color=\"info\">green</font>"},
			{Label: "Code", Value: "`code` *it* &lt;@all&gt; ![img](http://evil/i.png)"},
		},
		Items:    []channel.Item{{Text: "a](http://evil) [b", URL: "javascript:alert(1)"}},
		LinkText: "]( <@all>",
		LinkURL:  "https://example.com/a b(c)<d>",
	}
)

func TestBodyGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    channel.Message
	}{
		{"failed", failed},
		{"digest", digest},
		{"paged", paged},
		{"hostile", hostile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Body(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			out := golden.JSON(t, b)
			mb, err := mentionBody(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if mb != nil {
				out = append(append(out, "// then, to mention mobiles / everyone:\n"...), golden.JSON(t, mb)...)
			}
			golden.Check(t, tc.name, out)
		})
	}
}

func contentOf(t *testing.T, m channel.Message) string {
	t.Helper()
	b, err := Body(m)
	if err != nil {
		t.Fatal(err)
	}
	var w wireMarkdown
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w.Markdown.Content
}

// TestBodyEscapesJobText: whatever a job's text holds, the markdown has only
// the links, mentions and markup the channel built.
func TestBodyEscapesJobText(t *testing.T) {
	c := contentOf(t, hostile)
	for _, bad := range []string{"](http://evil", "<@all>", "<@zhangsan>", "<at", "**bold**", "\n#", "\n>", "`code`", "*it*", "&lt;", "javascript:", "<d>", `<font color="info">green`} {
		if strings.Contains(c, bad) {
			t.Errorf("content holds %q:\n%s", bad, c)
		}
	}
	if n := strings.Count(c, "]("); n != 1 {
		t.Errorf("content has %d links, want only the console link:\n%s", n, c)
	}
	if !strings.Contains(c, "(https://example.com/a%20b%28c%29%3Cd%3E)") {
		t.Errorf("console link not made safe:\n%s", c)
	}
	if n := strings.Count(c, "<font"); n != 2 { // the title and the one item
		t.Errorf("content has %d <font> tags, want 2:\n%s", n, c)
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"train-resnet50", "train-resnet50"},
		{"  padded\t", "padded"},
		{"a\nb\r\n\nc", "a b c"},
		{"[x](http://evil)", "［x］(http://evil)"},
		{"<@all>", "＜@all＞"},
		{"**b** `c` &amp;", "＊＊b＊＊ ｀c｀ ＆amp;"},
		{"my_job_v2 #3 50%", "my_job_v2 #3 50%"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
		{"line\u2028sep", "line sep"},
		{"# heading", "＃ heading"},
	} {
		if got := escape(tc.in); got != tc.want {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMentionForms(t *testing.T) {
	c := contentOf(t, failed)
	if !strings.Contains(c, "\n<@zhangsan> <@lisi>") {
		t.Errorf("userids not mentioned as <@userid>:\n%s", c)
	}
	if mb, _ := mentionBody(failed); mb != nil {
		t.Errorf("userids alone need no text follow-up, got %s", mb)
	}
	mb, err := mentionBody(paged)
	if err != nil || mb == nil {
		t.Fatalf("mentionBody(paged) = %s, %v; want a text message", mb, err)
	}
	var w wireText
	if err := json.Unmarshal(mb, &w); err != nil {
		t.Fatal(err)
	}
	if w.MsgType != "text" || strings.Join(w.Text.MentionedMobileList, ",") != "13800000000,13900000000" ||
		strings.Join(w.Text.MentionedList, ",") != "@all" || w.Text.Content != paged.Title {
		t.Errorf("mention message = %s", mb)
	}
	onlyAll := channel.Message{Mentions: channel.Mentions{All: true}, Keyword: "PAI"}
	mb, _ = mentionBody(onlyAll)
	w = wireText{}
	if err := json.Unmarshal(mb, &w); err != nil || w.Text.Content != "↑\nPAI" || len(w.Text.MentionedMobileList) != 0 {
		t.Errorf("mention message without a title = %s", mb)
	}
}

func TestKeywordIncluded(t *testing.T) {
	if c := contentOf(t, failed); !strings.HasSuffix(c, "\nPAI") {
		t.Errorf("keyword not on the last line:\n%s", c)
	}
	if c := contentOf(t, digest); strings.Contains(c, "PAI") {
		t.Errorf("no keyword configured, yet content holds one:\n%s", c)
	}
}

// TestMaxBodyBytesBoundsContent: a body within MaxBodyBytes never carries
// more than WeCom's 4096 bytes of content, whatever the content is made of.
func TestMaxBodyBytesBoundsContent(t *testing.T) {
	for _, unit := range []string{"a", "\n", "\"", "中", "<", "😀", "\\", "\x01"} {
		for n := 1; ; n++ {
			content := strings.Repeat(unit, n)
			b, err := encode(&wireMarkdown{MsgType: "markdown", Markdown: struct {
				Content string `json:"content"`
			}{content}})
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > MaxBodyBytes {
				break
			}
			if len(content) > MaxContentBytes {
				t.Fatalf("unit %q: body %d bytes (≤ %d) carries %d bytes of content", unit, len(b), MaxBodyBytes, len(content))
			}
		}
	}
	// The bound is tight for plain text: 4096 ASCII bytes fit exactly.
	var w wireMarkdown
	w.MsgType, w.Markdown.Content = "markdown", strings.Repeat("a", MaxContentBytes)
	if b, _ := encode(&w); len(b) != MaxBodyBytes {
		t.Errorf("4096 bytes of ASCII content make a %d-byte body, want exactly %d", len(b), MaxBodyBytes)
	}
}

func BenchmarkBody(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Body(failed); err != nil {
			b.Fatal(err)
		}
	}
}
