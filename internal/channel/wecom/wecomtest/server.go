// Package wecomtest is a fake WeCom (企业微信) group robot for tests and the
// demo. It checks what WeCom checks (https://developer.work.weixin.qq.com/document/path/91770):
// a POST to /cgi-bin/webhook/send with a known key, a JSON body of a valid
// msgtype with non-empty content, markdown content ≤ 4096 bytes and text
// content ≤ 2048 bytes, and 20 messages a minute per robot. It answers the
// way WeCom answers: HTTP 200 {"errcode":N,"errmsg":"..."}. Faults can be
// scripted, and every request and accepted message is recorded.
package wecomtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

// WeCom's numbers, as the fake enforces them.
const (
	MaxMarkdownBytes = 4096
	MaxTextBytes     = 2048
	DefaultLimit     = 20
	Window           = time.Minute
	// maxReadBytes bounds what the fake reads of a request.
	maxReadBytes = 1 << 20
)

// Errcodes the fake answers with (WeCom's global table:
// https://developer.work.weixin.qq.com/document/path/90313).
const (
	CodeOK           = 0
	CodeBadMsgType   = 40008
	CodeNeedPOST     = 43002
	CodeEmptyContent = 44004
	CodeTooLong      = 45002
	CodeTooFast      = 45009
	CodeBadJSON      = 47001
	CodeBadKey       = 93000
)

// Path is where WeCom robots listen.
const Path = "/cgi-bin/webhook/send"

// msgTypes are the message types a group robot accepts.
var msgTypes = map[string]bool{
	"text": true, "markdown": true, "markdown_v2": true, "image": true,
	"news": true, "file": true, "voice": true, "template_card": true,
}

