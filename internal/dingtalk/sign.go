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
	mac.Write([]byte(strconv.FormatInt(timestampMs, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
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
	return hex.EncodeToString(h.Sum(nil))[:12]
}
