// Package dingtalktest is a fake DingTalk custom robot for tests and the
// demo. It checks what DingTalk checks (access_token, 加签 signature and
// timestamp, keywords, IP allow-list, Content-Type, body size, message
// shape, 20 messages a minute) and answers the way DingTalk answers: HTTP 200
// with {"errcode":N,"errmsg":"..."}. Faults can be scripted per robot, and
// every request and accepted message is recorded.
package dingtalktest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DingTalk's numbers, as the fake enforces them.
const (
	MaxBodyBytes   = 20000
	DefaultLimit   = 20
	Window         = time.Minute
	DefaultLockout = 10 * time.Minute
	MaxSkew        = time.Hour
	// maxReadBytes bounds what the fake reads of a request: enough to tell
	// an oversize body (460101) without buffering an unbounded one.
	maxReadBytes = 1 << 20
)

// Errcodes the fake answers with.
const (
	CodeOK           = 0
	CodeNoJSON       = 40035  // body empty, not JSON, no msgtype, or a required field missing
	CodeNeedPOST     = 43002  // method is not POST
	CodeContentType  = 43004  // Content-Type is not JSON
	CodeTooFast      = 130101 // over Limit messages in Window, then locked out
	CodeNoToken      = 300001 // access_token missing or unknown (what DingTalk answers for both)
	CodeSecurity     = 310000 // sign, timestamp, keyword or IP check failed
	CodeDissolved    = 400013
	CodeDisabled     = 400102
	CodeBadMsgType   = 400105
	CodeRemoved      = 400106
	CodeBodyTooLarge = 460101
)

// Server is the fake robot endpoint. Safe for concurrent use.
type Server struct {
	hs     *http.Server
	ln     net.Listener
	url    string
	closed chan struct{}
	once   sync.Once
	active handlers // running handlers, so Close leaves none behind
	conns  atomic.Int64

	now     func() time.Time
	limit   int
	lockout time.Duration
	maxHang time.Duration

	mu       sync.Mutex
	robots   map[string]*robot
	faults   []pending
	messages []Received
	requests []Request
}

// handlers counts running handlers. Unlike a WaitGroup it allows a late
// handler to start while Close waits.
type handlers struct {
	mu   sync.Mutex
	cond *sync.Cond
	n    int
}

func (h *handlers) add(d int) {
	h.mu.Lock()
	h.n += d
	if h.n == 0 && h.cond != nil {
		h.cond.Broadcast()
	}
	h.mu.Unlock()
}

func (h *handlers) wait() {
	h.mu.Lock()
	if h.cond == nil {
		h.cond = sync.NewCond(&h.mu)
	}
	for h.n > 0 {
		h.cond.Wait()
	}
	h.mu.Unlock()
}

