package lark

import (
	"fmt"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/markdown"
)

// LimitBytes is Lark's limit on a custom bot's request body. The custom
// bot guide says 20 KB; read as 20,000 bytes it holds under either meaning.
const LimitBytes = 20000

// signFields is the longest "timestamp" and "sign" pair Send adds to a
// signed body: ten digits of Unix seconds (until the year 2286) and a
// base64 HMAC-SHA256.
const signFields = len(`"timestamp":"1599360473","sign":"3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=",`)

// MaxBodyBytes is the limit Body's output is fitted against: Lark's limit
// less room for the signature fields, so a body that fits still fits once
// signed.
const MaxBodyBytes = LimitBytes - signFields

// Wire form of an interactive card message (message card JSON 1.0, as the
// custom bot guide shows it: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).
type (
	wirePlain struct {
		Tag     string `json:"tag"` // "plain_text"
		Content string `json:"content"`
	}
	wireButton struct {
		Tag  string    `json:"tag"` // "button"
		Text wirePlain `json:"text"`
		Type string    `json:"type"`
		URL  string    `json:"url"`
	}
	wireElement struct {
		Tag     string       `json:"tag"`               // "markdown", "hr" or "action"
		Content string       `json:"content,omitempty"` // markdown
		Actions []wireButton `json:"actions,omitempty"` // action
	}
	wireCard struct {
		Config struct {
			WideScreenMode bool `json:"wide_screen_mode"`
		} `json:"config"`
		Header struct {
			Template string    `json:"template"`
			Title    wirePlain `json:"title"`
		} `json:"header"`
		Elements []wireElement `json:"elements"`
	}
	wireBody struct {
		Timestamp string   `json:"timestamp,omitempty"`
		Sign      string   `json:"sign,omitempty"`
		MsgType   string   `json:"msg_type"`
		Card      wireCard `json:"card"`
	}
)

// Body returns the interactive card Lark receives for m, without the
// timestamp and sign that Send adds for a bot with a secret.
//
// A card rather than a post: its header carries the tone as a colour, its
// markdown element takes <at id=...></at> mentions of open ids and of
// everyone, and the console link is a button. A post has none of the
// colours and spells every line as nested tag arrays.
//
// Mobiles cannot be mentioned: a Lark custom bot mentions open ids
// (ou_...) only, so a message that asks for mobiles is an error rather
// than a notification that silently pages nobody.
func Body(m channel.Message) ([]byte, error) {
	w, err := card(m)
	if err != nil {
		return nil, err
	}
	return encode(w)
}

func card(m channel.Message) (*wireBody, error) {
	if n := len(m.Mentions.Mobiles); n > 0 {
		return nil, fmt.Errorf("lark: cannot mention %d mobile number(s): a Lark custom bot mentions people by open id (ou_...) only; list them as user ids", n)
	}
	w := &wireBody{MsgType: "interactive"}
	c := &w.Card
	c.Config.WideScreenMode = true
	c.Header.Template = template(m.Tone)
	title := strings.TrimSpace(markdown.OneLine(m.Title))
	if title == "" {
		title = "PAI"
	}
	c.Header.Title = wirePlain{Tag: "plain_text", Content: title}

	md := func(lines []string) {
		if len(lines) > 0 {
			c.Elements = append(c.Elements, wireElement{Tag: "markdown", Content: strings.Join(lines, "\n")})
		}
	}
	var lines []string
	for _, f := range m.Fields {
		lines = append(lines, fmt.Sprintf("**%s**: %s", escape(f.Label), escape(f.Value)))
	}
	md(lines)
	lines = lines[:0]
	for _, it := range m.Items {
		dot := fmt.Sprintf("<font color='%s'>●</font> ", fontColor(it.Tone))
		if u := markdown.LinkURL(it.URL); u != "" {
			lines = append(lines, fmt.Sprintf("%s[%s](%s)", dot, escape(it.Text), u))
		} else {
			lines = append(lines, dot+escape(it.Text))
		}
	}
	if m.Footer != "" {
		lines = append(lines, escape(m.Footer))
	}
	md(lines)
	if u := markdown.LinkURL(m.LinkURL); u != "" {
		text := strings.TrimSpace(markdown.OneLine(m.LinkText))
		if text == "" {
			text = u
		}
		c.Elements = append(c.Elements, wireElement{Tag: "action", Actions: []wireButton{{
			Tag: "button", Text: wirePlain{Tag: "plain_text", Content: text}, Type: "primary", URL: u,
		}}})
	}
	lines = lines[:0]
	var at []string
	for _, id := range m.Mentions.UserIDs {
		if id = mentionID(id); id != "" {
			at = append(at, "<at id="+id+"></at>")
		}
	}
	if m.Mentions.All {
		at = append(at, "<at id=all></at>")
	}
	if len(at) > 0 {
		lines = append(lines, strings.Join(at, " "))
	}
	if k := strings.TrimSpace(markdown.OneLine(m.Keyword)); k != "" {
		lines = append(lines, k)
	}
	md(lines)
	if len(c.Elements) == 0 { // Lark refuses a card without elements
		md([]string{escape(title)})
	}
	return w, nil
}

func encode(w *wireBody) ([]byte, error) {
	b, err := channel.JSON(w)
	if err != nil {
		return nil, fmt.Errorf("lark: encode card: %w", err)
	}
	return b, nil
}

// template is the card header's colour for a tone.
func template(t channel.Tone) string {
	switch t {
	case channel.ToneGood:
		return "green"
	case channel.ToneBad:
		return "red"
	}
	return "blue"
}

// fontColor is a digest line's dot colour in card markdown.
func fontColor(t channel.Tone) string {
	switch t {
	case channel.ToneGood:
		return "green"
	case channel.ToneBad:
		return "red"
	}
	return "grey"
}

// escape makes plain text (a job name, a reason, a label) safe inside one
// line of card markdown (markdown.Escape): '<' '>' (no <at id=all></at>,
// no <font>, no tag at all), '[' ']' (no link), '*' '~' '`' (no bold,
// italics, strike-through or code) and '&' (no entity such as &lt; that
// the renderer turns back into '<') become look-alikes.
func escape(s string) string { return markdown.Escape(s, lookalike) }

var lookalike = map[rune]rune{
	'<': '＜', '>': '＞', '[': '［', ']': '］', '*': '＊', '~': '～', '`': '｀', '&': '＆',
}

// mentionID keeps the characters an open id or user id can have (letters,
// digits, "_-."); a space or '>' would break the <at> tag.
func mentionID(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			return r
		}
		return -1
	}, s)
}
