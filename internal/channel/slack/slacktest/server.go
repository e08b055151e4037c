// Package slacktest is a fake Slack incoming-webhook endpoint for tests and
// the demo. It checks what Slack checks and answers the way Slack answers
// (https://api.slack.com/messaging/webhooks): HTTP 200 "ok", or an HTTP
// status with a plain-text code.
//
// What it checks, in order: the webhook path is one it knows (404
// no_service); the webhook's channel state (410 channel_is_archived, 404
// channel_not_found, 403 action_prohibited); POST with a JSON body (400
// invalid_payload); "text" present, and required beside "blocks" (400
// no_text); Block Kit limits (https://api.slack.com/reference/block-kit/blocks):
// at most 50 blocks, a section's text at most 3000 characters, a header's
// plain text at most 150 (400 invalid_blocks); about one message a second
// per webhook with a small burst (429 rate_limited with Retry-After,
// https://api.slack.com/docs/rate-limits), on a settable clock.
//
// Faults (HTTP statuses, a hang, an odd 200 body) can be scripted per
// webhook; every attempt and every accepted message is recorded, and Render
// shows a message as the channel would.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

// Slack's numbers, as the fake enforces them.
const (
	MaxBlocks      = 50
	MaxSectionText = 3000
	MaxHeaderText  = 150
	MaxElements    = 10 // per context block
	DefaultEvery   = time.Second
	DefaultBurst   = 3
	maxReadBytes   = 1 << 20
)

// Slack's plain-text answers.
const (
	OK                = "ok"
	CodeNoService     = "no_service"
	CodeNotFound      = "channel_not_found"
	CodeArchived      = "channel_is_archived"
	CodeProhibited    = "action_prohibited"
	CodeInvalid       = "invalid_payload"
	CodeNoText        = "no_text"
	CodeInvalidBlocks = "invalid_blocks"
	CodeRateLimited   = "rate_limited"
)

// Server is the fake Slack endpoint (URL, Close and Shutdown come from
// channeltest.Server). Safe for concurrent use.
type Server struct {
	*channeltest.Server
	now     func() time.Time
	every   time.Duration
	burst   int
	maxHang time.Duration

	faults   channeltest.Script[Fault]
	requests channeltest.Log[Request]
	messages channeltest.Log[Received]

	mu    sync.Mutex
	hooks map[string]*hook
}