type robot struct {
	token, secret string
	keywords      []string
	allow         []netip.Prefix
	state         int // 0 ok, else the errcode every send gets
	sent          []time.Time
	lockedUntil   time.Time
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the server's clock, used for timestamp checks, the rate
// window and recorded times; tests advance it instead of sleeping.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLimit sets how many messages a robot accepts per minute (default 20).
func WithLimit(n int) Option { return func(s *Server) { s.limit = n } }

// WithLockout sets how long a robot refuses everything after going over the
// limit (default 10 minutes).
func WithLockout(d time.Duration) Option { return func(s *Server) { s.lockout = d } }

// WithMaxHang bounds how long a Hang fault holds a request when the client
// does not give up first (default 30 s).
func WithMaxHang(d time.Duration) Option { return func(s *Server) { s.maxHang = d } }

// RobotOption configures a robot added with AddRobot.
type RobotOption func(*robot)

// WithKeywords makes the robot keyword-protected: a message must contain one
// of the words, else 310000 "keywords not in content".
func WithKeywords(words ...string) RobotOption {
	return func(r *robot) { r.keywords = append(r.keywords, words...) }
}

// WithAllowedIPs makes the robot accept only senders whose address is one of
// ips (an address "1.2.3.4" or a CIDR "1.2.3.0/24"); invalid entries are ignored.
func WithAllowedIPs(ips ...string) RobotOption {
	return func(r *robot) {
		for _, ip := range ips {
			if p, err := netip.ParsePrefix(ip); err == nil {
				r.allow = append(r.allow, p)
			} else if a, err := netip.ParseAddr(ip); err == nil {
				r.allow = append(r.allow, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
}

// Disabled: the robot was switched off by a group admin (400102).
func Disabled() RobotOption { return func(r *robot) { r.state = CodeDisabled } }

// Dissolved: the robot's group was dissolved (400013).
func Dissolved() RobotOption { return func(r *robot) { r.state = CodeDissolved } }

// Removed: the robot was removed from its group (400106).
func Removed() RobotOption { return func(r *robot) { r.state = CodeRemoved } }

// New starts a fake robot server on 127.0.0.1 with a free port. Like
// httptest.NewServer it panics if it cannot listen: it is for tests.
func New(opts ...Option) *Server {
	s, err := NewServer("127.0.0.1:0", opts...)
	if err != nil {
		panic("dingtalktest: " + err.Error())
	}
	return s
}

// NewServer starts a fake robot server listening on addr (the demo uses a
// fixed port).
func NewServer(addr string, opts ...Option) (*Server, error) {
	s := &Server{
		closed:  make(chan struct{}),
		now:     time.Now,
		limit:   DefaultLimit,
		lockout: DefaultLockout,
		maxHang: 30 * time.Second,
		robots:  map[string]*robot{},
	}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

// URL is the server's base URL, e.g. http://127.0.0.1:40123.
func (s *Server) URL() string { return s.url }

// Close stops the server, releases requests held by Hang faults and waits
// for every handler to return.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closed)
		_ = s.hs.Close()
		s.active.wait()
	})
}

// Connections is the number of TCP connections accepted so far; a client
// that reuses connections makes it grow by one for many sends.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// AddRobot registers a robot and returns its webhook URL. An empty secret
// means the robot does not use 加签. Adding a token again replaces the robot
// and resets its rate window.
func (s *Server) AddRobot(token, secret string, opts ...RobotOption) string {
	r := &robot{token: token, secret: secret}
	for _, o := range opts {
		o(r)
	}
	s.mu.Lock()
	s.robots[token] = r
	s.mu.Unlock()
	return s.url + "/robot/send?access_token=" + url.QueryEscape(token)
}

// Fault is a scripted misbehaviour; build one with StatusFault, HangFault,
// ErrcodeFault or BodyFault.
type Fault struct {
	kind   string
	status int
	code   int
	msg    string
	body   string
}

// StatusFault answers with an HTTP status (e.g. 500) and a plain-text body.
func StatusFault(status int) Fault { return Fault{kind: "status", status: status} }

// HangFault holds the request without answering until the client gives up,
// the server closes, or WithMaxHang passes (then HTTP 504).
func HangFault() Fault { return Fault{kind: "hang"} }

// ErrcodeFault answers HTTP 200 {"errcode":code,"errmsg":msg}.
func ErrcodeFault(code int, msg string) Fault { return Fault{kind: "errcode", code: code, msg: msg} }

// BodyFault answers HTTP 200 with body as it is (e.g. an HTML error page).
func BodyFault(body string) Fault { return Fault{kind: "body", body: body} }

func (f Fault) String() string {
	switch f.kind {
	case "status":
		return fmt.Sprintf("HTTP %d", f.status)
	case "errcode":
		return fmt.Sprintf("errcode %d", f.code)
	}
	return f.kind
}

type pending struct {
	token string
	left  int
	fault Fault
}

// Fault makes the next n requests to the robot with token (any robot when
// token is "") misbehave as f. Faults are consumed in the order they were
// scripted.
func (s *Server) Fault(token string, n int, f Fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.faults = append(s.faults, pending{token: token, left: n, fault: f})
	s.mu.Unlock()
}

// takeFault consumes the first scripted fault that applies to token.
// Called with s.mu held.
func (s *Server) takeFault(token string) (Fault, bool) {
	for i := range s.faults {
		p := &s.faults[i]
		if p.token == "" || p.token == token {
			f := p.fault
			if p.left--; p.left == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f, true
		}
	}
	return Fault{}, false
}

// Received is one accepted message, as the group would get it.
type Received struct {
	Token       string
	MsgType     string
	Title       string // markdown/actionCard title
	Text        string // markdown/actionCard text
	ButtonTitle string // actionCard singleTitle
	ButtonURL   string // actionCard singleURL
	AtMobiles   []string
	AtUserIDs   []string
	AtAll       bool
	Raw         []byte
	Time        time.Time
}

// Request is one attempt with the answer it got.
type Request struct {
	Token      string
	Method     string
	Path       string
	HTTPStatus int    // 0 while the request is still held (Hang), or when the client gave up
	Code       int    // errcode answered (meaningless when Plain)
	Msg        string // errmsg, or the plain body
	Plain      bool   // the answer was not DingTalk JSON (scripted fault, 404)
	Fault      string // the scripted fault applied, if any
	Time       time.Time
}

// Messages returns a copy of the accepted messages, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.messages...)
}

// Requests returns a copy of every attempt, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many attempts were answered with errcode code.
func (s *Server) Count(code int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if !r.Plain && r.HTTPStatus != 0 && r.Code == code {
			n++
		}
	}
	return n
}

// Render shows a message the way the group would see it: the title line,
// then the text, then the button.
func Render(m Received) string {
	var b strings.Builder
	if m.Title != "" {
		fmt.Fprintf(&b, "【%s】\n", m.Title)
	}
	b.WriteString(m.Text)
	if !strings.HasSuffix(m.Text, "\n") {
		b.WriteByte('\n')
	}
	if m.ButtonTitle != "" {
		fmt.Fprintf(&b, "[ %s ] -> %s\n", m.ButtonTitle, m.ButtonURL)
	}
	if m.AtAll {
		b.WriteString("(@所有人)\n")
	}
	return b.String()
}

// ServeHTTP answers one robot request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.add(1)
	defer s.active.add(-1)
	rec := Request{Method: r.Method, Path: r.URL.Path, Token: r.URL.Query().Get("access_token")}
	// Record on arrival, so a held request is visible while it hangs.
	s.mu.Lock()
	rec.Time = s.now()
	var f Fault
	faulty := false
	if r.URL.Path == "/robot/send" {
		f, faulty = s.takeFault(rec.Token)
	}
	if faulty {
		rec.Fault = f.String()
	}
	id := len(s.requests)
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	switch {
	case r.URL.Path != "/robot/send":
		s.plain(w, id, http.StatusNotFound, "404 page not found")
	case faulty:
		s.fault(w, r, id, f)
	default:
		code, msg := s.check(r, rec.Token)
		s.answer(w, id, code, msg)
	}
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, id int, f Fault) {
	switch f.kind {
	case "status":
		s.plain(w, id, f.status, http.StatusText(f.status))
	case "errcode":
		s.answer(w, id, f.code, f.msg)
	case "body":
		s.plain(w, id, http.StatusOK, f.body)
	case "hang":
		t := time.NewTimer(s.maxHang)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			s.record(id, 0, 0, "client gave up", true)
			panic(http.ErrAbortHandler) // nobody to answer
		case <-s.closed:
			s.record(id, 0, 0, "server closed", true)
			// Drop the connection rather than let net/http send an empty 200.
			panic(http.ErrAbortHandler)
		case <-t.C:
			s.plain(w, id, http.StatusGatewayTimeout, "hang ended")
		}
	}
}

