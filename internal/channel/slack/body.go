package slack

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// Slack's limits on a message, as Block Kit documents them
// (https://api.slack.com/reference/block-kit/blocks): at most 50 blocks, a
// section's text at most 3000 characters, a header's at most 150.
const (
	MaxBlocks      = 50
	MaxSectionText = 3000
	MaxHeaderText  = 150
	// MaxBodyBytes is our own bound on a whole request. Slack documents no
	// byte limit for an incoming webhook; it truncates a message's text past
	// 40,000 characters (https://api.slack.com/methods/chat.postMessage,
	// "Truncating content"), so a body under 40,000 bytes is never cut.
	MaxBodyBytes = 40000
)

// Wire form of an incoming-webhook message
// (https://api.slack.com/messaging/webhooks): "text" is the notification
// fallback and is required with "blocks".
type (
	wireText struct {
		Type  string `json:"type"` // "plain_text" or "mrkdwn"
		Text  string `json:"text"`
		Emoji bool   `json:"emoji,omitempty"`
	}
	wireBlock struct {
		Type     string     `json:"type"` // "header", "section" or "context"
		Text     *wireText  `json:"text,omitempty"`
		Elements []wireText `json:"elements,omitempty"`
	}
	wireMessage struct {
		Text   string      `json:"text"`
		Blocks []wireBlock `json:"blocks"`
	}
)

// Escape makes plain text safe inside Slack mrkdwn: &, < and > become
// &amp; &lt; &gt; (https://api.slack.com/reference/surfaces/formatting#escaping),
// so a job name can never open a link (<http://evil|x>), a user mention
// (<@U…>) or a broadcast (<!channel>). Only these three are special to Slack;
// *bold* and _italic_ marks may still format a word but cannot link or notify.
func Escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// escapedLen is how many characters Escape(s) has, without building it.
func escapedLen(s string) int {
	n := 0
	for _, r := range s {
		switch r {
		case '&':
			n += 5
		case '<', '>':
			n += 4
		default:
			n++
		}
	}
	return n
}

// cutEscaped returns Escape(s), cut on a character boundary (never inside
// an entity) so that it has at most max characters, ending in "…" when cut.
func cutEscaped(s string, max int) string {
	if escapedLen(s) <= max {
		return Escape(s)
	}
	n, end := 0, 0
	for i, r := range s {
		w := escapedLen(string(r))
		if n+w > max-1 { // room for "…"
			break
		}
		n += w
		end = i + utf8.RuneLen(r)
	}
	return Escape(s[:end]) + "…"
}

// linkURL reports whether raw is an http(s) URL Slack may link, and writes
// it so that it cannot end the <url|label> token early: &, <, > as entities
// (Slack decodes them back), | and control characters and spaces
// percent-encoded.
func linkURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false
	}
	var b strings.Builder
	for _, r := range raw {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<' || r == '>' || r == '|' || r <= ' ' || r == 0x7f:
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), true
}

// link is a mrkdwn link with an escaped label, at most max characters in
// all, or the escaped label alone when raw is not an http(s) URL (no
// javascript: or slack:// links) or is too long to leave the label room.
func link(raw, label string, max int) string {
	if label == "" {
		label = raw
	}
	u, ok := linkURL(raw)
	room := max - utf8.RuneCountInString(u) - 3 // <, | and >
	if !ok || room < 16 {
		return cutEscaped(label, max)
	}
	return "<" + u + "|" + cutEscaped(label, room) + ">"
}

// ErrMentions is wrapped by Body's error when a message asks for a mention
// Slack cannot express.
var ErrMentions = errors.New("mention Slack cannot express")

// CheckMentions reports whether Slack can notify everyone m names: member
// ids (U… or W…, https://api.slack.com/reference/surfaces/formatting#mentioning-users)
// and <!channel>. Mobile numbers cannot be expressed in Slack; the rules
// validator rejects atMobiles for a slack target with this check.
func CheckMentions(m channel.Mentions) error {
	if len(m.Mobiles) > 0 {
		return fmt.Errorf("slack: atMobiles %v cannot be expressed in Slack, which mentions members by id (U…); use atUserIds: %w", m.Mobiles, ErrMentions)
	}
	for i, id := range m.UserIDs {
		if !ValidUserID(id) {
			return fmt.Errorf("slack: atUserIds[%d] %q is not a Slack member id (U or W followed by capital letters and digits, e.g. U024BE7LH): %w", i, id, ErrMentions)
		}
	}
	return nil
}

// ValidUserID reports whether id looks like a Slack member id: U or W, then
// capital letters and digits. Only such ids are written into <@…>, so an id
// cannot smuggle markup into a message.
func ValidUserID(id string) bool {
	if len(id) < 2 || len(id) > 32 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func mentionText(m channel.Mentions) string {
	parts := make([]string, 0, len(m.UserIDs)+1)
	for _, id := range m.UserIDs {
		parts = append(parts, "<@"+id+">")
	}
	if m.All {
		parts = append(parts, "<!channel>")
	}
	return strings.Join(parts, " ")
}

func toneEmoji(t channel.Tone) string {
	switch t {
	case channel.ToneGood:
		return ":white_check_mark:"
	case channel.ToneBad:
		return ":x:"
	}
	return ":information_source:"
}

// title is the message's title with the keyword in front when the title
// does not already hold it.
func title(m *channel.Message) string {
	if m.Keyword != "" && !strings.Contains(m.Title, m.Keyword) {
		return "[" + m.Keyword + "] " + m.Title
	}
	return m.Title
}

// sections packs lines into as few mrkdwn sections as fit MaxSectionText,
// at most max of them. It returns the sections and how many lines they
// hold. Every line is already escaped and at most MaxSectionText long.
func sections(lines []string, max int) ([]wireBlock, int) {
	var out []wireBlock
	var cur strings.Builder
	curLen, used := 0, 0
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, wireBlock{Type: "section", Text: &wireText{Type: "mrkdwn", Text: cur.String()}})
			cur.Reset()
			curLen = 0
		}
	}
	for _, l := range lines {
		n := utf8.RuneCountInString(l)
		if curLen > 0 && curLen+1+n > MaxSectionText {
			if len(out)+1 >= max {
				break
			}
			flush()
		}
		if max <= 0 {
			break
		}
		if curLen > 0 {
			cur.WriteByte('\n')
			curLen++
		}
		cur.WriteString(l)
		curLen += n
		used++
	}
	flush()
	return out, used
}

