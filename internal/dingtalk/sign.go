package dingtalk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sign returns DingTalk's 加签 signature for a robot secret and a timestamp
// in milliseconds: base64(HMAC-SHA256(key=secret, msg=timestamp+"\n"+secret)).
// The result is raw base64; SignedURL encodes it exactly once, because a
// second encoding is the classic cause of "310000 sign not match".
func Sign(secret string, timestampMs int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	var buf [24]byte
	msg := strconv.AppendInt(buf[:0], timestampMs, 10)
	mac.Write(msg)
	mac.Write([]byte{'\n'})
	mac.Write([]byte(secret))
	var sum [sha256.Size]byte
	return base64.StdEncoding.EncodeToString(mac.Sum(sum[:0]))
}

// errBadWebhook is what SignedURL says about a webhook it cannot use. It
// never quotes the webhook: the webhook carries the access_token.
var errBadWebhook = errors.New("webhook is not an http(s) URL with a host (want https://oapi.dingtalk.com/robot/send?access_token=...)")

// SignedURL returns the webhook with timestamp (milliseconds at now) and sign
// query parameters added, each encoded once by url.Values. A robot without a
// secret (keyword or IP allow-list security) needs no signature, so an empty
// secret returns the webhook unchanged. Parameters already present (a pasted,
// previously signed URL) are replaced.
func SignedURL(webhook, secret string, now time.Time) (string, error) {
	if secret != "" && plainWebhook(webhook) {
		// The common case, a webhook as DingTalk shows it, is signed by
		// appending: no URL parse and re-encode on every send.
		ts := now.UnixMilli()
		var b strings.Builder
		b.Grow(len(webhook) + 80)
		b.WriteString(webhook)
		b.WriteString("&sign=") // the order url.Values.Encode gives a plain webhook
		b.WriteString(url.QueryEscape(Sign(secret, ts)))
		b.WriteString("&timestamp=")
		var buf [20]byte
		b.Write(strconv.AppendInt(buf[:0], ts, 10))
		return b.String(), nil
	}
	u, err := parseWebhook(webhook)
	if err != nil {
		return "", err
	}
	if secret == "" {
		return webhook, nil
	}
	ts := now.UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", Sign(secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// plainWebhook reports whether webhook is an http(s) URL with a host and a
// query that carries no signing parameters yet and nothing a parse would
// rewrite (spaces, fragments, controls), so that appending to it gives the
// same request as SignedURL's careful path.
func plainWebhook(webhook string) bool {
	rest, ok := strings.CutPrefix(webhook, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(webhook, "http://"); !ok {
			return false
		}
	}
	hostPath, query, ok := strings.Cut(rest, "?")
	if !ok || query == "" || strings.HasSuffix(query, "&") {
		return false
	}
	host, _, _ := strings.Cut(hostPath, "/")
	name, port, hasPort := strings.Cut(host, ":")
	if name == "" || !allIn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ||
		hasPort && (port == "" || !allIn(port, "0123456789")) {
		return false // IPv6 literals, odd ports and the like take the careful path
	}
	for i := 0; i < len(webhook); i++ {
		if c := webhook[i]; c <= ' ' || c >= 0x7f || c == '#' || c == '\\' || c == '%' {
			return false
		}
	}
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		key, _, _ := strings.Cut(kv, "=")
		if key == "" || key == "timestamp" || key == "sign" {
			return false
		}
	}
	return true
}

func allIn(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(chars, s[i]) < 0 {
			return false
		}
	}
	return true
}

func parseWebhook(webhook string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(webhook))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// url.Parse's error quotes the input; drop it.
		return nil, errBadWebhook
	}
	return u, nil
}

// RobotID returns a short, stable, non-secret id for the robot behind a
// webhook: the first 12 hex digits of sha256(host + path + access_token).
// It keys rate budgets and target health and is safe to log; the token
// cannot be recovered from it. Signing parameters and other query values do
// not change it. An unparsable webhook still gets an id (of its whole text).
func RobotID(webhook string) string {
	h := sha256.New()
	if u, err := url.Parse(strings.TrimSpace(webhook)); err == nil && u.Host != "" {
		h.Write([]byte(strings.ToLower(u.Host)))
		h.Write([]byte(u.EscapedPath()))
		h.Write([]byte{0})
		h.Write([]byte(u.Query().Get("access_token")))
	} else {
		h.Write([]byte(webhook))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))[:12]
}
