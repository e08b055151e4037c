package dingtalk

import (
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// Render builds DingTalk's markdown from a neutral message: the heading in
// the tone's colour with the keyword, one "**label**：value" line per field,
// digest items as coloured bullets with their links, the console link (or an
// actionCard's button) and the mentions written as @… as DingTalk requires.
// Job text never makes a link, a mention or a line of its own.
func TestRender(t *testing.T) {
	hostile := "x](http://evil) @13900000000\n# head <font>"
	cases := []struct {
		name   string
		m      channel.Message
		typ    string
		has    []string
		hasNot []string
	}{
		{name: "fields", m: channel.Message{Title: "DLC任务通知：a 失败", Tone: channel.ToneBad, Keyword: "PAI",
			Fields:   []channel.Field{{Label: "任务名称", Value: "a"}, {Label: "Job ID", Value: "dlc1"}},
			LinkText: "在控制台查看", LinkURL: "https://pai.console.aliyun.com/?a=1",
			Mentions: channel.Mentions{Mobiles: []string{"138 0000 0000"}, UserIDs: []string{"u1"}, All: true}},
			typ: TypeMarkdown,
			has: []string{"#### [PAI] <font color=\"#FF0000\">DLC任务通知：a 失败</font>\n\n**任务名称**：a  \n**Job ID**: dlc1",
				"\n\n[在控制台查看](https://pai.console.aliyun.com/?a=1)", "\n\n@13800000000 @u1"}},
		{name: "items and footer", m: channel.Message{Title: "PAI任务通知：2个任务", Tone: channel.ToneGood,
			Items:  []channel.Item{{Text: "成功 a", URL: "https://h/a", Tone: channel.ToneGood}, {Text: "失败 b", Tone: channel.ToneBad}},
			Footer: "… 另有 3 个任务"},
			typ: TypeMarkdown,
			has: []string{"- <font color=\"#00B42A\">●</font> [成功 a](https://h/a)\n- <font color=\"#FF0000\">●</font> 失败 b\n… 另有 3 个任务"}},
		{name: "action card", m: channel.Message{Title: "t", Format: "actionCard", LinkText: "查看", LinkURL: "https://h/x"},
			typ: TypeActionCard, hasNot: []string{"[查看]"}},
		{name: "action card without link is markdown", m: channel.Message{Title: "t", Format: "actionCard"}, typ: TypeMarkdown},
		{name: "hostile text", m: channel.Message{Title: hostile, Fields: []channel.Field{{Label: hostile, Value: hostile}},
			Items: []channel.Item{{Text: hostile, URL: "javascript:alert(1)"}}, Footer: hostile, LinkText: hostile, LinkURL: "https://h/ok"},
			typ: TypeMarkdown, hasNot: []string{"](http://evil", "@139", "<font>", "\n#", "javascript"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Render(c.m)
			if d.Type != c.typ {
				t.Errorf("type %q, want %q", d.Type, c.typ)
			}
			for _, s := range c.has {
				if !strings.Contains(d.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, d.Text)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(d.Text, s) {
					t.Errorf("text has %q:\n%s", s, d.Text)
				}
			}
			if n := strings.Count(d.Text, "]("); n > 1+len(c.m.Items) {
				t.Errorf("%d links in:\n%s", n, d.Text)
			}
			if _, err := Body(d); err != nil {
				t.Errorf("Body: %v", err)
			}
		})
	}
	d := Render(channel.Message{Title: "t", Keyword: "PAI", Mentions: channel.Mentions{Mobiles: []string{"13800000000"}, All: true}})
	if d.Title != "[PAI] t" || len(d.AtMobiles) != 1 || !d.AtAll {
		t.Errorf("title %q, at %v %v", d.Title, d.AtMobiles, d.AtAll)
	}
}

// Bound is never below the real body: Fit trusts it to skip measuring.
func FuzzBound(f *testing.F) {
	f.Add("t", "kw", "label", "value", "item", "https://h/x?a=b c", "13800000000", "foot", byte(0))
	f.Add(`"\@<](#`, "\n", "名\"<@", "\u2028\xff", "[x](y)", "https://例子.com/(a)<b>", `"u"`, "", byte(3))
	f.Add("", "", "", "", "", "", strings.Repeat(`"\`, 500)+strings.Repeat("\xff", 500), "", byte(0))
	f.Fuzz(func(t *testing.T, title, kw, label, value, item, link, mention, footer string, flags byte) {
		m := channel.Message{Title: title, Keyword: kw, Footer: footer, LinkText: label, LinkURL: link,
			Fields:   []channel.Field{{Label: label, Value: value}, {Label: value, Value: title}},
			Items:    []channel.Item{{Text: item, URL: link}, {Text: value}},
			Mentions: channel.Mentions{Mobiles: []string{mention}, UserIDs: []string{mention, kw}, All: flags&1 != 0}}
		if flags&2 != 0 {
			m.Format, m.Items = "actionCard", nil
		}
		b, err := Body(Render(m))
		if err != nil {
			return
		}
		if got := Bound(m); got < len(b) {
			t.Fatalf("Bound %d < body %d bytes for %+v", got, len(b), m)
		}
	})
}