// Body returns the exact JSON Slack receives for m: the fallback "text"
// (title and mentions, what a phone notification shows) and the blocks: a
// header with the tone's emoji, the mentions, the fields, the digest
// items, the console link and the footer. Every text from m is escaped.
//
// A digest is fitted to Slack's limits: items fill sections of at most
// MaxSectionText characters, the blocks stay at most MaxBlocks, and the body
// under MaxBodyBytes; items that do not fit are dropped from the end and
// counted in a last "… +N" line. A field longer than a section is cut
// with "…". A mention Slack cannot express (a mobile number, a malformed
// member id) is an error wrapping ErrMentions.
func Body(m channel.Message) ([]byte, error) {
	if err := CheckMentions(m.Mentions); err != nil {
		return nil, err
	}
	body, err := encode(build(&m, len(m.Items)))
	if err != nil || len(body) <= MaxBodyBytes || len(m.Items) == 0 {
		return body, err
	}
	// The body grows with the items shown: find the most that fit.
	lo, hi := 0, len(m.Items)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		b, err := encode(build(&m, mid))
		if err != nil {
			return nil, err
		}
		if len(b) <= MaxBodyBytes {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return encode(build(&m, lo))
}

// build lays out m with at most maxItems digest items.
func build(m *channel.Message, maxItems int) *wireMessage {
	mentions := mentionText(m.Mentions)
	// Slack refuses an empty "text" (no_text) and an empty header.
	head := strings.TrimSpace(title(m))
	if head == "" {
		head = "PAI"
	}
	w := &wireMessage{Text: cutEscaped(head, MaxSectionText)}
	if mentions != "" {
		w.Text += " " + mentions
	}
	w.Blocks = append(w.Blocks, wireBlock{Type: "header", Text: &wireText{
		// plain_text is never parsed for links or mentions, but Slack
		// stores message text with &, <, > as entities and decodes them
		// for display, so it is escaped like the rest: the same rule
		// everywhere, and no way in for markup should a client parse it.
		Type: "plain_text", Text: toneEmoji(m.Tone) + " " + cutEscaped(head, MaxHeaderText-len(toneEmoji(m.Tone))-1), Emoji: true,
	}})
	if mentions != "" {
		w.Blocks = append(w.Blocks, wireBlock{Type: "section", Text: &wireText{Type: "mrkdwn", Text: mentions}})
	}
	var tail []wireBlock
	if m.LinkURL != "" {
		label := m.LinkText
		if label == "" {
			label = m.LinkURL
		}
		s := link(m.LinkURL, label, MaxSectionText)
		if _, ok := linkURL(m.LinkURL); !ok {
			s = cutEscaped(label+": "+m.LinkURL, MaxSectionText)
		}
		tail = append(tail, wireBlock{Type: "section", Text: &wireText{Type: "mrkdwn", Text: s}})
	}
	if m.Footer != "" {
		tail = append(tail, wireBlock{Type: "context", Elements: []wireText{{Type: "mrkdwn", Text: cutEscaped(m.Footer, MaxSectionText)}}})
	}

	if len(m.Fields) > 0 {
		lines := make([]string, 0, len(m.Fields))
		for _, f := range m.Fields {
			if f.Label == "" {
				lines = append(lines, cutEscaped(f.Value, MaxSectionText))
				continue
			}
			label := "*" + cutEscaped(f.Label, 200) + ":* "
			lines = append(lines, label+cutEscaped(f.Value, MaxSectionText-utf8.RuneCountInString(label)))
		}
		// Fields are the message itself: they get every block left but
		// one for the items and the tail. Fields past those blocks would
		// be dropped, but they would be some 140,000 characters, far over
		// MaxBodyBytes, which the renderer keeps a message under.
		blocks, _ := sections(lines, MaxBlocks-len(w.Blocks)-len(tail)-1)
		w.Blocks = append(w.Blocks, blocks...)
	}

	items := m.Items[:min(maxItems, len(m.Items))]
	if len(m.Items) > 0 {
		lines := make([]string, 0, len(items)+1)
		for _, it := range items {
			line := "• " + toneEmoji(it.Tone) + " "
			lines = append(lines, line+link(it.URL, it.Text, MaxSectionText-utf8.RuneCountInString(line)))
		}
		room := MaxBlocks - len(w.Blocks) - len(tail)
		blocks, shown := sections(lines, room)
		if shown < len(m.Items) {
			// Leave room for the "… +N" line: re-pack with one line less
			// until the note fits in the blocks and its section.
			for {
				note := "… +" + strconv.Itoa(len(m.Items)-shown)
				var used int
				blocks, used = sections(append(lines[:shown:shown], note), room)
				if used == shown+1 || shown == 0 {
					break
				}
				shown--
			}
		}
		w.Blocks = append(w.Blocks, blocks...)
	}
	w.Blocks = append(w.Blocks, tail...)
	return w
}

func encode(w *wireMessage) ([]byte, error) {
	b, err := channel.JSON(w)
	if err != nil {
		return nil, fmt.Errorf("slack: encode body: %w", err)
	}
	return b, nil
}