// Server is the fake robot endpoint (URL, Close and Shutdown come from
// channeltest.Server). Safe for concurrent use.
type Server struct {
	*channeltest.Server
	now     func() time.Time
	limit   int
	maxHang time.Duration

	faults   channeltest.Script[Fault]
	requests channeltest.Log[Request]
	messages channeltest.Log[Received]

	mu     sync.Mutex
	robots map[string][]time.Time // key -> accepted sends in the window
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock of the rate window and of recorded times; tests
// move it instead of sleeping.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLimit sets how many messages a robot accepts per minute (default 20).
func WithLimit(n int) Option { return func(s *Server) { s.limit = n } }

// WithMaxHang bounds how long a Hang fault holds a request when the client
// does not give up first (default 30 s).
func WithMaxHang(d time.Duration) Option { return func(s *Server) { s.maxHang = d } }

// New starts a fake on 127.0.0.1 with a free port. Like httptest.NewServer
// it panics if it cannot listen: it is for tests.
func New(opts ...Option) *Server {
	s, err := NewServer("127.0.0.1:0", opts...)
	if err != nil {
		panic("wecomtest: " + err.Error())
	}
	return s
}

// NewServer starts a fake listening on addr (the demo uses a fixed port).
func NewServer(addr string, opts ...Option) (*Server, error) {
	s := &Server{
		now:     time.Now,
		limit:   DefaultLimit,
		maxHang: channeltest.DefaultMaxHang,
		robots:  map[string][]time.Time{},
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

// AddRobot registers a robot's key and returns its webhook URL. Adding a
// key again resets its rate window.
func (s *Server) AddRobot(key string) string {
	s.mu.Lock()
	s.robots[key] = nil
	s.mu.Unlock()
	return s.URL() + Path + "?key=" + url.QueryEscape(key)
}

// RemoveRobot forgets a key, as when the robot is removed from its group:
// later sends get 93000.
func (s *Server) RemoveRobot(key string) {
	s.mu.Lock()
	delete(s.robots, key)
	s.mu.Unlock()
}

// Fault is a scripted misbehaviour; build one with StatusFault, HangFault,
// ErrcodeFault or BodyFault.
type Fault struct {
	kind       string
	status     int
	code       int
	msg        string
	body       string
	retryAfter string
}

// StatusFault answers with an HTTP status (e.g. 500) and a plain-text body.
func StatusFault(status int) Fault { return Fault{kind: "status", status: status} }

// HangFault holds the request without answering until the client gives up,
// the server closes, or WithMaxHang passes (then HTTP 504).
func HangFault() Fault { return Fault{kind: "hang"} }

// ErrcodeFault answers HTTP 200 {"errcode":code,"errmsg":msg}.
func ErrcodeFault(code int, msg string) Fault { return Fault{kind: "errcode", code: code, msg: msg} }

// BodyFault answers HTTP 200 with body as it is (an HTML page, truncated JSON...).
func BodyFault(body string) Fault { return Fault{kind: "body", body: body} }

// WithRetryAfter adds a Retry-After header to the fault's answer.
func (f Fault) WithRetryAfter(v string) Fault { f.retryAfter = v; return f }

func (f Fault) String() string {
	switch f.kind {
	case "status":
		return fmt.Sprintf("HTTP %d", f.status)
	case "errcode":
		return fmt.Sprintf("errcode %d", f.code)
	}
	return f.kind
}

// Fault makes the next n requests for key (any key when "") misbehave as f,
// in the order faults were scripted.
func (s *Server) Fault(key string, n int, f Fault) { s.faults.Add(key, n, f) }

// Received is one accepted message.
type Received struct {
	Key                 string
	MsgType             string
	Content             string   // markdown or text content
	MentionedList       []string // text only: userids or "@all"
	MentionedMobileList []string // text only: mobiles or "@all"
	Raw                 []byte
	Time                time.Time
}

// Request is one attempt with the answer it got.
type Request struct {
	Key        string
	Method     string
	Path       string
	HTTPStatus int    // 0 while held (Hang), or when the client gave up
	Code       int    // errcode answered (meaningless when Plain)
	Msg        string // errmsg, or the plain body
	Plain      bool   // the answer was not WeCom JSON
	Fault      string // the scripted fault applied, if any
	Time       time.Time
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Received { return s.messages.All() }

// Requests returns a copy of every attempt, oldest first.
func (s *Server) Requests() []Request { return s.requests.All() }

// Count returns how many attempts were answered with errcode code.
func (s *Server) Count(code int) int {
	return s.requests.Count(func(r Request) bool { return !r.Plain && r.HTTPStatus != 0 && r.Code == code })
}

var (
	fontTag = regexp.MustCompile(`<font color="?[a-z]*"?>(.*?)</font>`)
	userTag = regexp.MustCompile(`<@([^>]*)>`)
	link    = regexp.MustCompile(`\[([^\]]*)\]\(([^)]*)\)`)
)

// Render shows a message roughly as the group sees it: markdown without its
// markup (bold, colours), links as "text <url>", <@id> as "@id", and the
// text message's mentions as WeCom appends them ("@所有人", "@mobile").
func Render(m Received) string {
	var b strings.Builder
	switch m.MsgType {
	case "markdown", "markdown_v2":
		c := fontTag.ReplaceAllString(m.Content, "$1")
		c = userTag.ReplaceAllString(c, "@$1")
		c = link.ReplaceAllString(c, "$1 <$2>")
		c = strings.ReplaceAll(c, "**", "")
		b.WriteString(c)
	default:
		b.WriteString(m.Content)
		var at []string
		for _, id := range append(append([]string(nil), m.MentionedList...), m.MentionedMobileList...) {
			if id == "@all" {
				id = "所有人"
			}
			at = append(at, "@"+id)
		}
		if len(at) > 0 {
			b.WriteString("\n" + strings.Join(at, " "))
		}
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	return b.String()
}

// ServeHTTP answers one robot request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.Enter()()
	rec := Request{Method: r.Method, Path: r.URL.Path, Key: r.URL.Query().Get("key"), Time: s.now()}
	var f Fault
	faulty := false
	if r.URL.Path == Path {
		f, faulty = s.faults.Take(rec.Key)
	}
	if faulty {
		rec.Fault = f.String()
	}
	id := s.requests.Add(rec) // on arrival: a held request is visible

	switch {
	case r.URL.Path != Path:
		s.plain(w, id, http.StatusNotFound, "404 page not found", "")
	case faulty:
		s.fault(w, r, id, f)
	default:
		code, msg := s.check(r, rec.Key)
		s.answer(w, id, code, msg, "")
	}
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, id int, f Fault) {
	switch f.kind {
	case "status":
		s.plain(w, id, f.status, http.StatusText(f.status), f.retryAfter)
	case "errcode":
		s.answer(w, id, f.code, f.msg, f.retryAfter)
	case "body":
		s.plain(w, id, http.StatusOK, f.body, f.retryAfter)
	case "hang":
		if why := s.Hold(r, s.maxHang); why != channeltest.HangDone {
			s.record(id, 0, 0, why, true)
			panic(http.ErrAbortHandler) // drop the connection rather than send an empty 200
		}
		s.plain(w, id, http.StatusGatewayTimeout, channeltest.HangDone, "")
	}
}

func (s *Server) record(id, status, code int, msg string, plain bool) {
	s.requests.Update(id, func(r *Request) { r.HTTPStatus, r.Code, r.Msg, r.Plain = status, code, msg, plain })
}

// answer writes WeCom's answer: HTTP 200 {"errcode":N,"errmsg":"..."}.
func (s *Server) answer(w http.ResponseWriter, id, code int, msg, retryAfter string) {
	s.record(id, http.StatusOK, code, msg, false)
	b, _ := json.Marshal(struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}{code, msg})
	channeltest.Write(w, http.StatusOK, "application/json; charset=UTF-8", string(b), retryAfter)
}

// plain writes an answer that is not WeCom JSON.
func (s *Server) plain(w http.ResponseWriter, id, status int, body, retryAfter string) {
	s.record(id, status, 0, body, true)
	channeltest.Write(w, status, "text/plain; charset=utf-8", body, retryAfter)
}

// hintSuffix is how WeCom ends its errmsg.
func hintSuffix(code int) string {
	return fmt.Sprintf(", hint: [1764655200_fake], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=%d", code)
}

// check runs WeCom's checks in order and, when they all pass, records the
// message. It returns the errcode and errmsg to answer.
func (s *Server) check(r *http.Request, key string) (int, string) {
	if r.Method != http.MethodPost {
		return CodeNeedPOST, "require POST method" + hintSuffix(CodeNeedPOST)
	}
	s.mu.Lock()
	_, known := s.robots[key]
	s.mu.Unlock()
	if !known {
		return CodeBadKey, "invalid webhook url" + hintSuffix(CodeBadKey)
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxReadBytes))
	if err != nil {
		return CodeBadJSON, "data format error" + hintSuffix(CodeBadJSON)
	}
	m, code, msg := Parse(raw)
	if code != 0 {
		return code, msg
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	kept := s.robots[key][:0]
	for _, t := range s.robots[key] {
		if now.Sub(t) < Window {
			kept = append(kept, t)
		}
	}
	if len(kept) >= s.limit {
		s.robots[key] = kept
		return CodeTooFast, "api freq out of limit" + hintSuffix(CodeTooFast)
	}
	s.robots[key] = append(kept, now)
	m.Key, m.Raw, m.Time = key, raw, now
	s.messages.Add(m)
	return CodeOK, "ok"
}

// wire is the part of a robot request the fake reads.
type wire struct {
	MsgType  *string `json:"msgtype"`
	Text     *body   `json:"text"`
	Markdown *body   `json:"markdown"`
	// markdown_v2 has the same shape as markdown.
	MarkdownV2 *body `json:"markdown_v2"`
}

type body struct {
	Content             string   `json:"content"`
	MentionedList       []string `json:"mentioned_list"`
	MentionedMobileList []string `json:"mentioned_mobile_list"`
}

// Parse reads a robot request body the way the fake robot does and returns
// the message, or the errcode and errmsg WeCom would answer. It is the
// fake's parser of outside input (and a fuzz target). Only text and
// markdown (and markdown_v2) are checked in depth; other valid types are
// accepted as they are.
func Parse(raw []byte) (Received, int, string) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Received{}, CodeBadJSON, "data format error" + hintSuffix(CodeBadJSON)
	}
	if w.MsgType == nil || !msgTypes[*w.MsgType] {
		return Received{}, CodeBadMsgType, "invalid message type" + hintSuffix(CodeBadMsgType)
	}
	m := Received{MsgType: *w.MsgType}
	var part *body
	limit := 0
	switch m.MsgType {
	case "text":
		part, limit = w.Text, MaxTextBytes
	case "markdown":
		part, limit = w.Markdown, MaxMarkdownBytes
	case "markdown_v2":
		part, limit = w.MarkdownV2, MaxMarkdownBytes
	default:
		return m, 0, ""
	}
	if part == nil || part.Content == "" {
		return Received{}, CodeEmptyContent, "empty content" + hintSuffix(CodeEmptyContent)
	}
	if len(part.Content) > limit {
		return Received{}, CodeTooLong, fmt.Sprintf("content exceed max length %d", limit) + hintSuffix(CodeTooLong)
	}
	m.Content = part.Content
	if m.MsgType == "text" { // markdown ignores both lists
		m.MentionedList, m.MentionedMobileList = part.MentionedList, part.MentionedMobileList
	}
	return m, 0, ""
}
