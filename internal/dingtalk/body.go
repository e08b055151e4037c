package dingtalk

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Wire forms. Field order is DingTalk's documented order; struct encoding
// keeps it stable so the bytes (and their size) are reproducible.
type (
	wireAt struct {
		AtMobiles []string `json:"atMobiles"`
		AtUserIDs []string `json:"atUserIds"`
		IsAtAll   bool     `json:"isAtAll"`
	}
	wireMarkdown struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
		At wireAt `json:"at"`
	}
	// actionCard has no "at" object: DingTalk ignores it there, mentions
	// only work as @... inside the text.
	wireActionCard struct {
		MsgType    string `json:"msgtype"`
		ActionCard struct {
			Title          string `json:"title"`
			Text           string `json:"text"`
			SingleTitle    string `json:"singleTitle"`
			SingleURL      string `json:"singleURL"`
			BtnOrientation string `json:"btnOrientation"`
		} `json:"actionCard"`
	}
)

func at(m *Message) wireAt {
	a := wireAt{AtMobiles: m.AtMobiles, AtUserIDs: m.AtUserIDs, IsAtAll: m.AtAll}
	// [] rather than null: one spelling for "nobody", whatever the caller passed.
	if a.AtMobiles == nil {
		a.AtMobiles = []string{}
	}
	if a.AtUserIDs == nil {
		a.AtUserIDs = []string{}
	}
	return a
}

// Body returns the exact JSON request body DingTalk receives for m. Text is
// not HTML-escaped: markdown needs <font>, > quotes and & as typed, and
// \u003c escapes would also inflate the body against MaxBodyBytes. An
// unknown Type, or an actionCard without its button, is an error.
func Body(m Message) ([]byte, error) {
	var v any
	switch m.Type {
	case "", TypeMarkdown:
		w := wireMarkdown{MsgType: TypeMarkdown, At: at(&m)}
		w.Markdown.Title, w.Markdown.Text = m.Title, m.Text
		v = &w
	case TypeActionCard:
		if m.ButtonTitle == "" || m.ButtonURL == "" {
			return nil, fmt.Errorf("dingtalk: actionCard message %q needs ButtonTitle and ButtonURL (DingTalk rejects a card without a button)", m.Title)
		}
		w := wireActionCard{MsgType: TypeActionCard}
		c := &w.ActionCard
		c.Title, c.Text, c.SingleTitle, c.SingleURL, c.BtnOrientation = m.Title, m.Text, m.ButtonTitle, m.ButtonURL, "0"
		v = &w
	default:
		return nil, fmt.Errorf("dingtalk: unknown message type %q (want %s or %s)", m.Type, TypeMarkdown, TypeActionCard)
	}
	var buf bytes.Buffer
	buf.Grow(len(m.Title) + len(m.Text) + len(m.ButtonTitle) + len(m.ButtonURL) + 160)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("dingtalk: encode %s body: %w", m.Type, err)
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil // Encode appends '\n'
}
