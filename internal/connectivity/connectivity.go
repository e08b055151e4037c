// Package connectivity is the "test connectivity" HTTP function: it sends one
// signed test message to a DingTalk robot (given by webhook, or by the name of
// a configured rule) and answers, in plain words, whether the robot works and
// what to fix when it does not.
//
// The package knows nothing of FC or Lambda: Handle takes and returns plain
// Request and Response values, and functions/connectivity adapts them to
// platform.RunHTTP in a few lines. That keeps the runtime SDKs out of this
// package's tests and keeps platform free of our vocabulary.
package connectivity

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pai-notifier/pai-notifier/internal/channel"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/message"
	"github.com/pai-notifier/pai-notifier/internal/rate"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// DefaultHost is DingTalk's webhook host, the first of the default
// allow-list: the five services' official hosts (channels.OfficialHosts),
// unless CONNTEST_ALLOWED_HOSTS says otherwise. A generic webhook's host
// must be listed by the operator.
const DefaultHost = "oapi.dingtalk.com"

// DefaultTimeout bounds one test send. DingTalk answers in well under a
// second; a user waiting on a button should not wait longer than this.
const DefaultTimeout = 10 * time.Second

// Request is one HTTP request as the function sees it.
type Request struct {
	Method  string
	Headers map[string]string // lower-case keys
	Body    []byte
}

// Response is the function's answer.
type Response struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// Config is what a Tester needs; FromEnv builds it from the environment.
type Config struct {
	// Rules are the configured rules for {"rule": name} tests; nil when none
	// are configured or they failed to load (RulesErr says which).
	Rules    *rules.Set
	RulesErr error
	// Client sends DingTalk's test message; nil means
	// dingtalk.NewClient(DefaultTimeout).
	Client *dingtalk.Client
	// Channels send the other services' test messages, by type; nil means
	// the registry's (channels.All), each bounded by DefaultTimeout.
	Channels map[string]channel.Channel
	// AllowedHosts lists the host[:port] a caller's webhook may name, compared
	// exactly and case-insensitively; a bare host means port 443. nil means
	// [DefaultHost]. It does not apply to {"rule": ...} tests: a rule's webhook
	// is the operator's.
	AllowedHosts []string
	// RateLimit is how many test messages one instance sends to one robot per
	// rolling window, e.g. "5/1m" (rate.Parse); "" means DefaultRateLimit.
	RateLimit string
	// Token, when set, must come as "Authorization: Bearer <token>".
	Token  secret.String
	Logger *slog.Logger     // nil: JSON to stderr
	Now    func() time.Time // nil: time.Now
}

// FromEnv builds a Config from the environment, once per function instance:
// the rules as the notifier loads them (rules.Load), CONNTEST_ALLOWED_HOSTS
// (comma-separated host[:port], replacing the default oapi.dingtalk.com),
// CONNTEST_RATE_LIMIT and CONNTEST_TOKEN.
func FromEnv(getenv func(string) string) Config {
	cfg := Config{
		Token:     secret.String(strings.TrimSpace(getenv("CONNTEST_TOKEN"))),
		RateLimit: getenv("CONNTEST_RATE_LIMIT"),
	}
	cfg.Rules, cfg.RulesErr = rules.Load(getenv)
	if v := getenv("CONNTEST_ALLOWED_HOSTS"); v != "" {
		cfg.AllowedHosts = strings.Split(v, ",")
	}
	return cfg
}

// Tester answers connectivity-test requests. Safe for concurrent use.
type Tester struct {
	rules    *rules.Set
	rulesErr error
	client   *dingtalk.Client
	channels map[string]channel.Channel
	allowed  hostList
	limit    *limiter
	tokenSum [sha256.Size]byte // of the bearer token; see authorized
	hasToken bool
	log      *slog.Logger
	now      func() time.Time
	// cfgErr makes every request a 500: a deployment mistake the caller
	// should hear about, not a reason to guess. The answer names the
	// variables; their values and what is wrong with them go to the log.
	cfgErr  error
	cfgVars []string
}

