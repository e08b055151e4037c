package dingtalk

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// Known-answer vectors for DingTalk's robot signature (base64 of HMAC-SHA256, keyed by the secret,
// of "<timestamp ms>\n<secret>"), computed outside Go:
//
//	printf '1577808000000\nSECthisisatestsecret' | openssl dgst -sha256 -hmac SECthisisatestsecret -binary | base64
const (
	vecSecret  = "SECthisisatestsecret"
	vecTS      = int64(1577808000000)
	vecSign    = "vHVbrKFKmaJIdZEEU+wpEzBSfVo0oF/Hf1g0rBe62XM="
	vecOnce    = "vHVbrKFKmaJIdZEEU%2BwpEzBSfVo0oF%2FHf1g0rBe62XM%3D"
	vecTwice   = "vHVbrKFKmaJIdZEEU%252BwpEzBSfVo0oF%252FHf1g0rBe62XM%253D"
	vecWebhook = "https://oapi.dingtalk.com/robot/send?access_token=abc123"
)

func TestSignKnownAnswer(t *testing.T) {
	if got := Sign(vecSecret, vecTS); got != vecSign {
		t.Fatalf("Sign = %q, want %q", got, vecSign)
	}
	if got := url.QueryEscape(Sign(vecSecret, vecTS)); got != vecOnce {
		t.Fatalf("encoded once = %q, want %q", got, vecOnce)
	}
	if Sign(vecSecret, vecTS+1) == vecSign || Sign(vecSecret+"x", vecTS) == vecSign {
		t.Fatal("signature does not depend on its inputs")
	}
}

func TestSignedURL(t *testing.T) {
	at := time.UnixMilli(vecTS)
	tests := []struct {
		name, webhook, secret string
		want                  string // exact result
		wantErr               bool
	}{
		{name: "signed", webhook: vecWebhook, secret: vecSecret,
			want: "https://oapi.dingtalk.com/robot/send?access_token=abc123&sign=" + vecOnce + "&timestamp=1577808000000"},
		{name: "no secret leaves webhook alone", webhook: vecWebhook + "&x=%2F", secret: "",
			want: vecWebhook + "&x=%2F"},
		{name: "old signature replaced", webhook: vecWebhook + "&timestamp=1&sign=zzz", secret: vecSecret,
			want: "https://oapi.dingtalk.com/robot/send?access_token=abc123&sign=" + vecOnce + "&timestamp=1577808000000"},
		{name: "only the token", webhook: "abc123", secret: vecSecret, wantErr: true},
		{name: "not a URL", webhook: "https://oapi.dingtalk.com/robot/send?access_token=abc123\x7f%zz", secret: vecSecret, wantErr: true},
		{name: "no host", webhook: "https:///robot/send?access_token=abc123", wantErr: true},
		{name: "ftp", webhook: "ftp://oapi.dingtalk.com/robot/send?access_token=abc123", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SignedURL(tt.webhook, tt.secret, at)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("SignedURL = %q, want error", got)
				}
				if strings.Contains(err.Error(), "abc123") {
					t.Fatalf("error quotes the token: %v", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("SignedURL = %q, %v; want %q", got, err, tt.want)
			}
			if strings.Contains(got, vecTwice) || strings.Contains(got, "%25") {
				t.Fatalf("sign encoded twice: %s", got)
			}
			// Decoding once gives back the raw signature.
			if tt.secret != "" {
				u, _ := url.Parse(got)
				if s := u.Query().Get("sign"); s != vecSign {
					t.Fatalf("decoded sign = %q, want %q", s, vecSign)
				}
			}
		})
	}
}

func TestRobotID(t *testing.T) {
	a := RobotID(vecWebhook)
	if len(a) != 12 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("RobotID = %q, want 12 hex digits", a)
	}
	same := []string{
		vecWebhook + "&timestamp=1&sign=x",
		"  " + vecWebhook,
		"https://OAPI.dingtalk.com/robot/send?access_token=abc123",
	}
	for _, w := range same {
		if got := RobotID(w); got != a {
			t.Errorf("RobotID(%q) = %q, want %q (same robot)", w, got, a)
		}
	}
	different := []string{
		"https://oapi.dingtalk.com/robot/send?access_token=abc124",
		"https://other.example/robot/send?access_token=abc123",
		"https://oapi.dingtalk.com/robot/sendx?access_token=abc123",
		"not a url",
	}
	for _, w := range different {
		if got := RobotID(w); got == a {
			t.Errorf("RobotID(%q) = %q, same as another robot", w, got)
		}
	}
	if strings.Contains(a, "abc123") {
		t.Fatal("RobotID carries the token")
	}
}

func BenchmarkSign(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Sign(vecSecret, vecTS)
	}
}