type hook struct {
	state  string // "" ok, else the code every post gets
	tokens float64
	last   time.Time // when tokens was last brought up to date
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock of the rate limit and of recorded times; tests
// advance it instead of sleeping.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithRate lets each webhook post one message every `every` with bursts of
// up to burst messages (default one a second, burst 3).
func WithRate(every time.Duration, burst int) Option {
	return func(s *Server) { s.every, s.burst = every, burst }
}

// WithMaxHang bounds how long a Hang fault holds a request when the client
// does not give up first (default 30 s; then HTTP 504).
func WithMaxHang(d time.Duration) Option { return func(s *Server) { s.maxHang = d } }

// HookOption sets the state of a webhook added with AddHook.
type HookOption func(*hook)

// Archived: the webhook's channel is archived (410 channel_is_archived).
func Archived() HookOption { return func(h *hook) { h.state = CodeArchived } }

// ChannelNotFound: the webhook's channel was deleted (404 channel_not_found).
func ChannelNotFound() HookOption { return func(h *hook) { h.state = CodeNotFound } }

// Prohibited: an admin restricted posting (403 action_prohibited).
func Prohibited() HookOption { return func(h *hook) { h.state = CodeProhibited } }

// New starts a fake Slack on 127.0.0.1 with a free port. Like
// httptest.NewServer it panics if it cannot listen: it is for tests.
func New(opts ...Option) *Server {
	s, err := NewServer("127.0.0.1:0", opts...)
	if err != nil {
		panic("slacktest: " + err.Error())
	}
	return s
}

// NewServer starts a fake Slack listening on addr (the demo uses a fixed port).
func NewServer(addr string, opts ...Option) (*Server, error) {
	s := &Server{
		now:     time.Now,
		every:   DefaultEvery,
		burst:   DefaultBurst,
		maxHang: channeltest.DefaultMaxHang,
		hooks:   map[string]*hook{},
	}
	for _, o := range opts {
		o(s)
	}
	var err error
	if s.Server, err = channeltest.Listen(addr); err != nil {
		return nil, err
	}
	s.Serve(s)
	return s, nil
}

// AddHook registers the webhook whose secret path is path ("T…/B…/token")
// and returns its URL, s.URL()+"/services/"+path. Adding a path again
// replaces the webhook and refills its burst.
func (s *Server) AddHook(path string, opts ...HookOption) string {
	h := &hook{tokens: float64(s.burst), last: s.now()}
	for _, o := range opts {
		o(h)
	}
	s.mu.Lock()
	s.hooks[path] = h
	s.mu.Unlock()
	return s.URL() + "/services/" + path
}

// Fault is a scripted misbehaviour: StatusFault, HangFault or BodyFault.
type Fault struct {
	kind       string
	status     int
	body       string
	retryAfter string
}

// StatusFault answers with status and the plain-text body (e.g. 500
// "internal_error", or 429 "rate_limited" with retryAfter as the
// Retry-After header when it is not "").
func StatusFault(status int, body, retryAfter string) Fault {
	return Fault{kind: "status", status: status, body: body, retryAfter: retryAfter}
}

// HangFault holds the request without answering until the client gives up,
// the server closes, or WithMaxHang passes (then HTTP 504).
func HangFault() Fault { return Fault{kind: "hang"} }

// BodyFault answers HTTP 200 with body as it is (e.g. a proxy's HTML page).
func BodyFault(body string) Fault { return Fault{kind: "body", status: http.StatusOK, body: body} }

// Fault makes the next n requests to the webhook path (any webhook when
// path is "") misbehave as f, in the order faults were scripted.
func (s *Server) Fault(path string, n int, f Fault) { s.faults.Add(path, n, f) }

// Request is one attempt and the answer it got.
type Request struct {
	Path       string // the webhook path after /services/
	Method     string
	HTTPStatus int    // 0 when the client gave up on a hang
	Answer     string // the plain-text body answered
	RetryAfter string // the Retry-After header answered
	Fault      string // the scripted fault applied, if any
	Time       time.Time
}

// Requests returns a copy of every attempt, oldest first.
func (s *Server) Requests() []Request { return s.requests.All() }

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Received { return s.messages.All() }

// Count returns how many attempts were answered with HTTP status.
func (s *Server) Count(status int) int {
	return s.requests.Count(func(r Request) bool { return r.HTTPStatus == status })
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.Enter()()
	path, ok := strings.CutPrefix(r.URL.Path, "/services/")
	rec := Request{Path: path, Method: r.Method, Time: s.now()}
	s.mu.Lock()
	h := s.hooks[path]
	s.mu.Unlock()
	var f Fault
	faulty := false
	if ok && h != nil {
		if f, faulty = s.faults.Take(path); faulty {
			rec.Fault = f.kind
		}
	}
	id := s.requests.Add(rec)

	switch {
	case !ok || h == nil:
		// Slack's answer for a webhook that was never issued or was revoked.
		s.answer(w, id, http.StatusNotFound, CodeNoService, "")
	case faulty:
		s.fault(w, r, id, f)
	default:
		status, code, retry := s.check(r, path, h)
		s.answer(w, id, status, code, retry)
	}
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, id int, f Fault) {
	switch f.kind {
	case "status", "body":
		s.answer(w, id, f.status, f.body, f.retryAfter)
	case "hang":
		if s.Hold(r, s.maxHang) != channeltest.HangDone {
			panic(http.ErrAbortHandler) // nobody to answer, or drop the connection: no empty 200
		}
		s.answer(w, id, http.StatusGatewayTimeout, channeltest.HangDone, "")
	}
}

// answer writes Slack's kind of answer: a status and a plain-text body.
func (s *Server) answer(w http.ResponseWriter, id, status int, body, retryAfter string) {
	s.requests.Update(id, func(rq *Request) { rq.HTTPStatus, rq.Answer, rq.RetryAfter = status, body, retryAfter })
	channeltest.Write(w, status, "text/html", body, retryAfter) // text/html: what Slack sends with its plain codes
}

// check runs Slack's checks on a known webhook and, when they pass,
// records the message. It returns the status, code and Retry-After.
func (s *Server) check(r *http.Request, path string, h *hook) (int, string, string) {
	switch h.state {
	case CodeArchived:
		return http.StatusGone, CodeArchived, ""
	case CodeNotFound:
		return http.StatusNotFound, CodeNotFound, ""
	case CodeProhibited:
		return http.StatusForbidden, CodeProhibited, ""
	}
	// Slack also takes a form-encoded payload=...; pai-notifier sends JSON,
	// so the fake accepts only that.
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method != http.MethodPost || err != nil || mt != "application/json" {
		return http.StatusBadRequest, CodeInvalid, ""
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxReadBytes))
	if err != nil {
		return http.StatusBadRequest, CodeInvalid, ""
	}
	m, code := Parse(raw)
	if code != "" {
		return http.StatusBadRequest, code, ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	// A token bucket: one message every s.every, up to s.burst at once.
	if s.every > 0 {
		h.tokens = math.Min(float64(s.burst), h.tokens+float64(now.Sub(h.last))/float64(s.every))
		h.last = now
		if h.tokens < 1 {
			wait := time.Duration((1 - h.tokens) * float64(s.every))
			secs := int64(math.Ceil(wait.Seconds()))
			return http.StatusTooManyRequests, CodeRateLimited, strconv.FormatInt(max(secs, 1), 10)
		}
		h.tokens--
	}
	m.Path, m.Raw, m.Time = path, raw, now
	s.messages.Add(m)
	return http.StatusOK, OK, ""
}

// Text is a text object as sent.
type Text struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Block is one block as sent; Texts are its text (a header's or a
// section's) or its context elements.
type Block struct {
	Type  string
	Texts []Text
}

// Link is a mrkdwn link <url|label>.
type Link struct{ URL, Label string }

// Received is one accepted message.
type Received struct {
	Path       string
	Text       string // the fallback "text", as sent
	Blocks     []Block
	Mentions   []string // member ids mentioned with <@…> in any mrkdwn text
	Broadcasts []string // "channel", "here", "everyone" from <!…>
	Links      []Link
	Raw        []byte
	Time       time.Time
}

type wire struct {
	Text   *string           `json:"text"`
	Blocks []json.RawMessage `json:"blocks"`
}

type wireBlock struct {
	Type     string  `json:"type"`
	Text     *Text   `json:"text"`
	Fields   []Text  `json:"fields"`
	Elements []*Text `json:"elements"`
}

// Parse reads a webhook body the way the fake does: the message, or the
// code Slack would answer with HTTP 400 (invalid_payload, no_text,
// invalid_blocks). It is the fake's parser of outside input (a fuzz target).
func Parse(raw []byte) (Received, string) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Received{}, CodeInvalid
	}
	if w.Text == nil || strings.TrimSpace(*w.Text) == "" {
		// Slack needs "text" as the notification's fallback, also when
		// blocks are sent.
		return Received{}, CodeNoText
	}
	if len(w.Blocks) > MaxBlocks {
		return Received{}, CodeInvalidBlocks
	}
	m := Received{Text: *w.Text}
	m.scan(m.Text)
	for _, rb := range w.Blocks {
		var b wireBlock
		if err := json.Unmarshal(rb, &b); err != nil {
			return Received{}, CodeInvalidBlocks
		}
		blk := Block{Type: b.Type}
		switch b.Type {
		case "header":
			if b.Text == nil || b.Text.Type != "plain_text" || b.Text.Text == "" || utf8.RuneCountInString(b.Text.Text) > MaxHeaderText {
				return Received{}, CodeInvalidBlocks
			}
			blk.Texts = []Text{*b.Text}
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				return Received{}, CodeInvalidBlocks
			}
			if b.Text != nil {
				if !validText(b.Text, MaxSectionText) {
					return Received{}, CodeInvalidBlocks
				}
				blk.Texts = append(blk.Texts, *b.Text)
			}
			if len(b.Fields) > 10 {
				return Received{}, CodeInvalidBlocks
			}
			for i := range b.Fields {
				if !validText(&b.Fields[i], 2000) {
					return Received{}, CodeInvalidBlocks
				}
				blk.Texts = append(blk.Texts, b.Fields[i])
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > MaxElements {
				return Received{}, CodeInvalidBlocks
			}
			for _, e := range b.Elements {
				if e == nil || !validText(e, MaxSectionText) {
					return Received{}, CodeInvalidBlocks
				}
				blk.Texts = append(blk.Texts, *e)
			}
		case "divider":
		default:
			// Real Slack knows more block types; the fake knows those
			// pai-notifier could send.
			return Received{}, CodeInvalidBlocks
		}
		for _, t := range blk.Texts {
			if t.Type == "mrkdwn" {
				m.scan(t.Text)
			}
		}
		m.Blocks = append(m.Blocks, blk)
	}
	return m, ""
}

