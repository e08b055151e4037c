package connectivity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// MaxBodyBytes is the largest request body the function reads. A test
// request is a URL, a secret and at most a short text; anything bigger is a
// mistake or an attack, and no channel's message is over 40000 bytes
// anyway.
const MaxBodyBytes = 64 << 10

// testRequest is the caller's JSON body: either a target (type, webhook,
// secret, optional keyword) or the name of a configured rule, plus an
// optional text.
type testRequest struct {
	Type    string // a registered target.type; "" infers it from the webhook's host
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
	Type    *string `json:"type"`
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
		return testRequest{}, errors.New(`request body is empty: POST JSON {"type": "dingtalk", "webhook": "https://oapi.dingtalk.com/robot/send?access_token=...", "secret": "SEC..."} or {"rule": "<rule name>"}`)
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
	r.Type = strings.ToLower(str(w.Type))
	r.Webhook = secret.String(str(w.Webhook))
	r.Secret = secret.String(str(w.Secret))
	r.Keyword = str(w.Keyword)
	r.Rule = str(w.Rule)
	if w.Message != nil {
		r.Message = *w.Message // the caller's text, spacing and all
	}
	switch {
	case r.Webhook.IsZero() && r.Rule == "":
		return testRequest{}, errors.New(`request names no target: give "webhook" (with "type" for a service whose host it does not name, and "secret" when the target signs) or "rule"`)
	case !r.Webhook.IsZero() && r.Rule != "":
		return testRequest{}, errors.New(`request gives both "webhook" and "rule": give one, the test sends to exactly one target`)
	case r.Rule != "" && (!r.Secret.IsZero() || r.Keyword != "" || r.Type != ""):
		// The rule's own type, secret and keyword are what is being tested.
		return testRequest{}, errors.New(`"type", "secret" and "keyword" go with "webhook"; a "rule" test uses the rule's own target`)
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
		return fmt.Errorf("request has unknown field %s: want type, webhook, secret, keyword, rule, message", name)
	}
	return errors.New("request body is not a JSON object")
}

// hostList is the set of hosts and ports the function may send a caller's webhook to.
type hostList []hostPort

type hostPort struct{ host, port string }

// parseHosts reads CONNTEST_ALLOWED_HOSTS: comma-separated entries, each a host (meaning port 443,
// where https goes) or host:port for any other port; IPv6 addresses in brackets when a port
// follows ("[::1]:8080"). Hosts compare case-insensitively and exactly: no suffixes, no wildcards.
func parseHosts(s string) (hostList, error) {
	var hs hostList
	for i, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		bad := func(why string) error {
			return fmt.Errorf("CONNTEST_ALLOWED_HOSTS entry %d %q: %s", i+1, e, why)
		}
		if strings.ContainsAny(e, "/@?#\\ ") {
			return nil, bad("want host or host:port, without scheme or path")
		}
		hp := hostPort{host: e, port: "443"}
		switch {
		case strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]"): // "[::1]"
			hp.host = e[1 : len(e)-1]
		case strings.Count(e, ":") == 1 || strings.HasPrefix(e, "["): // "host:port", "[::1]:port"
			h, p, err := net.SplitHostPort(e)
			if err != nil {
				return nil, bad("want host or host:port")
			}
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || p != strconv.Itoa(n) {
				return nil, bad("the port must be a number from 1 to 65535")
			}
			hp = hostPort{host: h, port: p}
		}
		if hp.host == "" {
			return nil, bad("no host")
		}
		hs = append(hs, hp)
	}
	if len(hs) == 0 {
		return nil, errors.New("CONNTEST_ALLOWED_HOSTS names no host: leave it unset for the chat services' official hosts, or list host[:port] separated by commas")
	}
	return hs, nil
}

func (hs hostList) allows(host, port string) bool {
	return slices.Contains(hs, hostPort{host: strings.ToLower(host), port: port})
}

// webhookError is a refusal of the caller's webhook URL. Its text never
// quotes the URL nor names anything the operator configured.
type webhookError struct{ msg string }

func (e *webhookError) Error() string { return e.msg }

// checkWebhook decides whether the function may send to a caller's webhook
// for service typ: the one check of a target's webhook (rules.CheckWebhook,
// as the notifier applies it when the rules load), and on top of it this
// function's own policy, the allow-list. The caller chooses the URL, so the
// list is what keeps the function from becoming a proxy into the private
// network: the host and port must be on it exactly (no suffix or DNS games).
// The host is checked first, so that a URL to an unlisted host is refused as
// such whatever else is wrong with it.
func checkWebhook(typ, webhook string, allowed hostList) error {
	if host, port, ok := hostAndPort(webhook); ok && !allowed.allows(host, port) {
		// Neither the caller's host (their own text, which may hold anything)
		// nor the list (the operator's) is named.
		return &webhookError{"webhook: its host and port are not ones this function may call; " +
			"ask the operator to add them to CONNTEST_ALLOWED_HOSTS (a bare host means port 443)"}
	}
	if err := rules.CheckWebhook(typ, webhook); err != nil {
		return &webhookError{"webhook: " + err.Error()}
	}
	return nil
}

// hostAndPort is where a webhook points: its lower-case host (no brackets) and
// its port, the scheme's when none is written. ok is false when the URL has
// no host to speak of, or a user name before it, which reads like a host to
// a person and is not: rules.CheckWebhook refuses those in words.
func hostAndPort(webhook string) (host, port string, ok bool) {
	u, err := url.Parse(webhook)
	if err != nil || u.User != nil || u.Opaque != "" || u.Host == "" {
		return "", "", false
	}
	port = u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()), port, true
}
