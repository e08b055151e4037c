package connectivity

import (
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// The advice about a failed send is the dingtalk package's (Error.HintFor with
// Reader.Test): it lives with the classification. What is here is about the
// test itself and the request's secret, which no errcode describes.
const (
	hintOK = "连通正常:钉钉已接受测试消息,请在群里查看。" +
		"Connected: DingTalk accepted the test message; look for it in the group."

	hintSecretNotSEC = "注意:secret 不以 SEC 开头,而钉钉的加签密钥通常是 SEC 开头的一长串;仍已按它签名发送。" +
		"Note: the secret does not start with SEC, as DingTalk's signing secrets do; the test was still signed with it."
	hintSecretURL = "注意:secret 看起来是一个网址,是不是把 webhook 贴进了 secret?secret 应是机器人安全设置里加签一栏的 SEC... 字符串。" +
		"Note: the secret looks like a URL: was the webhook pasted into secret? The secret is the SEC... string from the robot's 加签 security setting."
)

// secretWarning is advice about a secret that DingTalk may still accept.
func secretWarning(s secret.String) string {
	v := s.Reveal()
	switch {
	case v == "":
		return ""
	case strings.Contains(v, "://") || strings.Contains(strings.ToLower(v), "access_token"):
		return hintSecretURL
	case !strings.HasPrefix(v, "SEC"):
		return hintSecretNotSEC
	}
	return ""
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}