func validText(t *Text, max int) bool {
	return (t.Type == "mrkdwn" || t.Type == "plain_text") && t.Text != "" && utf8.RuneCountInString(t.Text) <= max
}

// scan records the mentions, broadcasts and links in one mrkdwn text.
func (m *Received) scan(text string) {
	for _, tok := range tokens(text) {
		switch {
		case strings.HasPrefix(tok.inner, "@"):
			id, _, _ := strings.Cut(tok.inner[1:], "|")
			m.Mentions = append(m.Mentions, id)
		case strings.HasPrefix(tok.inner, "!"):
			name, _, _ := strings.Cut(tok.inner[1:], "|")
			m.Broadcasts = append(m.Broadcasts, name)
		case strings.HasPrefix(tok.inner, "#"):
		default:
			u, label, _ := strings.Cut(tok.inner, "|")
			m.Links = append(m.Links, Link{URL: unescape(u), Label: unescape(label)})
		}
	}
}

type token struct {
	start, end int // text[start:end] is "<inner>"
	inner      string
}

// tokens finds Slack's control sequences, <…>, in a mrkdwn text. Escaped
// text has no raw < or >, so anything found here is markup Slack acts on.
func tokens(text string) []token {
	var out []token
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '<')
		if j < 0 {
			break
		}
		j += i
		k := strings.IndexByte(text[j+1:], '>')
		if k < 0 {
			break
		}
		k += j + 1
		out = append(out, token{start: j, end: k + 1, inner: text[j+1 : k]})
		i = k + 1
	}
	return out
}

