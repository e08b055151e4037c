// Package larktest is a fake Lark / Feishu (飞书) custom bot for tests and
// the demo. It checks what Lark checks (custom bot guide,
// https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot, and
// https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control):
// a POST to /open-apis/bot/v2/hook/<token> with a known token, a body of at
// most 20 KB holding JSON with a valid msg_type and its content, the
// signature and its timestamp when the bot has a secret, the bot's keywords
// and IP allow-list, and 5 requests a second and 100 a minute per bot. It
// answers {"code":N,"msg":"..."} or, for a bot set to Legacy, the older
// {"StatusCode":N,"StatusMessage":"..."}. Faults can be scripted, and every
// request and accepted message is recorded.
package larktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

// Lark's numbers, as the fake enforces them.
const (
	MaxBodyBytes = 20 << 10 // "20 KB"; the fake reads it the generous way
	PerSecond    = 5
	PerMinute    = 100
	MaxSkew      = time.Hour
	maxReadBytes = 1 << 20
)

// Codes the fake answers with.
const (
	CodeOK           = 0
	CodeBadRequest   = 9499
	CodeTooFast      = 11232
	CodeParamInvalid = 19001
	CodeSign         = 19021
	CodeIP           = 19022
	CodeKeyword      = 19024
)

// PathPrefix is where custom bots listen; the token follows it.
const PathPrefix = "/open-apis/bot/v2/hook/"

var msgTypes = map[string]bool{"text": true, "post": true, "interactive": true, "share_chat": true, "image": true}

// Server is the fake bot endpoint (URL, Close and Shutdown come from
// channeltest.Server). Safe for concurrent use.
type Server struct {
	*channeltest.Server
	now     func() time.Time
	maxHang time.Duration

	faults   channeltest.Script[Fault]
	requests channeltest.Log[Request]
	messages channeltest.Log[Received]

	mu   sync.Mutex
	bots map[string]*bot
}

