package connectivity

import (
	"fmt"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// The hints here speak to a person testing a robot right now, so they say
// "the test" and name the request fields; every other family reuses the
// dingtalk package's hints, which speak about notification rules.
const (
	hintOK = "连通正常:钉钉已接受测试消息,请在群里查看。" +
		"Connected: DingTalk accepted the test message; look for it in the group."

	hintTokenTest = "钉钉不认识这个 access_token:请在群设置 → 机器人 → 该机器人的设置中复制完整的 Webhook 地址 " +
		"(https://oapi.dingtalk.com/robot/send?access_token=...),既不要只复制 token,也不要把整个地址再贴进 token 的位置;并确认机器人还在群里。" +
		"DingTalk does not know this access_token: copy the whole Webhook URL from the robot's settings in the group " +
		"(https://oapi.dingtalk.com/robot/send?access_token=...), neither only the token nor the whole URL pasted where the token goes; and check the robot is still in the group."
	hintExternalGroup = "错误码 300005 也表示机器人在外部群(跨组织群)中,自定义机器人不能在外部群发消息。" +
		"Errcode 300005 also means the robot is in an external (cross-organization) group, where custom robots cannot post."

	hintSignMissing = "签名不匹配:机器人开启了「加签」,但测试没有带密钥。在请求中加上 \"secret\": \"SEC...\"(机器人安全设置里加签一栏的完整字符串);测试规则时,把它填到规则 target 的 secret。" +
		"Signature mismatch: the robot uses 加签 signing but the test carried no secret. Add \"secret\": \"SEC...\" (the whole string from the robot's security settings) to the request; for a rule, set the secret in the rule's target."
	hintSignWrong = "签名不匹配:密钥与机器人安全设置中「加签」的不一致。重新复制完整的 SEC... 字符串(不要多空格或少字符);若机器人没开加签,去掉密钥。" +
		"Signature mismatch: the secret differs from the one in the robot's 加签 security setting. Copy the whole SEC... string again (no extra spaces, nothing cut off); if the robot does not use signing, leave the secret out."
	hintKeywordMissing = "消息不含机器人的自定义关键词:机器人的安全设置要求关键词。在请求中加上 \"keyword\": \"<机器人的关键词之一>\";测试规则时,把它填到规则 target 的 keyword。" +
		"Keyword missing: the robot's security setting requires a custom keyword. Add \"keyword\": \"<one of the robot's keywords>\" to the request; for a rule, set keyword in the rule's target."
	hintKeywordWrongFmt = "消息带了关键词 %q,但它不在机器人的关键词列表中:把它改成机器人安全设置里的某个关键词(区分大小写)。" +
		"The message carried keyword %q, which is not one of the robot's keywords: use one listed in the robot's security settings (case-sensitive)."
	hintClockFmt = "时间戳无效:签名里的时间来自本函数的时钟,当前为 %s(UTC),钉钉只接受与其时间相差 1 小时以内的签名。请校准本函数运行环境的时钟(NTP);云上函数的时钟一般是准的,本地模式请检查本机时间。" +
		"Invalid timestamp: the signature's time comes from this function's clock, which reads %s UTC, and DingTalk accepts only signatures within 1 hour of its own time. Fix the clock where this function runs (NTP); cloud functions are normally right, so in local mode check this machine's time."
	hintIPList = "IP 不在白名单:机器人开启了「IP 地址(段)」安全设置,本函数的出口公网 IP 不在其中。FC:为函数配置 VPC + NAT 网关(固定公网出口 IP)并把该 IP 加入白名单;Lambda:放进带 NAT 网关和弹性 IP 的 VPC。或者改用加签。" +
		"IP not allowed: the robot's IP allow-list does not contain this function's egress public IP. On FC, give the function a VPC with a NAT gateway (a fixed egress IP) and list that IP; on Lambda, run it in a VPC with a NAT gateway and Elastic IP. Or switch the robot to 加签 signing."
	hintRateTest = "机器人被限流:每个机器人每分钟最多 20 条消息,超出后约 10 分钟内都会被拒绝。请 10 分钟后再测;通知函数也在用这个额度。" +
		"Rate-limited: a robot takes at most 20 messages a minute and refuses everything for about 10 minutes past that. Test again in 10 minutes; the notifier shares this budget."
	hintTooLargeTest = "测试消息超过钉钉 20000 字节的上限:缩短请求中的 \"message\"。" +
		"The test message is over DingTalk's 20000-byte limit: shorten \"message\" in the request."
	hintTimeout = "请求超时:钉钉在时限内没有应答。检查本函数能否访问公网:FC 函数若配置了 VPC,需要 NAT 网关;Lambda 在 VPC 中也需要 NAT 网关。" +
		"Timed out: DingTalk did not answer in time. Check that this function can reach the internet: an FC function in a VPC needs a NAT gateway, and so does a Lambda function in a VPC."
	hintNetworkFmt = "无法连到钉钉(%s):检查本函数的公网访问(VPC 需要 NAT 网关)、DNS,以及 webhook 的主机名和端口。" +
		"Could not reach DingTalk (%s): check this function's internet access (a VPC needs a NAT gateway), DNS, and the webhook's host and port."

	hintServerFmt = "钉钉返回 HTTP %d:钉钉或中间代理出了问题,与机器人设置无关;几分钟后再测。" +
		"DingTalk answered HTTP %d: a problem at DingTalk or a proxy on the way, not in the robot's settings; test again in a few minutes."
	hintNotDingTalk = "收到的应答不是钉钉的 JSON:webhook 可能指向了别的服务,或中间有代理替钉钉应答。请确认 webhook 是 https://oapi.dingtalk.com/robot/send?access_token=...。" +
		"The answer was not DingTalk JSON: the webhook may point at another service, or a proxy answered for DingTalk. Check the webhook is https://oapi.dingtalk.com/robot/send?access_token=...."

	hintSecretNotSEC = "注意:secret 不以 SEC 开头,而钉钉的加签密钥通常是 SEC 开头的一长串;仍已按它签名发送。" +
		"Note: the secret does not start with SEC, as DingTalk's signing secrets do; the test was still signed with it."
	hintSecretURL = "注意:secret 看起来是一个网址,是不是把 webhook 贴进了 secret?secret 应是机器人安全设置里加签一栏的 SEC... 字符串。" +
		"Note: the secret looks like a URL: was the webhook pasted into secret? The secret is the SEC... string from the robot's 加签 security setting."
)

// hint says what to do about a failed test.
func (t *Tester) hint(e *dingtalk.Error, tg target) string {
	if e.Code == 0 {
		switch {
		case e.Class == dingtalk.ClassNetwork:
			kind := dingtalk.NetworkKind(e.Err)
			if kind == "timeout" {
				return hintTimeout
			}
			return fmt.Sprintf(hintNetworkFmt, kind, kind)
		case e.Class == dingtalk.ClassTooLarge:
			return hintTooLargeTest
		case e.Class == dingtalk.ClassServer:
			return fmt.Sprintf(hintServerFmt, e.HTTPStatus, e.HTTPStatus)
		case e.Class == dingtalk.ClassUnknown && e.HTTPStatus != 0:
			return hintNotDingTalk
		}
		return e.Hint()
	}
	switch e.Code {
	case 300001, 400101:
		return hintTokenTest
	case 300005:
		return hintTokenTest + " " + hintExternalGroup
	case 310000:
		switch dingtalk.SecurityCause(e.Msg) {
		case "keyword":
			if tg.keyword == "" {
				return hintKeywordMissing
			}
			return fmt.Sprintf(hintKeywordWrongFmt, tg.keyword, tg.keyword)
		case "sign":
			if tg.secret.IsZero() {
				return hintSignMissing
			}
			return hintSignWrong
		case "timestamp":
			now := t.now().UTC().Format(time.RFC3339)
			return fmt.Sprintf(hintClockFmt, now, now)
		case "ip":
			return hintIPList
		}
	case 130101, 410100:
		return hintRateTest
	case 460101, 101002:
		return hintTooLargeTest
	}
	if e.Class == dingtalk.ClassRateLimited {
		return hintRateTest
	}
	return e.Hint()
}

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
