package rules

import (
	"strings"
	"testing"
)

// TestCheckWebhook: the exported check is the validator's, per service, and
// never quotes the URL it refuses.
func TestCheckWebhook(t *testing.T) {
	const tok = "c0ffee0123456789c0ffee0123456789"
	tests := []struct {
		typ, hook string
		want      string // "" for accepted, else in the error
	}{
		{"dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=" + tok, ""},
		{"dingtalk", "https://oapi.dingtalk.com/robot/send", "no access_token"},
		{"dingtalk", "https://hooks.slack.com/services/" + tok, "no access_token"},
		{"wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + tok, ""},
		{"wecom", "http://127.0.0.1:8080/cgi-bin/webhook/send?key=" + tok, ""},
		{"wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + tok, "must use https"},
		{"lark", "open.feishu.cn/open-apis/bot/v2/hook/" + tok, "not an http(s) URL"},
		{"slack", "https://u:" + tok + "@hooks.slack.com/services/" + tok, "user name or password"},
		{"webhook", "https://hooks.example.com/pai?token=" + tok, ""},
		{"webhook", " https://hooks.example.com/pai?token=" + tok, "spaces"},
	}
	for _, tc := range tests {
		err := CheckWebhook(tc.typ, tc.hook)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %q: %v, want accepted", tc.typ, tc.hook, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %q: %v, want an error containing %q", tc.typ, tc.hook, err, tc.want)
		case err != nil && strings.Contains(err.Error(), tok[:8]):
			t.Errorf("%s: the error quotes the URL: %v", tc.typ, err)
		}
	}
}