// New returns a Tester for cfg. A malformed AllowedHosts entry or RateLimit
// does not stop it: every request then answers 500 naming the variable, and
// the log says what is wrong with it.
func New(cfg Config) *Tester {
	t := &Tester{rules: cfg.Rules, rulesErr: cfg.RulesErr, client: cfg.Client, log: cfg.Logger, now: cfg.Now}
	if t.client == nil {
		t.client = dingtalk.NewClient(DefaultTimeout)
	}
	t.channels = map[string]channel.Channel{}
	for _, s := range channels.All {
		t.channels[s.Name] = s.New(DefaultTimeout)
	}
	maps.Copy(t.channels, cfg.Channels)
	t.channels[dingtalk.Name] = t.client
	if t.log == nil {
		t.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if t.now == nil {
		t.now = time.Now
	}
	var errs []error
	if cfg.AllowedHosts == nil {
		for _, h := range channels.OfficialHosts() {
			t.allowed = append(t.allowed, hostPort{host: h, port: "443"})
		}
	} else {
		var err error
		if t.allowed, err = parseHosts(strings.Join(cfg.AllowedHosts, ",")); err != nil {
			errs = append(errs, err)
			t.cfgVars = append(t.cfgVars, "CONNTEST_ALLOWED_HOSTS")
		}
	}
	r, err := rate.Parse(cmp.Or(strings.TrimSpace(cfg.RateLimit), DefaultRateLimit))
	if err != nil {
		errs = append(errs, fmt.Errorf("CONNTEST_RATE_LIMIT: %w", err))
		t.cfgVars = append(t.cfgVars, "CONNTEST_RATE_LIMIT")
	}
	t.limit = newLimiter(r)
	t.cfgErr = errors.Join(errs...)
	if !cfg.Token.IsZero() {
		t.hasToken = true
		t.tokenSum = sha256.Sum256([]byte(cfg.Token.Reveal()))
	}
	// Said once per instance, so an operator reading the logs finds the
	// cause before the first confused caller does.
	switch {
	case t.cfgErr != nil:
		t.log.Error("connectivity test misconfigured; every request will answer 500", "error", t.cfgErr.Error())
	case t.rules == nil && t.rulesErr != nil && !errors.Is(t.rulesErr, rules.ErrNoRules):
		t.log.Warn("rules failed to load; rule tests will answer 500, webhook tests still work", "error", t.rulesErr.Error())
	}
	return t
}

// Result is the answer to a test that ran: whether DingTalk accepted the
// message and, when not, what to do.
type Result struct {
	OK        bool   `json:"ok"`
	ErrCode   int    `json:"errcode"`
	ErrMsg    string `json:"errmsg"`
	Hint      string `json:"hint"`
	LatencyMs int64  `json:"latencyMs"`
}

// refusal is the answer to a request that was not run.
type refusal struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// outcome names how a request ended, for the log line.
type outcome string

const (
	outcomeOK           outcome = "ok"
	outcomeRejected     outcome = "rejected"     // DingTalk answered errcode != 0
	outcomeUnreachable  outcome = "unreachable"  // no DingTalk answer
	outcomeRefused      outcome = "refused"      // 400/413: not sent
	outcomeLimited      outcome = "rate-limited" // 429: the robot had its tests for now
	outcomeUnauthorized outcome = "unauthorized"
	outcomeMethod       outcome = "method"
	outcomeConfig       outcome = "config-error"
)

// logLine is what one request leaves in the log. Nothing here can hold the
// webhook or the secret: the robot is named by dingtalk.RobotID.
type logLine struct {
	outcome outcome
	status  int
	mode    string // "webhook" | "rule"
	rule    string
	robot   string
	errcode int
	class   string
	latency time.Duration
}

// Handle answers one request. See the package documentation of
// functions/connectivity for the API.
func (t *Tester) Handle(ctx context.Context, r Request) Response {
	start := t.now()
	ll := logLine{}
	resp := t.handle(ctx, r, &ll)
	ll.status = resp.Status
	level := slog.LevelInfo
	switch ll.outcome {
	case outcomeConfig:
		level = slog.LevelError
	case outcomeLimited:
		level = slog.LevelWarn // someone tests one robot faster than it should be
	}
	attrs := []slog.Attr{
		slog.String("outcome", string(ll.outcome)),
		slog.Int("status", ll.status),
	}
	if ll.mode != "" {
		attrs = append(attrs, slog.String("mode", ll.mode))
	}
	if ll.rule != "" {
		attrs = append(attrs, slog.String("rule", ll.rule))
	}
	if ll.robot != "" {
		attrs = append(attrs, slog.String("robot", ll.robot))
	}
	if ll.outcome == outcomeOK || ll.outcome == outcomeRejected || ll.outcome == outcomeUnreachable {
		attrs = append(attrs, slog.Int("errcode", ll.errcode), slog.Int64("latencyMs", ll.latency.Milliseconds()))
	}
	if ll.class != "" {
		attrs = append(attrs, slog.String("class", ll.class))
	}
	attrs = append(attrs, slog.Int64("durationMs", t.now().Sub(start).Milliseconds()))
	t.log.LogAttrs(ctx, level, "connectivity test", attrs...)
	return resp
}

func (t *Tester) handle(ctx context.Context, r Request, ll *logLine) Response {
	if r.Method != http.MethodPost {
		ll.outcome = outcomeMethod
		resp := refuseWith(http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed: POST a JSON body", safeMethod(r.Method)))
		resp.Headers["allow"] = http.MethodPost
		return resp
	}
	if !t.authorized(r.Headers) {
		ll.outcome = outcomeUnauthorized
		resp := refuseWith(http.StatusUnauthorized, "missing or wrong bearer token: send Authorization: Bearer <CONNTEST_TOKEN>")
		resp.Headers["www-authenticate"] = `Bearer realm="pai-notifier"`
		return resp
	}
	if t.cfgErr != nil {
		ll.outcome = outcomeConfig
		return refuseWith(http.StatusInternalServerError, "function misconfigured: "+strings.Join(t.cfgVars, " and ")+
			" cannot be read; the function's log says what to fix")
	}
	if len(r.Body) > MaxBodyBytes {
		// 413, not 400: the request may be well-formed, it is only too big,
		// and the status says so to proxies and clients alike.
		ll.outcome = outcomeRefused
		return refuseWith(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is %d bytes, over the %d-byte limit", len(r.Body), MaxBodyBytes))
	}
	req, err := parseRequest(r.Body)
	if err != nil {
		ll.outcome = outcomeRefused
		return refuseWith(http.StatusBadRequest, err.Error())
	}

	tgt, status, err := t.target(req, ll)
	if err != nil {
		ll.outcome = outcomeRefused
		if status == http.StatusInternalServerError {
			ll.outcome = outcomeConfig
		}
		return refuseWith(status, scrub(err.Error(), tgt.webhook, tgt.secret))
	}
	ll.robot = channels.TargetID(tgt.typ, tgt.webhook.Reveal())
	if ok, wait := t.limit.take(robotKey(tgt.webhook.Reveal()), t.now()); !ok {
		ll.outcome = outcomeLimited
		return tooMany(t.limit.rate, wait)
	}

	res := t.send(ctx, req, tgt, ll)
	res.ErrMsg = scrub(res.ErrMsg, tgt.webhook, tgt.secret)
	res.Hint = scrub(res.Hint, tgt.webhook, tgt.secret)
	return jsonResponse(http.StatusOK, res)
}

// target is the robot under test.
type target struct {
	typ     string // a registered service
	webhook secret.String
	secret  secret.String
	keyword string
	lang    string
	rule    string // "" for a webhook test
}

// target resolves and checks the robot a request names. Errors are 400 (the
// request) or 500 (the deployment's rules).
func (t *Tester) target(req testRequest, ll *logLine) (target, int, error) {
	if req.Rule == "" {
		ll.mode = "webhook"
		typ := cmp.Or(req.Type, channels.Infer(req.Webhook.Reveal()), channels.Default)
		tg := target{typ: typ, webhook: req.Webhook, secret: req.Secret, keyword: req.Keyword}
		if err := checkWebhook(typ, req.Webhook.Reveal(), t.allowed); err != nil {
			return tg, http.StatusBadRequest, err
		}
		return tg, 0, nil
	}
	ll.mode = "rule"
	ll.rule = req.Rule
	if t.rules == nil {
		if t.rulesErr == nil || errors.Is(t.rulesErr, rules.ErrNoRules) {
			return target{}, http.StatusBadRequest, errors.New("no rules configured: set NOTIFY_RULES, NOTIFY_RULES_FILE or DINGTALK_WEBHOOK on this function to test a rule, or test a robot with {\"webhook\": ..., \"secret\": ...}")
		}
		// The request is fine; the deployment's rules are not. 500 says
		// "fix the function"; what is wrong names rules, so it goes to the
		// log (New wrote it there), not to the caller.
		return target{}, http.StatusInternalServerError, errors.New("the function's rules failed to load, so no rule can be tested; the function's log says what to fix")
	}
	rl := t.rules.Rule(req.Rule)
	if rl == nil {
		// The configured names are not listed: a caller learns nothing of
		// the deployment by guessing.
		return target{}, http.StatusBadRequest, fmt.Errorf("unknown rule %q: ask the operator for the rule names, or test a robot with {\"webhook\": ..., \"secret\": ...}", clip(req.Rule, 64))
	}
	// The rule's webhook is the operator's, and rules.Load has already run
	// the one webhook check on it. CONNTEST_ALLOWED_HOSTS is the policy for
	// webhooks a caller names, so it does not apply here: a rule is tested
	// wherever the notifier would send.
	tg := target{typ: cmp.Or(rl.Target.Type, channels.Default), webhook: rl.Target.Webhook, secret: rl.Target.Secret, keyword: rl.Target.Keyword, lang: rl.Lang, rule: rl.Name}
	return tg, 0, nil
}

// clip shortens the caller's text quoted in an answer.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// send runs the test and says what happened.
func (t *Tester) send(ctx context.Context, req testRequest, tg target, ll *logLine) Result {
	ch := t.channels[tg.typ]
	m := message.Test(ch, message.Options{Lang: tg.lang, Keyword: tg.keyword}, req.Message, t.now())
	start := t.now()
	err := ch.Send(ctx, channel.Target{Webhook: tg.webhook, Secret: tg.secret}, m)
	latency := t.now().Sub(start)
	ll.latency = latency
	res := Result{LatencyMs: latency.Milliseconds()}
	warn := ""
	if tg.typ == dingtalk.Name {
		warn = secretWarning(tg.secret)
	}
	if err == nil {
		ll.outcome = outcomeOK
		res.OK = true
		res.ErrMsg = "ok"
		res.Hint = join(hintOK, warn)
		return res
	}
	var de *dingtalk.Error
	if !errors.As(err, &de) {
		// Send promises *channel.Error; anything else is reported without
		// its text, which we have not vetted for secrets.
		de = &dingtalk.Error{Channel: tg.typ, Class: dingtalk.ClassUnknown, Msg: "unexpected error from the " + tg.typ + " client"}
	}
	ll.errcode = de.Code
	ll.class = de.Class.String()
	ll.outcome = outcomeRejected
	if de.Code == 0 {
		ll.outcome = outcomeUnreachable
	}
	res.ErrCode = de.Code
	res.ErrMsg = errMsg(de, tg.rule != "")
	hint := de.Hint // each channel's hint for its own failures
	if tg.typ == dingtalk.Name {
		hint = dingtalk.HintFor(de, dingtalk.Reader{Test: true, Signed: !tg.secret.IsZero(), Keyword: tg.keyword != "", Clock: t.now()})
	}
	res.Hint = join(hint, warn)
	return res
}

// errMsg is DingTalk's errmsg when it answered, else what went wrong. For a
// rule's robot (the operator's webhook) it says no more than the HTTP status
// and the kind of failure: the transport error and a stray answer's text can
// name the webhook's host and path, which the caller is not told.
func errMsg(e *dingtalk.Error, rule bool) string {
	if e.Code != 0 {
		return e.Msg
	}
	var b strings.Builder
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
	}
	if rule {
		kind := e.Class.String()
		if e.Class == dingtalk.ClassNetwork {
			kind = dingtalk.NetworkKind(e.Err)
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(kind)
		return b.String()
	}
	if e.Msg != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error()) // redacted by the dingtalk client
	}
	return b.String()
}

// authorized checks the bearer token in constant time. Both sides are
// hashed first so that the comparison does not leak the token's length
// either.
func (t *Tester) authorized(h map[string]string) bool {
	if !t.hasToken {
		return true
	}
	v, ok := header(h, "authorization")
	if !ok {
		return false
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], t.tokenSum[:]) == 1
}

