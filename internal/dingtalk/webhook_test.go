package dingtalk

import (
	"net/url"
	"strings"
	"testing"
)

const hookToken = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseWebhook(t *testing.T) {
	tests := []struct {
		hook, want      string // want: "" for accepted, else a phrase of the problem
		host, port, tok string
	}{
		{"https://oapi.dingtalk.com/robot/send?access_token=" + hookToken, "", "oapi.dingtalk.com", "443", hookToken},
		{"https://OAPI.dingtalk.com:8443/robot/send?access_token=t&x=1", "", "oapi.dingtalk.com", "8443", "t"},
		{"http://127.0.0.1:8080/robot/send?access_token=t", "", "127.0.0.1", "8080", "t"},
		{"http://[::1]/robot/send?access_token=t", "", "::1", "80", "t"},
		{"HTTP://LOCALHOST/robot/send?access_token=t", "", "localhost", "80", "t"},
		{" https://oapi.dingtalk.com/robot/send?access_token=t", "spaces around it", "", "", ""},
		{hookToken, "bare access token", "", "", hookToken},
		{"robot please", "not a URL", "", "", ""},
		{"tok0123456789abcd", "bare access token", "", "", "tok0123456789abcd"},
		{"oapi.dingtalk.com/robot/send?access_token=" + hookToken, "not a URL", "", "", hookToken},
		{"https://oapi.dingtalk.com:xx/robot/send?access_token=" + hookToken, "not a valid URL", "", "", ""},
		{"https://u:p@oapi.dingtalk.com/robot/send?access_token=" + hookToken, "user name or password", "", "", hookToken},
		{"https://oapi.dingtalk.com@evil.example/robot/send?access_token=" + hookToken, "user name or password", "", "", hookToken},
		{"https:///robot/send?access_token=" + hookToken, "no host", "", "", hookToken},
		{"http://oapi.dingtalk.com/robot/send?access_token=" + hookToken, "must use https (http is allowed only", "oapi.dingtalk.com", "80", hookToken},
		{"ftp://127.0.0.1/robot/send?access_token=" + hookToken, "must use https", "127.0.0.1", "", hookToken},
		{"a" + hookToken + "://x/?access_token=" + hookToken, "must use https", "x", "", hookToken},
		{"https://oapi.dingtalk.com/robot/send?token=" + hookToken, "no access_token", "oapi.dingtalk.com", "443", ""},
		{"https://oapi.dingtalk.com/robot/send?access_token=", "no access_token", "oapi.dingtalk.com", "443", ""},
		{"https://oapi.dingtalk.com/robot/send?access_token=" + hookToken + "&a=%zz", "malformed query", "oapi.dingtalk.com", "443", hookToken},
		{"https://oapi.dingtalk.com/robot/send?access_token=https://oapi.dingtalk.com/robot/send?access_token=" + hookToken, "whole webhook was pasted", "oapi.dingtalk.com", "443", ""},
		{"https://oapi.dingtalk.com/robot/send?access_token=" + url.QueryEscape("https://oapi.dingtalk.com/robot/send?access_token="+hookToken), "whole webhook was pasted", "oapi.dingtalk.com", "443", ""},
	}
	for _, tt := range tests {
		w, err := ParseWebhook(tt.hook)
		if tt.want == "" {
			if err != nil {
				t.Errorf("ParseWebhook(%q): %v", tt.hook, err)
			}
		} else if _, ok := err.(*WebhookError); !ok || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseWebhook(%q) = %v, want a *WebhookError containing %q", tt.hook, err, tt.want)
		}
		if w.Host != tt.host || w.Port != tt.port || (tt.tok != "" && w.Token != tt.tok) {
			t.Errorf("ParseWebhook(%q) = %+v, want host %q port %q token %q", tt.hook, w, tt.host, tt.port, tt.tok)
		}
		if err != nil && strings.Contains(err.Error(), hookToken[:16]) {
			t.Errorf("ParseWebhook(%q): the error quotes the token: %v", tt.hook, err)
		}
	}
}

// FuzzParseWebhook: webhooks are outside input (rules documents, connectivity requests). Whatever
// comes in, no panic, an error never quotes the token, and what is accepted is an https URL (http
// only on loopback) with a host, no user info and a token.
func FuzzParseWebhook(f *testing.F) {
	for _, s := range []string{
		"https://oapi.dingtalk.com/robot/send?access_token=abc",
		"http://127.0.0.1:1/?access_token=x", "https://u@h/?access_token=x", hookToken,
		"https://h/?access_token=https%3A%2F%2Fx", "a://b", "https://[::1]:0/?access_token=z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, hook string) {
		w, err := ParseWebhook(hook)
		if err != nil {
			if len(w.Token) >= 8 && strings.Contains(err.Error(), w.Token) {
				t.Errorf("error quotes the token: %v", err)
			}
			return
		}
		u, perr := url.Parse(hook)
		if perr != nil || u.User != nil || u.Host == "" || w.Token == "" || w.Port == "" ||
			!(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
			t.Errorf("accepted %q as %+v", hook, w)
		}
	})
}
