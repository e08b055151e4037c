package connectivity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// MaxBodyBytes is the largest request body the function reads. A test
// request is a URL, a secret and at most a short text; anything bigger is a
// mistake or an attack, and DingTalk would refuse a message over 20000
// bytes anyway.
const MaxBodyBytes = 64 << 10

// testRequest is the caller's JSON body: either a robot (webhook + secret,
// optional keyword) or the name of a configured rule, plus an optional text.
type testRequest struct {
	Webhook secret.String
	Secret  secret.String
	Keyword string
	Rule    string
	Message string
}

// wireRequest is the JSON form. Plain strings here: json.Unmarshal into
// secret.String would work too, but keeping the wire struct private and
// converting at once makes it obvious where the values turn secret.
type wireRequest struct {
	Webhook *string `json:"webhook"`
	Secret  *string `json:"secret"`
	Keyword *string `json:"keyword"`
	Rule    *string `json:"rule"`
	Message *string `json:"message"`
}

// parseRequest reads a test request. Its errors are safe to show to the
// caller: they name fields, never their values (the webhook carries the
// access_token).
func parseRequest(body []byte) (testRequest, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return testRequest{}, errors.New(`request body is empty: POST JSON {"webhook": "https://oapi.dingtalk.com/robot/send?access_token=...", "secret": "SEC..."} or {"rule": "<rule name>"}`)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	// A misspelt field ("secert") would otherwise send an unsigned message
	// and come back as a puzzling "sign not match".
	dec.DisallowUnknownFields()
	var w wireRequest
	if err := dec.Decode(&w); err != nil {
		return testRequest{}, describeJSONError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return testRequest{}, errors.New("request body is not one JSON object: extra data after the closing brace")
	}
	var r testRequest
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.TrimSpace(*p)
	}
	r.Webhook = secret.String(str(w.Webhook))
	r.Secret = secret.String(str(w.Secret))
	r.Keyword = str(w.Keyword)
	r.Rule = str(w.Rule)
	if w.Message != nil {
		r.Message = *w.Message // the caller's text, spacing and all
	}
	switch {
	case r.Webhook.IsZero() && r.Rule == "":
		return testRequest{}, errors.New(`request names no robot: give "webhook" (and "secret" when the robot uses 加签 signing) or "rule"`)
	case !r.Webhook.IsZero() && r.Rule != "":
		return testRequest{}, errors.New(`request gives both "webhook" and "rule": give one, the test sends to exactly one robot`)
	case r.Rule != "" && (!r.Secret.IsZero() || r.Keyword != ""):
		// The rule's own secret and keyword are what is being tested.
		return testRequest{}, errors.New(`"secret" and "keyword" go with "webhook"; a "rule" test uses the rule's own target`)
	}
	return r, nil
}

// describeJSONError turns a decoding error into words for the caller.
// encoding/json's messages name types and fields, not values, but they are
// rewritten anyway so that no future change of theirs can quote a token.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("request body is not JSON (syntax error at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("request body is JSON %s, want an object", typ.Value)
		}
		return fmt.Errorf("request field %q is JSON %s, want a string", typ.Field, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return errors.New("request body is not JSON (it ends too early)")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fmt.Errorf("request has unknown field %s: want webhook, secret, keyword, rule, message", name)
	}
	return errors.New("request body is not a JSON object")
}

// hostList is the set of host[:port] the function may send to, lower-case.
type hostList []string

// parseHosts reads CONNTEST_ALLOWED_HOSTS: comma-separated host[:port].
func parseHosts(s string) (hostList, error) {
	var hs hostList
	for i, h := range strings.Split(s, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, "/@?#\\ ") {
			return nil, fmt.Errorf("CONNTEST_ALLOWED_HOSTS entry %d %q: want host or host:port, without scheme or path", i+1, h)
		}
		hs = append(hs, h)
	}
	if len(hs) == 0 {
		return nil, errors.New("CONNTEST_ALLOWED_HOSTS names no host: leave it unset for oapi.dingtalk.com, or list host[:port] separated by commas")
	}
	return hs, nil
}

func (hs hostList) allows(hostport string) bool {
	for _, h := range hs {
		if h == hostport {
			return true
		}
	}
	return false
}

// webhookError is a refusal of the webhook URL. Its text never quotes the
// URL.
type webhookError struct{ msg string }

func (e *webhookError) Error() string { return e.msg }

func refuse(format string, args ...any) error {
	return &webhookError{msg: fmt.Sprintf(format, args...)}
}

// checkWebhook decides whether the function may send to webhook. The
// caller chooses the URL, so this is what keeps the function from becoming
// a proxy into the private network: the host[:port] must be on the list
// exactly (no suffix or DNS games), https is required except for loopback
// hosts the operator listed (the local fake robot in tests and local mode),
// and URLs with userinfo are refused because "https://oapi.dingtalk.com@evil/"
// reads like the right host to a human and is not.
//
// anyHost skips the host check, for webhooks that come from the operator's
// rules rather than from the caller.
func checkWebhook(webhook string, allowed hostList, anyHost bool) error {
	const want = "want https://oapi.dingtalk.com/robot/send?access_token=..."
	if !strings.Contains(webhook, "://") {
		if looksLikeToken(webhook) {
			return refuse("webhook is not a URL; it looks like only the access_token was pasted: give the whole webhook URL, %s", want)
		}
		return refuse("webhook is not a URL: %s", want)
	}
	u, err := url.Parse(webhook)
	if err != nil {
		// url.Parse's error quotes the URL, token included: not shown.
		return refuse("webhook is not a valid URL: %s", want)
	}
	if u.User != nil {
		return refuse("webhook has a user name or password before the host (user@host): refused, %s", want)
	}
	if u.Opaque != "" || u.Host == "" {
		return refuse("webhook has no host: %s", want)
	}
	host := strings.ToLower(u.Host)
	if !anyHost && !allowed.allows(host) {
		return refuse("webhook host %q is not allowed (allowed: %s); the operator can list more in CONNTEST_ALLOWED_HOSTS", host, strings.Join(allowed, ", "))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return refuse("webhook must use https, not http: %s", want)
		}
	default:
		return refuse("webhook scheme %q is not https: %s", u.Scheme, want)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return refuse("webhook query string is malformed: %s", want)
	}
	token := strings.TrimSpace(q.Get("access_token"))
	switch {
	case token == "":
		return refuse("webhook has no access_token parameter: copy the whole Webhook URL from the robot's settings, %s", want)
	case pastedURL(token):
		return refuse("webhook's access_token is itself a URL: the whole webhook was pasted where only the token goes; give the webhook URL once, %s", want)
	}
	return nil
}

// isLoopback reports whether host (no port) names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pastedURL reports whether an access_token value is really a URL or part
// of one, the commonest 300001 cause.
func pastedURL(token string) bool {
	t := strings.ToLower(token)
	return strings.Contains(t, "://") || strings.Contains(t, "dingtalk.com") ||
		strings.Contains(t, "access_token") || strings.Contains(t, "%3a%2f%2f")
}

// looksLikeToken reports whether s is a bare access token: DingTalk's are
// 64 hex digits; accept any long run of URL-safe characters.
func looksLikeToken(s string) bool {
	if len(s) < 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