// header looks a header up by lower-case name, falling back to a
// case-insensitive scan for callers that did not lower-case the keys.
func header(h map[string]string, name string) (string, bool) {
	if v, ok := h[name]; ok {
		return v, true
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// safeMethod keeps a hostile method string out of the answer.
func safeMethod(m string) string {
	if m == "" || len(m) > 16 || strings.IndexFunc(m, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
		return "(unusual)"
	}
	return m
}

// tooMany is the 429 answer: nothing was sent, and Retry-After (whole
// seconds, rounded up) says when a test of this robot will be sent again.
func tooMany(r rate.Rate, wait time.Duration) Response {
	secs := max(1, int64((wait+time.Second-1)/time.Second))
	resp := refuseWith(http.StatusTooManyRequests, fmt.Sprintf(
		"nothing was sent: this robot has had its %d test messages per %s from this function, "+
			"which keeps tests far below DingTalk's 20 messages a minute (past that DingTalk refuses the robot "+
			"for about ten minutes, real alerts included). Try again in %d seconds.", r.N, window(r.Per), secs))
	resp.Headers["retry-after"] = strconv.FormatInt(secs, 10)
	return resp
}

// window says a rate's window in words: "minute", "10 seconds", "1h30m".
func window(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "minute"
	case d == time.Hour:
		return "hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0 && d < time.Hour:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	case d%time.Second == 0 && d < time.Minute:
		return fmt.Sprintf("%d seconds", d/time.Second)
	}
	return d.String()
}

func refuseWith(status int, msg string) Response {
	return jsonResponse(status, refusal{OK: false, Error: msg})
}

func jsonResponse(status int, v any) Response {
	// No HTML escaping: people read these answers in a terminal, where
	// "\u003c" for "<" only gets in the way. Encode adds the final newline.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	b := []byte(`{"ok":false,"error":"cannot encode the answer"}` + "\n")
	if err := enc.Encode(v); err == nil { // plain structs of strings and numbers: always
		b = buf.Bytes()
	} else {
		status = http.StatusInternalServerError
	}
	return Response{
		Status: status,
		Headers: map[string]string{
			"content-type":  "application/json; charset=utf-8",
			"cache-control": "no-store",
		},
		Body: b,
	}
}

// scrub removes the webhook, its access_token and the secret from text
// bound for the caller: the last line of defence behind error messages that
// are written never to quote them. secret.Redactor is the one redactor.
func scrub(s string, webhook, key secret.String) string {
	r := secret.NewRedactor(key.Reveal())
	r.AddURL(webhook.Reveal())
	return r.Redact(s)
}
