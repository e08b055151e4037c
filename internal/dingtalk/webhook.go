package dingtalk

import (
	"cmp"
	"net"
	"net/url"
	"strings"
)

// Webhook is a robot webhook URL taken apart by ParseWebhook.
type Webhook struct {
	Host  string // lower-case host name or IP, without port or brackets
	Port  string // the explicit port, else the scheme's: "443" for https, "80" for http
	Token string // the access_token: a secret, for callers to redact
}

// WebhookError says what is wrong with a webhook URL without quoting it: the URL carries the
// robot's access token. Callers put the field name in front ("target.webhook: ...").
type WebhookError struct{ Problem string }

func (e *WebhookError) Error() string { return e.Problem }

const pasteHint = "paste the whole webhook URL (https://oapi.dingtalk.com/robot/send?access_token=...)"

// ParseWebhook checks a robot webhook URL, the one check both the rules validator and the
// connectivity function apply: an https URL with a host and an access_token, no user name or
// password before the host (https://oapi.dingtalk.com@evil.example/ reads like the right host to a
// person and is not), and an access_token that is not itself a URL (the commonest paste mistake).
// Plain http is accepted only for loopback hosts: the fake robot in tests and local mode. Which
// hosts a webhook may name is the caller's policy, not this function's.
//
// Errors are *WebhookError. Token is set whenever an access token could be read, even with an
// error, so that the caller can keep it out of everything it prints; Host and Port are set once
// the URL has a host.
func ParseWebhook(hook string) (Webhook, error) {
	var w Webhook
	fail := func(problem string) (Webhook, error) { return w, &WebhookError{Problem: problem} }
	if strings.TrimSpace(hook) != hook {
		return fail("has spaces around it; remove them")
	}
	if !strings.Contains(hook, "://") {
		if looksLikeToken(hook) {
			w.Token = hook
			return fail("looks like a bare access token; " + pasteHint)
		}
		if _, query, ok := strings.Cut(hook, "?"); ok { // "oapi.dingtalk.com/robot/send?access_token=..."
			q, _ := url.ParseQuery(query)
			w.Token = strings.TrimSpace(q.Get("access_token"))
		}
		return fail("not a URL; " + pasteHint)
	}
	u, err := url.Parse(hook)
	if err != nil {
		// url.Parse's error quotes the URL, token and all; say it in our words.
		return fail("not a valid URL; " + pasteHint)
	}
	q, qerr := url.ParseQuery(u.RawQuery)
	w.Token = strings.TrimSpace(q.Get("access_token"))
	if u.User != nil {
		return fail("has a user name or password before the host (user@host); " + pasteHint)
	}
	if u.Opaque != "" || u.Host == "" {
		return fail("has no host; " + pasteHint)
	}
	w.Host = strings.ToLower(u.Hostname())
	w.Port = u.Port()
	switch u.Scheme {
	case "https":
		w.Port = cmp.Or(w.Port, "443")
	case "http":
		w.Port = cmp.Or(w.Port, "80")
		if !isLoopback(w.Host) {
			return fail("must use https (http is allowed only for 127.0.0.1, ::1 and localhost)")
		}
	default:
		// Not quoted: whatever precedes "://" is the caller's text, perhaps a token.
		return fail("must use https")
	}
	switch {
	case qerr != nil:
		return fail("has a malformed query string; " + pasteHint)
	case w.Token == "":
		return fail("has no access_token query parameter; " + pasteHint)
	case pastedURL(w.Token):
		return fail("has a URL as its access_token: the whole webhook was pasted where only the token goes; paste the webhook URL once (https://oapi.dingtalk.com/robot/send?access_token=...)")
	}
	return w, nil
}

// isLoopback reports whether host (no port) names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// pastedURL reports whether an access_token value is really a URL or part of one.
func pastedURL(token string) bool {
	t := strings.ToLower(token)
	return strings.Contains(t, "://") || strings.Contains(t, "dingtalk.com") ||
		strings.Contains(t, "access_token") || strings.Contains(t, "%3a%2f%2f")
}

// looksLikeToken reports whether s is a bare access token: DingTalk's are 64 hex digits; accept
// any run of 16 or more URL-safe characters.
func looksLikeToken(s string) bool {
	if len(s) < 16 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
