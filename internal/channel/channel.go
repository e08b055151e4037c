// Package channel is the contract between the notifier and the chat services
// it posts to. A notification is first said in no service's markup (Message);
// each service's package (wecom, lark, slack, webhook, and dingtalk) turns it
// into that service's request body, signs it, sends it and classifies the
// answer into the Classes below, so that retries, budgets and hints work the
// same way for every service.
//
// What every service's package shares has one owner here: sending
// (Sender, Post, Exchange: no redirects, the whole answer redacted before it
// is judged or quoted), finishing a failure (Finish: redact, then cut, name,
// hint), and the small text helpers (Snippet, Cut, JSON, HTTPURL). The
// markdown subpackage escapes job text for robot markdown; channeltest is
// what the fake services and the channels' tests share.
//
// Adding a service is one new package that implements Channel and one
// registration line; nothing else in the notifier names a service.
package channel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Tone is how a message should feel: channels map it to a colour, a card
// template or an emoji where they have one.
type Tone int

const (
	ToneInfo Tone = iota // neither good nor bad: queued, running, a test message
	ToneGood             // succeeded
	ToneBad              // failed, timed out, preempted
)

// Field is one "label: value" line of a message. Both are plain text: the
// channel escapes them for its markup, so a job name can never inject a
// link or a mention.
type Field struct {
	Label string
	Value string
}

// Item is one line of a digest: plain text, an optional link to the task's
// console page, and its tone.
type Item struct {
	Text string
	URL  string
	Tone Tone
}

// Mentions are the people a message must really notify. Each channel spells
// them its own way (DingTalk @mobile in the text, WeCom <@userid>, Lark <at>,
// Slack <@U…>) and must choose a form its service honours.
type Mentions struct {
	Mobiles []string
	UserIDs []string
	All     bool
}

// IsZero reports whether nobody is mentioned.
func (m Mentions) IsZero() bool { return len(m.Mobiles) == 0 && len(m.UserIDs) == 0 && !m.All }

// Message is one notification in no service's markup. Every text in it is
// plain and unescaped.
type Message struct {
	Title    string  // one line; the preview in the chat list
	Tone     Tone    // colour or emoji where the channel has one
	Fields   []Field // "label: value" lines, in order
	Items    []Item  // digest lines, in order (empty for a single task)
	Footer   string  // a closing line, e.g. "… and 12 more tasks: see the console"
	LinkText string  // the console link's label
	LinkURL  string  // the console link; "" for none
	Mentions Mentions
	Keyword  string // a security keyword the service requires in every message ("" for none)
	// Format is a presentation the rule chose that only some services
	// have ("actionCard" for DingTalk); a channel ignores a Format it does
	// not know and uses its default.
	Format string

	// Tasks are the tasks the message is about, as data rather than text:
	// one for a single task, every task of a digest, none for a test
	// message. Channels that post data (the signed webhook) send them;
	// chat channels ignore them and show only the text above.
	Tasks []Task
}

// Task is one PAI task as plain data, for channels whose receivers are
// programs rather than people. Zero values mean "not known"; the values are
// PAI's own (status spelled as PAI sent it), not translated.
type Task struct {
	EventID       string    // the event's id: with Source, what a receiver deduplicates on
	EventTime     time.Time // when PAI reported the state
	Source        string    // "dlc" or "paiflow"
	JobID         string    // DLC job id or PAIFlow pipeline run id
	JobName       string    // display name
	JobType       string    // e.g. PyTorchJob
	Status        string    // e.g. "Failed"
	WorkspaceID   string
	WorkspaceName string
	Region        string
	OwnerID       string // the creator's UID
	OwnerName     string
	Created       time.Time
	Started       time.Time
	Finished      time.Time
	Duration      time.Duration
	ReasonCode    string
	ReasonMessage string
	ConsoleURL    string
}

// Target is where a message goes: a webhook URL (which often carries the
// credential itself: a token, a key or a secret path) and an optional
// signing secret.
type Target struct {
	Webhook secret.String
	Secret  secret.String
}

