// Package dingtalk speaks to DingTalk custom group robots: 加签 signing, the
// send client, and DingTalk's error codes with what each one means for a
// retry. Package dingtalktest is a faithful stand-in robot server for tests.
package dingtalk

// MaxBodyBytes is DingTalk's limit on a whole request body (errcode 460101).
const MaxBodyBytes = 20000

// Message types this package sends.
const (
	TypeMarkdown   = "markdown"
	TypeActionCard = "actionCard"
)

// Message is one robot message, independent of its wire form.
type Message struct {
	Type  string // TypeMarkdown (default when empty) or TypeActionCard
	Title string // title: the preview in the chat list
	Text  string // markdown text

	// ActionCard single button; ignored for other types.
	ButtonTitle string
	ButtonURL   string

	// Mentions. DingTalk only notifies a mobile or user id that also appears
	// as "@..." in Text; the renderer guarantees that.
	AtMobiles []string
	AtUserIDs []string
	AtAll     bool
}
