// Package connectivity is the "test connectivity" HTTP function: it sends one
// test message to a chat target of any registered service (DingTalk, WeCom,
// Lark/Feishu, Slack or a signed webhook), given by type and webhook or by
// the name of a configured rule, and answers, in plain words, whether the
// target works and what to fix when it does not.
//
// The package knows nothing of FC or Lambda: Handle takes and returns plain
// Request and Response values, and functions/connectivity adapts them to
// platform.RunHTTP in a few lines. That keeps the runtime SDKs out of this
// package's tests and keeps platform free of our vocabulary. It knows no
// service either, except DingTalk's test-specific hints: the services, their
// official hosts and their target ids come from the registry
// (internal/channel/channels).
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
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/message"
	"github.com/pai-notifier/pai-notifier/internal/rate"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// DefaultTimeout bounds one test send. The services answer in well under a
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
	// Channels send the test message, by target type. A service of the
	// registry that is missing (or the whole map, when nil) gets its
	// registered channel, built with Timeout.
	Channels map[string]channel.Channel
	// Timeout bounds one test send, whatever the channel; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// AllowedHosts lists the host[:port] a caller's webhook may name, compared
	// exactly and case-insensitively; a bare host means port 443. nil means
	// the registry's official hosts (channels.OfficialHosts): a generic
	// webhook's host must be listed. It does not apply to {"rule": ...}
	// tests: a rule's webhook is the operator's.
	AllowedHosts []string
	// RateLimit is how many test messages one instance sends to one target per
	// rolling window, e.g. "5/1m" (rate.Parse); "" means DefaultRateLimit.
	RateLimit string
	// Token, when set, must come as "Authorization: Bearer <token>".
	Token  secret.String
	Logger *slog.Logger     // nil: JSON to stderr
	Now    func() time.Time // nil: time.Now
}

