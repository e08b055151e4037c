package lark

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/golden"
)

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
		Mentions: channel.Mentions{UserIDs: []string{"ou_7d8a6e6df7621556ce0d21922b676706ccs"}, All: true},
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
	succeeded = channel.Message{
		Title:  "DLC job succeeded: eval-7",
		Tone:   channel.ToneGood,
		Fields: []channel.Field{{Label: "Job", Value: "eval-7"}, {Label: "Duration", Value: "1h02m"}},
	}
	// hostile is every way we know a job name could try to change the card.
	hostile = channel.Message{
		Title: "[x](http://evil) <at id=all></at>\n**bold**",
		Tone:  channel.ToneBad,
		Fields: []channel.Field{
			{Label: "Job", Value: "[x](http://evil)"},
			{Label: "WeCom", Value: "<@all>"},
			{Label: "Lark", Value: "<at id=all></at> <at user_id=\"all\">所有人</at>"},
			{Label: "Line", Value: "ok\n# heading\n- list\r\n<font color='red'>red</font>"},
			{Label: "Code", Value: "`code` *it* ~~strike~~ &lt;at id=all&gt;&lt;/at&gt;"},
		},
		Items:    []channel.Item{{Text: "a](http://evil) [b", URL: "javascript:alert(1)"}},
		Footer:   "# not a heading <at id=all></at>",
		LinkText: "open\n<at id=all></at>",
		LinkURL:  "https://example.com/a b(c)<d>",
	}
)

func TestBodyGolden(t *testing.T) {
	for name, m := range map[string]channel.Message{"failed": failed, "digest": digest, "succeeded": succeeded, "hostile": hostile} {
		t.Run(name, func(t *testing.T) {
			b, err := Body(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > MaxBodyBytes {
				t.Errorf("body is %d bytes, over %d", len(b), MaxBodyBytes)
			}
			golden.Check(t, name, golden.JSON(t, b))
		})
	}
}

// markdownOf is every markdown text of m's card, joined.
func markdownOf(t *testing.T, m channel.Message) (md, title, button string) {
	t.Helper()
	b, err := Body(m)
	if err != nil {
		t.Fatal(err)
	}
	var w wireBody
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, e := range w.Card.Elements {
		if e.Tag == "markdown" {
			parts = append(parts, e.Content)
		}
		for _, a := range e.Actions {
			button = a.Text.Content
		}
	}
	return strings.Join(parts, "\n"), w.Card.Header.Title.Content, button
}

// TestBodyEscapesJobText: whatever a job's text holds, the card has only the
// links, mentions and markup the channel built.
func TestBodyEscapesJobText(t *testing.T) {
	md, title, button := markdownOf(t, hostile)
	for _, bad := range []string{"](http://evil", "<at", "<@all>", "**bold**", "\n#", "\n-", "`code`", "*it*", "~~", "&lt;", "javascript:", "<font color='red'>"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown holds %q:\n%s", bad, md)
		}
	}
	if strings.Count(md, "](") != 0 {
		t.Errorf("markdown has a link, want none (the javascript: item link is dropped):\n%s", md)
	}
	if strings.Count(md, "<font") != 1 { // the one digest line's dot
		t.Errorf("markdown has job-made <font> tags:\n%s", md)
	}
	if strings.ContainsAny(title, "\n") || strings.ContainsAny(button, "\n") {
		t.Errorf("plain_text title %q or button %q spans lines", title, button)
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"train-resnet50", "train-resnet50"},
		{"a\nb\r\n\nc", "a b c"},
		{"[x](http://evil)", "［x］(http://evil)"},
		{"<at id=all></at>", "＜at id=all＞＜/at＞"},
		{"**b** ~~s~~ `c` &amp;", "＊＊b＊＊ ～～s～～ ｀c｀ ＆amp;"},
		{"# h", "＃ h"},
		{"my_job_v2 #3 50%", "my_job_v2 #3 50%"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
	} {
		if got := escape(tc.in); got != tc.want {
			t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMentions(t *testing.T) {
	md, _, _ := markdownOf(t, failed)
	if !strings.Contains(md, "<at id=ou_7d8a6e6df7621556ce0d21922b676706ccs></at> <at id=all></at>\nPAI") {
		t.Errorf("mentions or keyword missing:\n%s", md)
	}
	m := failed
	m.Mentions = channel.Mentions{UserIDs: []string{"ou_a b>c"}}
	if md, _, _ := markdownOf(t, m); !strings.Contains(md, "<at id=ou_abc></at>") {
		t.Errorf("mention id not cleaned:\n%s", md)
	}
	m.Mentions = channel.Mentions{Mobiles: []string{"13800000000"}}
	if _, err := Body(m); err == nil || !strings.Contains(err.Error(), "open id") {
		t.Errorf("Body with mobiles = %v, want an error that names open ids", err)
	}
}

func TestBodyNeverEmpty(t *testing.T) {
	w, err := card(channel.Message{Title: "only a *title*"})
	if err != nil || len(w.Card.Elements) != 1 || w.Card.Elements[0].Content != "only a ＊title＊" {
		t.Errorf("card of a bare title = %+v, %v; want one markdown element", w, err)
	}
}

func TestTemplates(t *testing.T) {
	for tone, want := range map[channel.Tone]string{channel.ToneGood: "green", channel.ToneBad: "red", channel.ToneInfo: "blue"} {
		w, err := card(channel.Message{Title: "x", Tone: tone})
		if err != nil || w.Card.Header.Template != want {
			t.Errorf("tone %v: template %q, want %q", tone, w.Card.Header.Template, want)
		}
	}
}

// TestSignedBodyFits: a body at MaxBodyBytes still fits Lark's limit once
// the timestamp and sign are added.
func TestSignedBodyFits(t *testing.T) {
	w, err := card(succeeded)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := encode(w)
	w.Timestamp, w.Sign = "9999999999", Sign("s", 9999999999)
	signed, _ := encode(w)
	if got := len(signed) - len(plain); got != signFields {
		t.Errorf("signing adds %d bytes, signFields says %d", got, signFields)
	}
	if MaxBodyBytes+signFields != LimitBytes {
		t.Errorf("MaxBodyBytes %d + %d != %d", MaxBodyBytes, signFields, LimitBytes)
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