type bot struct {
	secret   string
	keywords []string
	allow    []netip.Prefix
	legacy   bool
	sent     []time.Time // accepted sends within the last minute
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock of signature timestamps, the rate windows and
// recorded times; tests move it instead of sleeping.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithMaxHang bounds how long a Hang fault holds a request when the client
// does not give up first (default 30 s).
func WithMaxHang(d time.Duration) Option { return func(s *Server) { s.maxHang = d } }

// BotOption configures a bot added with AddBot.
type BotOption func(*bot)

// WithSecret makes the bot require a signature made with secret (19021
// when it is missing, wrong, or its timestamp is over an hour off).
func WithSecret(secret string) BotOption { return func(b *bot) { b.secret = secret } }

// WithKeywords makes the bot require one of the words in the message (19024).
func WithKeywords(words ...string) BotOption {
	return func(b *bot) { b.keywords = append(b.keywords, words...) }
}

// WithAllowedIPs makes the bot accept only senders from ips (addresses or
// CIDRs; invalid entries are ignored), else 19022.
func WithAllowedIPs(ips ...string) BotOption {
	return func(b *bot) {
		for _, ip := range ips {
			if p, err := netip.ParsePrefix(ip); err == nil {
				b.allow = append(b.allow, p)
			} else if a, err := netip.ParseAddr(ip); err == nil {
				b.allow = append(b.allow, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
}

// Legacy makes the bot answer in the older shape
// {"StatusCode":N,"StatusMessage":"..."}.
func Legacy() BotOption { return func(b *bot) { b.legacy = true } }

// New starts a fake on 127.0.0.1 with a free port. Like httptest.NewServer
// it panics if it cannot listen: it is for tests.
func New(opts ...Option) *Server {
	s, err := NewServer("127.0.0.1:0", opts...)
	if err != nil {
		panic("larktest: " + err.Error())
	}
	return s
}

// NewServer starts a fake listening on addr (the demo uses a fixed port).
func NewServer(addr string, opts ...Option) (*Server, error) {
	s := &Server{
		now:     time.Now,
		maxHang: channeltest.DefaultMaxHang,
		bots:    map[string]*bot{},
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

// AddBot registers a bot and returns its webhook URL. Adding a token again
// replaces the bot and resets its rate windows.
func (s *Server) AddBot(token string, opts ...BotOption) string {
	b := &bot{}
	for _, o := range opts {
		o(b)
	}
	s.mu.Lock()
	s.bots[token] = b
	s.mu.Unlock()
	return s.URL() + PathPrefix + token
}

// RemoveBot forgets a token, as when the bot is deleted: later sends get 19001.
func (s *Server) RemoveBot(token string) {
	s.mu.Lock()
	delete(s.bots, token)
	s.mu.Unlock()
}

// Fault is a scripted misbehaviour; build one with StatusFault, HangFault,
// CodeFault or BodyFault.
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

// CodeFault answers {"code":code,"msg":msg} (in the bot's shape) with HTTP
// status (200 for Lark's usual answers, 429 for 99991400 throttling).
func CodeFault(status, code int, msg string) Fault {
	return Fault{kind: "code", status: status, code: code, msg: msg}
}

// BodyFault answers HTTP 200 with body as it is (an HTML page, truncated JSON...).
func BodyFault(body string) Fault { return Fault{kind: "body", body: body} }

// WithRetryAfter adds a Retry-After header to the fault's answer.
func (f Fault) WithRetryAfter(v string) Fault { f.retryAfter = v; return f }

func (f Fault) String() string {
	switch f.kind {
	case "status":
		return fmt.Sprintf("HTTP %d", f.status)
	case "code":
		return fmt.Sprintf("HTTP %d code %d", f.status, f.code)
	}
	return f.kind
}

// Fault makes the next n requests for token (any token when "") misbehave
// as f, in the order faults were scripted.
func (s *Server) Fault(token string, n int, f Fault) { s.faults.Add(token, n, f) }

// Received is one accepted message.
type Received struct {
	Token    string
	MsgType  string
	Signed   bool     // it carried a valid timestamp and sign
	Title    string   // card header title or post title
	Template string   // card header colour
	Texts    []string // text content, card markdown contents, in order
	Buttons  []Button // card buttons
	Raw      []byte
	Time     time.Time
}

// Button is a card button.
type Button struct{ Text, URL string }

// Request is one attempt with the answer it got.
type Request struct {
	Token      string
	Method     string
	Path       string
	HTTPStatus int    // 0 while held (Hang), or when the client gave up
	Code       int    // code answered (meaningless when Plain)
	Msg        string // msg, or the plain body
	Plain      bool   // the answer was not Lark JSON
	Fault      string // the scripted fault applied, if any
	Time       time.Time
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Received { return s.messages.All() }

// Requests returns a copy of every attempt, oldest first.
func (s *Server) Requests() []Request { return s.requests.All() }

// Count returns how many attempts were answered with code.
func (s *Server) Count(code int) int {
	return s.requests.Count(func(r Request) bool { return !r.Plain && r.HTTPStatus != 0 && r.Code == code })
}

var (
	atTag   = regexp.MustCompile(`<at (?:id|user_id)="?([^">]*)"?>([^<]*)</at>`)
	fontTag = regexp.MustCompile(`<font color='?[a-z]*'?>(.*?)</font>`)
	link    = regexp.MustCompile(`\[([^\]]*)\]\(([^)]*)\)`)
)

// Render shows a message roughly as the group sees it: the card's title
// with its colour, the markdown without its markup, <at> tags as "@id"
// ("@所有人" for all), links as "text <url>" and buttons as "[ text ] -> url".
func Render(m Received) string {
	var b strings.Builder
	if m.Title != "" {
		if m.Template != "" {
			fmt.Fprintf(&b, "【%s】(%s)\n", m.Title, m.Template)
		} else {
			fmt.Fprintf(&b, "【%s】\n", m.Title)
		}
	}
	for _, t := range m.Texts {
		t = atTag.ReplaceAllStringFunc(t, func(tag string) string {
			id := atTag.FindStringSubmatch(tag)[1]
			if id == "all" {
				return "@所有人"
			}
			return "@" + id
		})
		t = fontTag.ReplaceAllString(t, "$1")
		t = link.ReplaceAllString(t, "$1 <$2>")
		b.WriteString(strings.ReplaceAll(t, "**", ""))
		b.WriteByte('\n')
	}
	for _, bt := range m.Buttons {
		fmt.Fprintf(&b, "[ %s ] -> %s\n", bt.Text, bt.URL)
	}
	return b.String()
}

// ServeHTTP answers one bot request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.Enter()()
	token, isBot := strings.CutPrefix(r.URL.Path, PathPrefix)
	rec := Request{Method: r.Method, Path: r.URL.Path, Token: token, Time: s.now()}
	var f Fault
	faulty := false
	if isBot {
		f, faulty = s.faults.Take(token)
	}
	if faulty {
		rec.Fault = f.String()
	}
	legacy := false
	s.mu.Lock()
	if b := s.bots[token]; b != nil {
		legacy = b.legacy
	}
	s.mu.Unlock()
	id := s.requests.Add(rec) // on arrival: a held request is visible

	switch {
	case !isBot:
		s.plain(w, id, http.StatusNotFound, "404 page not found", "")
	case faulty:
		s.fault(w, r, id, f, legacy)
	default:
		code, msg := s.check(r, token)
		s.answer(w, id, http.StatusOK, code, msg, legacy, "")
	}
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, id int, f Fault, legacy bool) {
	switch f.kind {
	case "status":
		s.plain(w, id, f.status, http.StatusText(f.status), f.retryAfter)
	case "code":
		s.answer(w, id, f.status, f.code, f.msg, legacy, f.retryAfter)
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

// answer writes Lark's JSON answer in the bot's shape.
func (s *Server) answer(w http.ResponseWriter, id, status, code int, msg string, legacy bool, retryAfter string) {
	s.record(id, status, code, msg, false)
	var v any = struct {
		Code int            `json:"code"`
		Data map[string]any `json:"data"`
		Msg  string         `json:"msg"`
	}{code, map[string]any{}, msg}
	if legacy {
		v = struct {
			StatusCode    int    `json:"StatusCode"`
			StatusMessage string `json:"StatusMessage"`
		}{code, msg}
	}
	b, _ := json.Marshal(v)
	channeltest.Write(w, status, "application/json; charset=utf-8", string(b), retryAfter)
}

// plain writes an answer that is not Lark JSON.
func (s *Server) plain(w http.ResponseWriter, id, status int, body, retryAfter string) {
	s.record(id, status, 0, body, true)
	channeltest.Write(w, status, "text/plain; charset=utf-8", body, retryAfter)
}

// check runs Lark's checks in order and, when they all pass, records the
// message. It returns the code and msg to answer.
func (s *Server) check(r *http.Request, token string) (int, string) {
	s.mu.Lock()
	b := s.bots[token]
	var bc bot
	if b != nil {
		bc = *b
	}
	s.mu.Unlock()
	if b == nil {
		return CodeParamInvalid, "param invalid: incoming webhook access token invalid"
	}
	if r.Method != http.MethodPost {
		return CodeBadRequest, "Bad Request: method not allowed"
	}
	if len(bc.allow) > 0 {
		if ip := remoteIP(r.RemoteAddr); !allowed(bc.allow, ip) {
			return CodeIP, fmt.Sprintf("ip %s not allowed", ip)
		}
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxReadBytes))
	if err != nil {
		return CodeBadRequest, "Bad Request: fail to read body"
	}
	if len(raw) > MaxBodyBytes {
		return CodeBadRequest, fmt.Sprintf("Bad Request: request body exceeds %d bytes", MaxBodyBytes)
	}
	m, ts, sign, code, msg := Parse(raw)
	if code != 0 {
		return code, msg
	}
	now := s.now()
	if bc.secret != "" {
		if code, msg := checkSign(bc.secret, ts, sign, now); code != 0 {
			return code, msg
		}
		m.Signed = true
	}
	if len(bc.keywords) > 0 && !containsAny(m.Title+"\n"+strings.Join(m.Texts, "\n"), bc.keywords) {
		return CodeKeyword, "Key Words Not Found"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b = s.bots[token]
	if b == nil { // removed while we read
		return CodeParamInvalid, "param invalid: incoming webhook access token invalid"
	}
	kept := b.sent[:0]
	lastSecond := 0
	for _, t := range b.sent {
		if d := now.Sub(t); d < time.Minute {
			kept = append(kept, t)
			if d < time.Second {
				lastSecond++
			}
		}
	}
	b.sent = kept
	if lastSecond >= PerSecond || len(kept) >= PerMinute {
		return CodeTooFast, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"
	}
	b.sent = append(b.sent, now)
	m.Token, m.Raw, m.Time = token, raw, now
	s.messages.Add(m)
	return CodeOK, "success"
}

// checkSign verifies the body's timestamp (Unix seconds, within an hour of
// the fake's clock) and sign = base64(HMAC-SHA256(key = timestamp+"\n"+secret,
// message = "")). It is written apart from the channel's Sign on purpose.
func checkSign(secret, ts, sign string, now time.Time) (int, string) {
	const fail = "sign match fail or timestamp is not within one hour from current time"
	if ts == "" || sign == "" {
		return CodeSign, fail
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return CodeSign, fail
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return CodeSign, fail
	}
	mac := hmac.New(sha256.New, []byte(ts+"\n"+secret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sign)) {
		return CodeSign, fail
	}
	return 0, ""
}

func remoteIP(addr string) netip.Addr {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func allowed(allow []netip.Prefix, ip netip.Addr) bool {
	for _, p := range allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if w != "" && strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// wire is the part of a bot request the fake reads.
type wire struct {
	Timestamp any     `json:"timestamp"` // a string, as the guide says; a number is tolerated
	Sign      string  `json:"sign"`
	MsgType   *string `json:"msg_type"`
	Content   *struct {
		Text *string         `json:"text"`
		Post json.RawMessage `json:"post"`
	} `json:"content"`
	Card *struct {
		Header *struct {
			Template string `json:"template"`
			Title    struct {
				Content string `json:"content"`
			} `json:"title"`
		} `json:"header"`
		Elements []element `json:"elements"`
	} `json:"card"`
}

type element struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Actions []struct {
		Tag  string `json:"tag"`
		Text struct {
			Content string `json:"content"`
		} `json:"text"`
		URL string `json:"url"`
	} `json:"actions"`
}

// Parse reads a bot request body the way the fake does and returns the
// message with the body's timestamp and sign, or the code and msg Lark
// would answer. It is the fake's parser of outside input (and a fuzz
// target). Text and interactive messages are read in depth; post, image
// and share_chat need their content present.
func Parse(raw []byte) (m Received, ts, sign string, code int, msg string) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Received{}, "", "", CodeBadRequest, "Bad Request: fail to parse body"
	}
	switch t := w.Timestamp.(type) {
	case string:
		ts = t
	case float64:
		ts = strconv.FormatFloat(t, 'f', -1, 64)
	}
	sign = w.Sign
	if w.MsgType == nil || !msgTypes[*w.MsgType] {
		return Received{}, ts, sign, CodeBadRequest, "Bad Request: invalid msg_type"
	}
	m.MsgType = *w.MsgType
	bad := func(what string) (Received, string, string, int, string) {
		return Received{}, ts, sign, CodeBadRequest, "Bad Request: fail to parse content: " + what
	}
	switch m.MsgType {
	case "text":
		if w.Content == nil || w.Content.Text == nil || *w.Content.Text == "" {
			return bad("content.text is empty")
		}
		m.Texts = []string{*w.Content.Text}
	case "interactive":
		if w.Card == nil || len(w.Card.Elements) == 0 {
			return bad("card has no elements")
		}
		if h := w.Card.Header; h != nil {
			m.Title, m.Template = h.Title.Content, h.Template
		}
		for i, e := range w.Card.Elements {
			switch e.Tag {
			case "markdown":
				m.Texts = append(m.Texts, e.Content)
			case "div":
				if e.Text != nil {
					m.Texts = append(m.Texts, e.Text.Content)
				}
			case "action":
				for _, a := range e.Actions {
					m.Buttons = append(m.Buttons, Button{a.Text.Content, a.URL})
				}
			case "hr", "note", "img":
			default:
				return bad(fmt.Sprintf("card.elements[%d]: unknown tag %q", i, e.Tag))
			}
		}
	case "post":
		if w.Content == nil || len(w.Content.Post) == 0 {
			return bad("content.post is missing")
		}
		m.Texts = []string{string(w.Content.Post)}
	default:
		if w.Content == nil {
			return bad("content is missing")
		}
	}
	return m, ts, sign, 0, ""
}