func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// display renders one mrkdwn text as a reader sees it: mentions as @id,
// broadcasts as @channel, links as "label (url)", entities decoded.
func display(text string) string {
	var b strings.Builder
	i := 0
	for _, tok := range tokens(text) {
		b.WriteString(unescape(text[i:tok.start]))
		switch {
		case strings.HasPrefix(tok.inner, "@"), strings.HasPrefix(tok.inner, "!"), strings.HasPrefix(tok.inner, "#"):
			name, label, _ := strings.Cut(tok.inner[1:], "|")
			if label != "" {
				name = label
			}
			b.WriteString("@" + name)
		default:
			u, label, _ := strings.Cut(tok.inner, "|")
			if label == "" {
				b.WriteString(unescape(u))
			} else {
				fmt.Fprintf(&b, "%s (%s)", unescape(label), unescape(u))
			}
		}
		i = tok.end
	}
	b.WriteString(unescape(text[i:]))
	return b.String()
}

// Render shows a message the way the channel would: the notification
// line, then each block (header, sections, context), mrkdwn resolved.
func Render(m Received) string {
	var b strings.Builder
	fmt.Fprintf(&b, "notification: %s\n", display(m.Text))
	for _, blk := range m.Blocks {
		for _, t := range blk.Texts {
			s := unescape(t.Text) // plain_text: entities decoded, nothing parsed
			if t.Type == "mrkdwn" {
				s = display(t.Text)
			}
			switch blk.Type {
			case "header":
				fmt.Fprintf(&b, "# %s\n", s)
			case "context":
				fmt.Fprintf(&b, "  (%s)\n", s)
			default:
				b.WriteString(s + "\n")
			}
		}
		if blk.Type == "divider" {
			b.WriteString("---\n")
		}
	}
	return b.String()
}
