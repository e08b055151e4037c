package dingtalk

import (
	"strings"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/markdown"
)

// FormatActionCard is the channel.Message Format that asks for an
// actionCard (one button to the console) instead of markdown.
const FormatActionCard = TypeActionCard

// Render turns a channel-neutral message into the robot message DingTalk
// receives. Every text of m is escaped for DingTalk's markdown (escape), so
// only the lines built here carry markup:
//
//	#### [keyword] <font color="…">title</font>
//
//	**label**：value  (two spaces: DingTalk renders the break)
//	- <font color="…">●</font> [item](console link)
//	footer
//
//	[link text](console link)   (an actionCard's button instead)
//
//	@mobile @userid
//
// DingTalk notifies only mobiles and user ids that also appear as "@…" in
// the text, so Render writes them there as well as in "at".
func Render(m channel.Message) Message {
	kw := keywordPrefix(m.Keyword)
	title := kw + escape(m.Title)
	link := markdown.LinkURL(m.LinkURL)
	card := strings.EqualFold(m.Format, FormatActionCard) && link != ""

	var b strings.Builder
	n := 256 + len(m.Title) + len(m.Footer)
	for _, f := range m.Fields {
		n += len(f.Label) + len(f.Value) + 16
	}
	for _, it := range m.Items {
		n += len(it.Text) + len(it.URL) + 48
	}
	b.Grow(n)
	b.WriteString("#### ")
	b.WriteString(kw)
	b.WriteString(fontTag(m.Tone))
	b.WriteString(escape(m.Title))
	b.WriteString("</font>")
	for i, f := range m.Fields {
		if i == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteString("  \n")
		}
		label := escape(f.Label)
		if label != "" {
			b.WriteString("**")
			b.WriteString(label)
			b.WriteString("**")
			b.WriteString(separator(label))
		}
		b.WriteString(escape(f.Value))
	}
	for i, it := range m.Items {
		if i == 0 {
			b.WriteString("\n\n")
		} else {
			b.WriteByte('\n')
		}
		b.WriteString("- ")
		b.WriteString(fontTag(it.Tone))
		b.WriteString("●</font> ")
		if u := markdown.LinkURL(it.URL); u != "" {
			b.WriteString("[" + linkText(it.Text) + "](" + u + ")")
		} else {
			b.WriteString(escape(it.Text))
		}
	}
	if f := escape(m.Footer); f != "" {
		if len(m.Fields)+len(m.Items) == 0 {
			b.WriteString("\n\n")
		} else if len(m.Items) > 0 {
			b.WriteByte('\n')
		} else {
			b.WriteString("  \n")
		}
		b.WriteString(f)
	}
	if link != "" && !card { // a card's button already is the link
		text := linkText(m.LinkText)
		if text == "" {
			text = link
		}
		b.WriteString("\n\n[" + text + "](" + link + ")")
	}
	out := Message{Type: TypeMarkdown, Title: title, AtAll: m.Mentions.All}
	var at []string
	for _, s := range m.Mentions.Mobiles {
		if s = mention(s); s != "" {
			out.AtMobiles = append(out.AtMobiles, s)
			at = append(at, "@"+s)
		}
	}
	for _, s := range m.Mentions.UserIDs {
		if s = mention(s); s != "" {
			out.AtUserIDs = append(out.AtUserIDs, s)
			at = append(at, "@"+s)
		}
	}
	if len(at) > 0 {
		b.WriteString("\n\n")
		b.WriteString(strings.Join(at, " "))
	}
	out.Text = b.String()
	if card {
		out.Type = TypeActionCard
		out.ButtonTitle = escape(m.LinkText)
		if out.ButtonTitle == "" {
			out.ButtonTitle = "→"
		}
		out.ButtonURL = link
	}
	return out
}

// keywordPrefix is the keyword as it opens titles and headings. It is
// written as typed (only kept on one line): DingTalk compares it byte for
// byte, so escaping it would fail the robot's keyword check. It goes into
// both title and text because which of the two DingTalk checks is not
// documented for markdown.
func keywordPrefix(kw string) string {
	kw = strings.TrimSpace(markdown.OneLine(kw))
	if kw == "" {
		return ""
	}
	return "[" + kw + "] "
}

// separator is what goes between a label and its value: the full-width
// colon after a Chinese label, as PAI writes it, else ": ".
func separator(label string) string {
	for _, r := range label {
		if r >= utf8.RuneSelf {
			return "："
		}
	}
	return ": "
}

// fontTag opens a <font> in a tone's colour: red for failure, green for
// success, blue otherwise. Six-digit hex, since named colours reportedly
// render only on the PC client.
func fontTag(t channel.Tone) string {
	switch t {
	case channel.ToneBad:
		return `<font color="#FF0000">`
	case channel.ToneGood:
		return `<font color="#00B42A">`
	}
	return `<font color="#1677FF">`
}

// Bound implements channel.Bounder: an upper bound on len(Body(m)) that
// costs no rendering. Render writes each text of m at most three bytes per
// byte (a look-alike such as '＠' for '@' is three bytes; JSON doubles only
// '"' and '\\', which escape leaves one byte long), links at most three
// (percent-encoding), the title and keyword twice (title and heading), each
// mention twice, three bytes per byte each time (in the text and in "at"), and a
// fixed amount of markup per line and per message. FuzzBound holds it to
// that.
func (c *Client) Bound(m channel.Message) int { return Bound(m) }

// Bound is Client.Bound.
func Bound(m channel.Message) int {
	n := 2*len(m.Title) + 2*len(m.Keyword) + len(m.Footer) + len(m.LinkText) + len(m.LinkURL)
	for _, f := range m.Fields {
		n += len(f.Label) + len(f.Value)
	}
	for _, it := range m.Items {
		n += len(it.Text) + len(it.URL)
	}
	n *= 3
	for _, s := range m.Mentions.Mobiles {
		n += 6*len(s) + 8
	}
	for _, s := range m.Mentions.UserIDs {
		n += 6*len(s) + 8
	}
	return n + 96*(len(m.Fields)+len(m.Items)) + 512
}