// Channel is one chat service.
type Channel interface {
	// Name is the rules document's target.type: "dingtalk", "wecom", ...
	Name() string
	// MaxBodyBytes is the service's limit on a whole request body.
	MaxBodyBytes() int
	// Body is the exact JSON the service receives for m, less any signature
	// fields that depend on the time of sending. Renderers use it to fit a
	// message under MaxBodyBytes.
	Body(m Message) ([]byte, error)
	// Send signs and posts m to t. Every failure is an *Error, and no error
	// text holds the webhook's credential or the secret.
	Send(ctx context.Context, t Target, m Message) error
}

// Bounder is implemented by channels that can bound a body's size without
// building it: Bound(m) >= len(Body(m)) for every m. Renderers use it to
// skip measuring a message that surely fits; a channel without it is
// measured with Body.
type Bounder interface {
	Bound(m Message) int
}

// Class groups failures by what the caller should do about them. The split
// that matters is Retryable: a retryable failure may succeed if sent again
// later; a permanent one needs a person to change something.
type Class int

const (
	ClassUnknown     Class = iota // an answer we do not know: permanent, not retried
	ClassNetwork                  // no answer: refused, DNS, TLS, timeout (retryable)
	ClassServer                   // HTTP 5xx (retryable)
	ClassBusy                     // the service says it is busy (retryable)
	ClassRateLimited              // too many messages: retry after the service's window
	ClassAuth                     // token, key, signature, keyword, timestamp, IP allow-list
	ClassTargetGone               // group dissolved, robot or webhook disabled or removed
	ClassContent                  // content rejected by the service's review
	ClassBadRequest               // malformed request: a bug or a wrong URL
	ClassTooLarge                 // body over the service's limit
)

var classNames = [...]string{
	ClassUnknown:     "unknown",
	ClassNetwork:     "network",
	ClassServer:      "server",
	ClassBusy:        "busy",
	ClassRateLimited: "rate-limited",
	ClassAuth:        "auth",
	ClassTargetGone:  "target-gone",
	ClassContent:     "content",
	ClassBadRequest:  "bad-request",
	ClassTooLarge:    "too-large",
}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Retryable reports whether a failure of this class may succeed later
// without anyone changing the configuration or the message.
func (c Class) Retryable() bool {
	switch c {
	case ClassNetwork, ClassServer, ClassBusy, ClassRateLimited:
		return true
	}
	return false
}

// Error is a failed send, from any channel. It never holds a credential:
// channels redact transport errors and answer text before building one.
type Error struct {
	Channel    string        // Channel.Name()
	Class      Class         // what to do about it
	Code       int           // the service's own error code; 0 when none
	Msg        string        // the service's message, or what went wrong locally (redacted)
	HTTPStatus int           // 0 when there was no HTTP answer
	RetryAfter time.Duration // the service's Retry-After, when it sent one
	Hint       string        // plain words, Chinese then English: what the user should do
	Err        error         // underlying transport error, redacted
}

// Retryable reports whether sending the same message again later may work.
func (e *Error) Retryable() bool { return e != nil && e.Class.Retryable() }

func (e *Error) Unwrap() error { return e.Err }

// GoString keeps %#v from walking into the wrapped error's fields.
func (e *Error) GoString() string {
	if e == nil {
		return "(*channel.Error)(nil)"
	}
	err := ""
	if e.Err != nil {
		err = e.Err.Error()
	}
	return fmt.Sprintf("&channel.Error{Channel:%q, Class:%s, Code:%d, Msg:%q, HTTPStatus:%d, RetryAfter:%s, Hint:%q, Err:%q}",
		e.Channel, e.Class, e.Code, e.Msg, e.HTTPStatus, e.RetryAfter, e.Hint, err)
}

func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	var b strings.Builder
	b.WriteString(e.Channel)
	b.WriteString(": ")
	b.WriteString(e.Class.String())
	if e.Class.Retryable() {
		b.WriteString(" (retryable)")
	} else {
		b.WriteString(" (permanent)")
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, ": code %d", e.Code)
	}
	if e.HTTPStatus != 0 && e.HTTPStatus != 200 {
		fmt.Fprintf(&b, ": HTTP %d", e.HTTPStatus)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ": retry after %s", e.RetryAfter)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}
