package dingtalk

import (
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// slowSignedURL is SignedURL's careful path, forced.
func slowSignedURL(webhook, secret string, now time.Time) (string, error) {
	u, err := parseWebhook(webhook)
	if err != nil {
		return "", err
	}
	ts := now.UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", Sign(secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// sameRequest reports whether two URLs name the same endpoint with the same
// query values, whatever their parameter order.
func sameRequest(t testing.TB, a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("unparsable: %v %v", err1, err2)
	}
	return ua.Scheme == ub.Scheme && ua.Host == ub.Host && ua.EscapedPath() == ub.EscapedPath() &&
		reflect.DeepEqual(ua.Query(), ub.Query())
}

func TestSignedURLFastPathAgrees(t *testing.T) {
	now := time.UnixMilli(1577808000000)
	for _, w := range []string{
		"https://oapi.dingtalk.com/robot/send?access_token=abc123",
		"http://127.0.0.1:8080/robot/send?access_token=demo-team",
		"https://oapi.dingtalk.com/robot/send?access_token=abc&x=1",
		"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=old", // slow path
		"https://oapi.dingtalk.com/robot/send?access_token=a%2Bb",                    // slow path
		" https://oapi.dingtalk.com/robot/send?access_token=abc",                     // slow path
	} {
		got, err := SignedURL(w, "SECthisisatestsecret", now)
		if err != nil {
			t.Fatalf("%q: %v", w, err)
		}
		want, _ := slowSignedURL(w, "SECthisisatestsecret", now)
		if !sameRequest(t, got, want) {
			t.Errorf("%q:\n fast %s\n slow %s", w, got, want)
		}
	}
}

func FuzzSignedURLFastPath(f *testing.F) {
	f.Add("https://oapi.dingtalk.com/robot/send?access_token=abc123")
	f.Add("http://127.0.0.1:1/x?a=b&c")
	f.Add("https://h?=x")
	f.Fuzz(func(t *testing.T, w string) {
		if !plainWebhook(w) {
			return
		}
		now := time.UnixMilli(1577808000000)
		got, err := SignedURL(w, "SECk", now)
		if err != nil {
			t.Fatalf("fast path accepted %q the careful path refuses: %v", w, err)
		}
		want, err := slowSignedURL(w, "SECk", now)
		if err != nil {
			t.Fatalf("careful path refuses %q: %v", w, err)
		}
		if !sameRequest(t, got, want) {
			t.Errorf("%q:\n fast %s\n slow %s", w, got, want)
		}
	})
}