// FromEnv builds a Config from the environment, once per function instance:
// the rules as the notifier loads them (rules.Load), CONNTEST_ALLOWED_HOSTS
// (comma-separated host[:port], replacing the default official hosts),
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
	channels map[string]channel.Channel
	timeout  time.Duration
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
	t := &Tester{rules: cfg.Rules, rulesErr: cfg.RulesErr, timeout: cmp.Or(cfg.Timeout, DefaultTimeout), log: cfg.Logger, now: cfg.Now}
	t.channels = map[string]channel.Channel{}
	for _, s := range channels.All {
		if ch := cfg.Channels[s.Name]; ch != nil {
			t.channels[s.Name] = ch
		} else {
			t.channels[s.Name] = s.New(t.timeout)
		}
	}
	if t.log == nil {
		t.log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if t.now == nil {
		t.now = time.Now
	}
	var errs []error
	hosts := cfg.AllowedHosts
	if hosts == nil {
		hosts = channels.OfficialHosts()
	}
	var err error
	if t.allowed, err = parseHosts(strings.Join(hosts, ",")); err != nil {
		errs = append(errs, err)
		t.cfgVars = append(t.cfgVars, "CONNTEST_ALLOWED_HOSTS")
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

// Result is the answer to a test that ran: whether the service accepted the
// message and, when not, what to do.
type Result struct {
	OK        bool   `json:"ok"`
	Type      string `json:"type"`    // the target's service: dingtalk, wecom, lark, slack or webhook
	ErrCode   int    `json:"errcode"` // the service's own code (DingTalk/WeCom errcode, Lark code); 0 when it has none
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
	outcomeRejected     outcome = "rejected"     // the service answered, not with success, or the channel refused to send
	outcomeUnreachable  outcome = "unreachable"  // no answer from the service
	outcomeRefused      outcome = "refused"      // 400/413: not sent
	outcomeLimited      outcome = "rate-limited" // 429: the target had its tests for now
	outcomeUnauthorized outcome = "unauthorized"
	outcomeMethod       outcome = "method"
	outcomeConfig       outcome = "config-error"
)

// logLine is what one request leaves in the log. Nothing here can hold the
// webhook or the secret: the target is named by channels.TargetID (for
// DingTalk, dingtalk.RobotID, as before other services existed).
type logLine struct {
	outcome outcome
	status  int
	mode    string // "webhook" | "rule"
	rule    string
	typ     string // the target's service
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
		level = slog.LevelWarn // someone tests one target faster than it should be
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
	if ll.typ != "" {
		attrs = append(attrs, slog.String("type", ll.typ))
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
	ll.typ = tgt.spec.Name
	ll.robot = channels.TargetID(tgt.spec.Name, tgt.webhook.Reveal())
	if ok, wait := t.limit.take(limitKey(tgt.spec.Name, tgt.webhook.Reveal()), t.now()); !ok {
		ll.outcome = outcomeLimited
		return tooMany(t.limit.rate, wait)
	}

	res := t.send(ctx, req, tgt, ll)
	res.ErrMsg = scrub(res.ErrMsg, tgt.webhook, tgt.secret)
	res.Hint = scrub(res.Hint, tgt.webhook, tgt.secret)
	return jsonResponse(http.StatusOK, res)
}

// target is the chat target under test.
type target struct {
	spec    channels.Spec
	webhook secret.String
	secret  secret.String
	keyword string
	lang    string
	rule    string // "" for a webhook test
}

// target resolves and checks the target a request names. Errors are 400 (the
// request) or 500 (the deployment's rules).
func (t *Tester) target(req testRequest, ll *logLine) (target, int, error) {
	if req.Rule == "" {
		ll.mode = "webhook"
		tg := target{webhook: req.Webhook, secret: req.Secret, keyword: req.Keyword}
		spec, err := serviceOf(req.Type, req.Webhook.Reveal())
		if err != nil {
			return tg, http.StatusBadRequest, err
		}
		tg.spec = spec
		if err := checkWebhook(spec.Name, req.Webhook.Reveal(), t.allowed); err != nil {
			return tg, http.StatusBadRequest, err
		}
		return tg, 0, nil
	}
	ll.mode = "rule"
	ll.rule = req.Rule
	if t.rules == nil {
		if t.rulesErr == nil || errors.Is(t.rulesErr, rules.ErrNoRules) {
			return target{}, http.StatusBadRequest, errors.New("no rules configured: set NOTIFY_RULES, NOTIFY_RULES_FILE, NOTIFY_WEBHOOK or DINGTALK_WEBHOOK on this function to test a rule, or test a target with {\"type\": ..., \"webhook\": ..., \"secret\": ...}")
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
		return target{}, http.StatusBadRequest, fmt.Errorf("unknown rule %q: ask the operator for the rule names, or test a target with {\"type\": ..., \"webhook\": ..., \"secret\": ...}", clip(req.Rule, 64))
	}
	// The rule's webhook is the operator's, and rules.Load has already run
	// the one webhook check on it. CONNTEST_ALLOWED_HOSTS is the policy for
	// webhooks a caller names, so it does not apply here: a rule is tested
	// wherever the notifier would send.
	tg := target{webhook: rl.Target.Webhook, secret: rl.Target.Secret, keyword: rl.Target.Keyword, lang: rl.Lang, rule: rl.Name}
	spec, ok := channels.Lookup(rl.Target.Type)
	if !ok {
		// rules.Load accepts only registered types; this is a build whose
		// validator and registry disagree.
		return target{}, http.StatusInternalServerError, errors.New("the rule's target type is not one this function can send to: this build's rules and channel registry disagree")
	}
	tg.spec = spec
	return tg, 0, nil
}

// serviceOf is the service a webhook test is for: the request's type, else
// the one whose official host the webhook names (channels.Infer), else
// DingTalk, as for a rule that names no type. A type that contradicts the
// webhook's official host is refused: the message would reach a service
// that cannot read it, and the answer would only confuse.
func serviceOf(typ, webhook string) (channels.Spec, error) {
	inferred := channels.Infer(webhook)
	spec, ok := channels.Lookup(cmp.Or(typ, inferred))
	if !ok {
		// Not quoted: the caller's text, which may be anything.
		return channels.Spec{}, fmt.Errorf("unknown \"type\": want one of %s, or leave it out for a service's official webhook", strings.Join(channels.Names(), ", "))
	}
	if inferred != "" && inferred != spec.Name {
		return channels.Spec{}, fmt.Errorf("\"type\" is %s but the webhook names %s's official host: leave \"type\" out, or correct it", spec.Name, inferred)
	}
	return spec, nil
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
	name := tg.spec.Name
	ch := t.channels[name]
	m := message.Test(ch, message.Options{Lang: tg.lang, Keyword: tg.keyword}, req.Message, t.now())
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	start := t.now()
	err := ch.Send(ctx, channel.Target{Webhook: tg.webhook, Secret: tg.secret}, m)
	latency := t.now().Sub(start)
	ll.latency = latency
	res := Result{Type: name, LatencyMs: latency.Milliseconds()}
	warn := secretWarning(tg.spec, tg.secret)
	if err == nil {
		ll.outcome = outcomeOK
		res.OK = true
		res.ErrMsg = "ok"
		res.Hint = join(hintOK(tg.spec, !tg.secret.IsZero()), warn)
		return res
	}
	var ce *channel.Error
	if !errors.As(err, &ce) {
		// Send promises *channel.Error; anything else is reported without
		// its text, which we have not vetted for secrets.
		ce = &channel.Error{Channel: name, Class: channel.ClassUnknown, Msg: "unexpected error from the " + name + " channel"}
	}
	ll.errcode = ce.Code
	ll.class = ce.Class.String()
	ll.outcome = outcomeRejected
	if ce.Class == channel.ClassNetwork && ce.HTTPStatus == 0 {
		ll.outcome = outcomeUnreachable
	}
	res.ErrCode = ce.Code
	res.ErrMsg = errMsg(ce, tg.rule != "")
	res.Hint = join(t.hint(tg, ce), warn)
	return res
}

// hint is what the person testing should do about e. DingTalk's hints have
// a version for a test (dingtalk.Reader.Test: they name the request's fields
// and say to test again); every other channel's are the ones it gave e,
// with a word on what a test does differently from a notification.
func (t *Tester) hint(tg target, e *channel.Error) string {
	if tg.spec.Name == dingtalk.Name {
		return dingtalk.HintFor(e, dingtalk.Reader{Test: true, Signed: !tg.secret.IsZero(), Keyword: tg.keyword != "", Clock: t.now()})
	}
	return join(cmp.Or(e.Hint, tg.spec.HintFor(e)), testNote(e, tg.rule != ""))
}

// errMsg is the service's message when it answered with a code of its own,
// else what went wrong. For a rule's target (the operator's webhook) it says
// no more than the HTTP status and the kind of failure: the transport error
// and a stray answer's text can name the webhook's host and path, which the
// caller is not told.
func errMsg(e *channel.Error, rule bool) string {
	if e.Code != 0 {
		return e.Msg
	}
	var b strings.Builder
	if e.HTTPStatus != 0 && e.HTTPStatus != http.StatusOK {
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
	}
	if rule {
		kind := e.Class.String()
		if e.Class == channel.ClassNetwork && e.HTTPStatus == 0 {
			kind = dingtalk.NetworkKind(e.Err) // any transport error: dns, refused, tls, timeout, reset
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
		b.WriteString(e.Err.Error()) // redacted by the channel
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
// seconds, rounded up) says when a test of this target will be sent again.
func tooMany(r rate.Rate, wait time.Duration) Response {
	secs := max(1, int64((wait+time.Second-1)/time.Second))
	resp := refuseWith(http.StatusTooManyRequests, fmt.Sprintf(
		"nothing was sent: this target has had its %d test messages per %s from this function, "+
			"which keeps tests well within what the chat service takes from one robot, so that they never use up what real alerts need "+
			"(DingTalk, for one, refuses a robot for about ten minutes past 20 messages a minute). Try again in %d seconds.", r.N, window(r.Per), secs))
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

// scrub removes the webhook and every credential in it (access_token, key,
// token or secret path, query values) and the secret from text bound for the
// caller: the last line of defence behind error messages that are written
// never to quote them. secret.Redactor is the one redactor.
func scrub(s string, webhook, key secret.String) string {
	r := secret.NewRedactor(key.Reveal())
	hook := webhook.Reveal()
	r.AddURL(hook)
	if u, err := url.Parse(hook); err == nil {
		// WeCom's key and a generic webhook's token sit in the query; Lark's
		// token and Slack's secret path in the path. Short pieces ("hooks",
		// "send", "v2") are words, not credentials.
		for _, vs := range u.Query() {
			for _, v := range vs {
				if len(v) >= minCredential {
					r.Add(v)
				}
			}
		}
		for _, p := range strings.Split(u.Path, "/") {
			if len(p) >= minCredential {
				r.Add(p)
			}
		}
		if u.User != nil {
			r.Add(u.User.String(), u.User.Username())
			if p, ok := u.User.Password(); ok {
				r.Add(p)
			}
		}
	}
	return r.Redact(s)
}

// minCredential is the shortest piece of a webhook scrub treats as a
// credential, as the rules validator and the webhook channel count it:
// every service's token is far longer, and shorter pieces are path words
// such as "robot" or "hook".
const minCredential = 8