func (s *Server) record(id, status, code int, msg string, plain bool) {
	s.mu.Lock()
	r := &s.requests[id]
	r.HTTPStatus, r.Code, r.Msg, r.Plain = status, code, msg, plain
	s.mu.Unlock()
}

// answer writes DingTalk's answer: HTTP 200 {"errcode":N,"errmsg":"..."}.
func (s *Server) answer(w http.ResponseWriter, id, code int, msg string) {
	s.record(id, http.StatusOK, code, msg, false)
	b, _ := json.Marshal(struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}{code, msg})
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_, _ = w.Write(b)
}

// plain writes a non-DingTalk answer: a status and a text body.
func (s *Server) plain(w http.ResponseWriter, id, status int, body string) {
	s.record(id, status, 0, body, true)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// check runs DingTalk's checks in order and, when they all pass, records
// the message. It returns the errcode and errmsg to answer.
func (s *Server) check(r *http.Request, token string) (int, string) {
	if r.Method != http.MethodPost {
		return CodeNeedPOST, "需要POST请求"
	}
	q := r.URL.Query()
	s.mu.Lock()
	rb := s.robots[token]
	s.mu.Unlock()
	if rb == nil {
		return CodeNoToken, "token is not exist"
	}
	switch rb.state {
	case CodeDissolved:
		return CodeDissolved, "群已被解散"
	case CodeDisabled:
		return CodeDisabled, "机器人已停用"
	case CodeRemoved:
		return CodeRemoved, "robot 不存在"
	}
	if len(rb.allow) > 0 {
		if ip := remoteIP(r.RemoteAddr); !allowed(rb.allow, ip) {
			return CodeSecurity, fmt.Sprintf("ip %s not in whitelist", ip)
		}
	}
	if rb.secret != "" {
		if code, msg := s.checkSign(rb.secret, q); code != 0 {
			return code, msg
		}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return CodeContentType, "无效的HTTP HEADER Content-Type"
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxReadBytes))
	if err != nil {
		return CodeNoJSON, "缺少参数 json"
	}
	if len(raw) > MaxBodyBytes {
		return CodeBodyTooLarge, "message too long, exceed 20000 bytes"
	}
	m, code, msg := Parse(raw)
	if code != 0 {
		return code, msg
	}
	if len(rb.keywords) > 0 && !containsAny(m.Title+"\n"+m.Text+"\n"+m.ButtonTitle, rb.keywords) {
		return CodeSecurity, "keywords not in content"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Before(rb.lockedUntil) {
		return CodeTooFast, fmt.Sprintf("send too fast, exceed %d times per minute", s.limit)
	}
	kept := rb.sent[:0]
	for _, t := range rb.sent {
		if now.Sub(t) < Window {
			kept = append(kept, t)
		}
	}
	rb.sent = kept
	if len(rb.sent) >= s.limit {
		rb.lockedUntil = now.Add(s.lockout)
		return CodeTooFast, fmt.Sprintf("send too fast, exceed %d times per minute", s.limit)
	}
	rb.sent = append(rb.sent, now)
	m.Token, m.Raw, m.Time = token, raw, now
	s.messages = append(s.messages, m)
	return CodeOK, "ok"
}

// checkSign verifies timestamp and sign as DingTalk does. q holds the query
// as the URL parser decoded it, once: a sign encoded twice arrives still
// carrying %2B and fails, exactly like on DingTalk.
func (s *Server) checkSign(secret string, q url.Values) (int, string) {
	ts, sign := q.Get("timestamp"), q.Get("sign")
	if ts == "" || sign == "" {
		return CodeSecurity, "sign not match, timestamp and sign are required"
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return CodeSecurity, "invalid timestamp " + strconv.Quote(ts)
	}
	now := s.now()
	if d := now.Sub(time.UnixMilli(ms)); d > MaxSkew || d < -MaxSkew {
		return CodeSecurity, "invalid timestamp"
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sign)) {
		return CodeSecurity, "sign not match"
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
	return slices.ContainsFunc(allow, func(p netip.Prefix) bool { return p.Contains(ip) })
}

func containsAny(s string, words []string) bool {
	return slices.ContainsFunc(words, func(w string) bool { return w != "" && strings.Contains(s, w) })
}

// wire is the union of the message shapes the fake accepts: the two that
// pai-notifier sends. Any other msgtype gets DingTalk's "unsupported message
// type" answer, so a new type needs the fake taught what DingTalk checks.
type wire struct {
	MsgType  *string `json:"msgtype"`
	Markdown *struct {
		Title *string `json:"title"`
		Text  *string `json:"text"`
	} `json:"markdown"`
	ActionCard *struct {
		Title       *string `json:"title"`
		Text        *string `json:"text"`
		SingleTitle string  `json:"singleTitle"`
		SingleURL   string  `json:"singleURL"`
	} `json:"actionCard"`
	At *struct {
		AtMobiles []string `json:"atMobiles"`
		AtUserIDs []string `json:"atUserIds"`
		IsAtAll   bool     `json:"isAtAll"`
	} `json:"at"`
}

var errMissing = errors.New("missing")

func need(p *string) (string, error) {
	if p == nil || *p == "" {
		return "", errMissing
	}
	return *p, nil
}

// Parse reads a robot request body the way the fake robot does and returns
// the message, or the errcode and errmsg DingTalk would answer. It is the
// fake's parser of outside input (and a fuzz target).
func Parse(raw []byte) (Received, int, string) {
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil || w.MsgType == nil || *w.MsgType == "" {
		return Received{}, CodeNoJSON, "缺少参数 json"
	}
	m := Received{MsgType: *w.MsgType}
	missing := func(field string) (Received, int, string) {
		return Received{}, CodeNoJSON, "缺少参数 " + field
	}
	var err error
	switch m.MsgType {
	case "markdown":
		if w.Markdown == nil {
			return missing("markdown")
		}
		if m.Title, err = need(w.Markdown.Title); err != nil {
			return missing("markdown.title")
		}
		if m.Text, err = need(w.Markdown.Text); err != nil {
			return missing("markdown.text")
		}
	case "actionCard":
		c := w.ActionCard
		if c == nil {
			return missing("actionCard")
		}
		if m.Title, err = need(c.Title); err != nil {
			return missing("actionCard.title")
		}
		if m.Text, err = need(c.Text); err != nil {
			return missing("actionCard.text")
		}
		if c.SingleTitle == "" || c.SingleURL == "" {
			return missing("actionCard.singleTitle")
		}
		m.ButtonTitle, m.ButtonURL = c.SingleTitle, c.SingleURL
	default:
		return Received{}, CodeBadMsgType, "不支持的消息类型"
	}
	// An actionCard cannot @ anyone: DingTalk ignores "at" there.
	if w.At != nil && m.MsgType == "markdown" {
		m.AtMobiles, m.AtUserIDs, m.AtAll = w.At.AtMobiles, w.At.AtUserIDs, w.At.IsAtAll
	}
	return m, 0, ""
}

// Shutdown is Close honouring ctx (for the demo's signal handling).
func (s *Server) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
