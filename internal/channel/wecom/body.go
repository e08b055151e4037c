package wecom

import (
	"fmt"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/markdown"
)

// WeCom's limits on a message's content, in UTF-8 bytes, from the group
// robot guide (https://developer.work.weixin.qq.com/document/path/91770).
const (
	MaxContentBytes     = 4096 // markdown.content
	MaxTextContentBytes = 2048 // text.content
)

// envelope is the markdown body with an empty content.
const envelope = `{"msgtype":"markdown","markdown":{"content":""}}`

// MaxBodyBytes bounds the markdown request body so that its content stays
// within MaxContentBytes. WeCom limits the decoded content, not the body;
// every byte of content takes at least one byte of JSON (a newline or a
// quote takes two), so a body of at most the envelope plus 4096 bytes
// always carries at most 4096 bytes of content. The bound is conservative
// by the escapes only: a renderer that fits the body under it never gets
// 45002 back.
const MaxBodyBytes = len(envelope) + MaxContentBytes

// Wire forms, in WeCom's documented field order.
type (
	wireMarkdown struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	wireText struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content             string   `json:"content"`
			MentionedList       []string `json:"mentioned_list,omitempty"`
			MentionedMobileList []string `json:"mentioned_mobile_list,omitempty"`
		} `json:"text"`
	}
)

// Body returns the markdown message WeCom receives for m. When m mentions
// mobiles or everyone, Send follows it with a short text message (see
// mentionBody) that Body does not include: it is bounded and small, and the
// size limit that renderers fit against is the markdown's.
func Body(m channel.Message) ([]byte, error) {
	var w wireMarkdown
	w.MsgType = "markdown"
	w.Markdown.Content = content(m)
	return encode(&w)
}

// content is the markdown text. WeCom's markdown subset has headings, bold,
// links, inline code, quotes, <font color="info|comment|warning"> and
// <@userid> mentions; every text of m goes through escape, so only the
// lines built here carry markup. No line starts with text from m.
func content(m channel.Message) string {
	var b strings.Builder
	b.Grow(256 + len(m.Title) + len(m.Footer) + 64*(len(m.Fields)+len(m.Items)))
	fmt.Fprintf(&b, `<font color="%s">**%s**</font>`, color(m.Tone), escape(m.Title))
	for _, f := range m.Fields {
		fmt.Fprintf(&b, "\n**%s**: %s", escape(f.Label), escape(f.Value))
	}
	for _, it := range m.Items {
		fmt.Fprintf(&b, "\n"+`<font color="%s">●</font> `, color(it.Tone))
		if u := markdown.LinkURL(it.URL); u != "" {
			fmt.Fprintf(&b, "[%s](%s)", escape(it.Text), u)
		} else {
			b.WriteString(escape(it.Text))
		}
	}
	if m.Footer != "" {
		b.WriteString("\n")
		b.WriteString(escape(m.Footer))
	}
	if u := markdown.LinkURL(m.LinkURL); u != "" {
		text := escape(m.LinkText)
		if text == "" {
			text = u
		}
		fmt.Fprintf(&b, "\n[%s](%s)", text, u)
	}
	var at []string
	for _, id := range m.Mentions.UserIDs {
		if id = mentionID(id); id != "" {
			at = append(at, "<@"+id+">")
		}
	}
	if len(at) > 0 {
		b.WriteString("\n")
		b.WriteString(strings.Join(at, " "))
	}
	if k := keyword(m.Keyword); k != "" {
		b.WriteString("\n")
		b.WriteString(k)
	}
	return b.String()
}

// mentionBody is the text message that makes mobiles and "everyone" really
// notified: WeCom's markdown honours only <@userid> in its content and
// ignores mentioned_list and mentioned_mobile_list, so those ride on a text
// message sent right after the markdown. Its content repeats the title (so
// the ping says what it is about) and the keyword. It returns nil when m
// mentions no mobile and not everyone.
func mentionBody(m channel.Message) ([]byte, error) {
	var mobiles []string
	for _, p := range m.Mentions.Mobiles {
		if p = mentionID(p); p != "" {
			mobiles = append(mobiles, p)
		}
	}
	if len(mobiles) == 0 && !m.Mentions.All {
		return nil, nil
	}
	var w wireText
	w.MsgType = "text"
	text := strings.TrimSpace(markdown.OneLine(m.Title))
	if text == "" {
		text = "↑"
	}
	// A title cut at 512 bytes leaves room for any keyword under 2048.
	w.Text.Content = channel.Cut(text, 512)
	if k := keyword(m.Keyword); k != "" {
		w.Text.Content += "\n" + channel.Cut(k, 512)
	}
	if m.Mentions.All {
		w.Text.MentionedList = []string{"@all"}
	}
	w.Text.MentionedMobileList = mobiles
	return encode(&w)
}

func encode(v any) ([]byte, error) {
	b, err := channel.JSON(v)
	if err != nil {
		return nil, fmt.Errorf("wecom: encode body: %w", err)
	}
	return b, nil
}

// color is WeCom's font colour for a tone: info is green, warning
// orange-red, comment grey.
func color(t channel.Tone) string {
	switch t {
	case channel.ToneGood:
		return "info"
	case channel.ToneBad:
		return "warning"
	}
	return "comment"
}

// escape makes plain text (a job name, a reason, a label) safe inside one
// line of WeCom markdown (markdown.Escape): '<' '>' (no <@userid> mention,
// no <font>, no autolink), '[' ']' (no link), '*' '`' (no bold, no inline
// code) and '&' (no entity a renderer could turn back into '<') become
// look-alikes; '_' stays, since WeCom's subset has no italics and job
// names often hold it.
func escape(s string) string { return markdown.Escape(s, lookalike) }

var lookalike = map[rune]rune{
	'<': '＜', '>': '＞', '[': '［', ']': '］', '*': '＊', '`': '｀', '&': '＆',
}

// keyword is the configured security keyword, on a line of its own. It is
// trusted configuration and must arrive as typed to match; only line breaks
// are removed.
func keyword(k string) string { return strings.TrimSpace(markdown.OneLine(k)) }

// mentionID keeps the characters a WeCom userid or a mobile number can
// have (letters, digits, "_-.@+"); a stray space would stop the mention
// from firing, and '>' would end the <@...> tag early.
func mentionID(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '_', r == '-', r == '.', r == '@', r == '+':
			return r
		}
		return -1
	}, s)
}
