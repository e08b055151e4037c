package connectivity

import (
	"fmt"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// The advice about a failed send is the channel's (channel.Error.Hint;
// DingTalk's has a version for a test, dingtalk.HintFor with Reader.Test):
// it lives with the classification. What is here is about the test itself
// and the request's secret, which no answer describes.

// serviceWords names a service in a hint, Chinese and English. A service
// missing here (a sixth one) is named by its target.type.
var serviceWords = map[string][2]string{
	"dingtalk": {"钉钉", "DingTalk"},
	"wecom":    {"企业微信", "WeCom"},
	"lark":     {"飞书", "Lark/Feishu"},
	"slack":    {"Slack", "Slack"},
}

const (
	hintOKDingTalk = "连通正常:钉钉已接受测试消息,请在群里查看。" +
		"Connected: DingTalk accepted the test message; look for it in the group."
	hintOKChatFmt = "连通正常:%s已接受测试消息,请在群里查看。" +
		"Connected: %s accepted the test message; look for it in the group."
	hintOKWebhook = "连通正常:接收方以 2xx 应答了测试消息(Standard Webhooks 格式,type pai.task.state,data 中没有任务)。" +
		"Connected: the receiver answered the test message (Standard Webhooks, type pai.task.state, no tasks in data) with 2xx."
	hintOKWebhookSigned = "消息已用 secret 签名;若接收方校验签名,说明密钥一致。" +
		"It was signed with the secret: if the receiver verifies signatures, the secret matches."

	hintSecretNotSEC = "注意:secret 不以 SEC 开头,而钉钉的加签密钥通常是 SEC 开头的一长串;仍已按它签名发送。" +
		"Note: the secret does not start with SEC, as DingTalk's signing secrets do; the test was still signed with it."
	hintSecretURL = "注意:secret 看起来是一个网址,是不是把 webhook 贴进了 secret?secret 应是机器人安全设置里加签一栏的 SEC... 字符串。" +
		"Note: the secret looks like a URL: was the webhook pasted into secret? The secret is the SEC... string from the robot's 加签 security setting."
	hintSecretURLOther = "注意:secret 看起来是一个网址,是不是把 webhook 贴进了 secret?secret 应是签名密钥本身,不是地址。" +
		"Note: the secret looks like a URL: was the webhook pasted into secret? The secret is the signing key itself, not an address."
	hintSecretUnusedFmt = "注意:%s的 webhook 不签名,地址本身就是凭据,请求中的 secret 已被忽略。" +
		"Note: %s webhooks are not signed (the URL itself is the credential); the request's secret was ignored."

	hintRetryTest = "这次测试不会自动重试:稍后再测一次。" +
		"A test is not retried by itself: test again in a few minutes."
	hintFieldsTest = "测试 webhook 时,上文所说规则的 webhook、secret 和 keyword 就是请求中的 \"webhook\"、\"secret\" 和 \"keyword\"。" +
		"When testing a webhook, the rule's webhook, secret and keyword above are the request's \"webhook\", \"secret\" and \"keyword\"."
)

func words(s channels.Spec) (zh, en string) {
	if w, ok := serviceWords[s.Name]; ok {
		return w[0], w[1]
	}
	return s.Name, s.Name
}

// hintOK is the hint of a test the service accepted.
func hintOK(s channels.Spec, signed bool) string {
	switch {
	case s.Name == dingtalk.Name:
		return hintOKDingTalk
	case len(s.Hosts) == 0: // a generic webhook: a program, not a group
		if signed {
			return hintOKWebhook + " " + hintOKWebhookSigned
		}
		return hintOKWebhook
	}
	zh, en := words(s)
	return fmt.Sprintf(hintOKChatFmt, zh, en)
}

// testNote is what a person testing should know on top of a channel's
// hint, which is written for the notifier: a test is not retried, and a
// webhook test's fields are the request's, not a rule's.
func testNote(e *channel.Error, rule bool) string {
	switch {
	case e.Class.Retryable():
		return hintRetryTest
	case !rule && (e.Class == channel.ClassAuth || e.Class == channel.ClassTargetGone):
		return hintFieldsTest
	}
	return ""
}

// secretWarning is advice about a secret that the service may still
// accept, or that it never reads.
func secretWarning(s channels.Spec, sec secret.String) string {
	v := sec.Reveal()
	if v == "" {
		return ""
	}
	if s.Secret == channels.SecretUnused {
		zh, en := words(s)
		return fmt.Sprintf(hintSecretUnusedFmt, zh, en)
	}
	looksURL := strings.Contains(v, "://") || strings.Contains(strings.ToLower(v), "access_token")
	switch {
	case s.Name == dingtalk.Name && looksURL:
		return hintSecretURL
	case s.Name == dingtalk.Name && !strings.HasPrefix(v, "SEC"):
		return hintSecretNotSEC
	case looksURL:
		return hintSecretURLOther
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
