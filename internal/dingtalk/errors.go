package dingtalk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/pai-notifier/pai-notifier/internal/channel"
	"net"
	"strings"
	"syscall"
	"time"
)

// Class and Error are the channel contract's: DingTalk's answers are
// classified into the same classes as every other channel's, and a failed
// send is a *channel.Error named "dingtalk" whose Hint says what to do.
type (
	Class = channel.Class
	Error = channel.Error
)

// DingTalk's errcodes by class: -1 busy; 130101, 410100, 41xxxx, 90030 and
// HTTP 429 rate limited; 3xxxxx auth (token, signature, keyword, timestamp,
// IP allow-list); 4001xx target gone; 43xxxx content; 460101, 101002,
// 46xxxx too large.
const (
	ClassUnknown     = channel.ClassUnknown
	ClassNetwork     = channel.ClassNetwork
	ClassServer      = channel.ClassServer
	ClassBusy        = channel.ClassBusy
	ClassRateLimited = channel.ClassRateLimited
	ClassAuth        = channel.ClassAuth
	ClassTargetGone  = channel.ClassTargetGone
	ClassContent     = channel.ClassContent
	ClassBadRequest  = channel.ClassBadRequest
	ClassTooLarge    = channel.ClassTooLarge
)

// Classify maps a DingTalk errcode to its Class: the exact codes first, then
// the code family, because DingTalk's tables have drifted (one client lists
// the same meanings shifted by one). Unknown codes are ClassUnknown, which is
// permanent: retrying an answer we do not understand would only repeat it.
// Classify(0) is ClassUnknown too; 0 is success and not a failure class.
func Classify(code int) Class {
	switch code {
	case -1:
		return ClassBusy
	case 130101, 410100, 90030:
		return ClassRateLimited
	case 300001, 300005, 310000, 400101:
		return ClassAuth
	case 400013, 400102, 400106:
		return ClassTargetGone
	case 430101, 430102, 430103, 430104:
		return ClassContent
	case 40035, 43002, 43004, 400105:
		return ClassBadRequest
	case 460101, 101002:
		return ClassTooLarge
	}
	switch {
	case code >= 410000 && code <= 419999:
		return ClassRateLimited
	case code >= 400100 && code <= 400199:
		return ClassTargetGone
	case code >= 430000 && code <= 439999:
		return ClassContent
	case code >= 460000 && code <= 469999:
		return ClassTooLarge
	case code >= 300000 && code <= 399999:
		return ClassAuth
	}
	return ClassUnknown
}

// IsTargetGone reports whether err says the robot or its group is gone for
// good (dissolved, disabled, removed), so the target can be marked unhealthy.
func IsTargetGone(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Class == ClassTargetGone
}

// Reader is who reads a hint, and what the failed send carried. The zero Reader is the notifier's:
// a rule failed while notifying, and its result and log say what to change in the rules.
type Reader struct {
	// Test: a person testing the robot now through the connectivity function, who can change the
	// request's fields ("secret", "keyword", "message") and test again.
	Test    bool
	Signed  bool      // the send carried a 加签 secret (read when Test)
	Keyword bool      // the message carried a keyword (read when Test)
	Clock   time.Time // the signing clock at the send, quoted in a timestamp hint (when Test and set)
}

// Hint says, in Chinese and then English, what the notifier's reader should do.
func Hint(e *Error) string { return HintFor(e, Reader{}) }

// HintFor says, in Chinese and then English, what r should do about e. Every hint of the package
// is here, keyed by the failure's cause (see cause): callers never switch on errcodes themselves.
func HintFor(e *Error, r Reader) string {
	if e == nil {
		return ""
	}
	c := causeOf(e)
	if r.Test {
		if h := testHint(c, e, r); h != "" {
			return h
		}
	}
	switch c {
	case causeTimeout:
		return "请求超时:钉钉在时限内没有应答,稍后会自动重试;若反复出现,检查函数的公网出口(NAT/VPC)与超时设置。The request timed out: DingTalk did not answer in time; it will be retried. If it keeps happening, check the function's internet egress (NAT/VPC) and timeout."
	case causeDNS:
		return "域名解析失败:检查 webhook 的主机名,以及函数所在 VPC 的 DNS 与公网访问。DNS lookup failed: check the webhook's host name and the function's DNS and internet access."
	case causeRefused:
		return "连接被拒绝:检查 webhook 的主机和端口,以及代理设置。The connection was refused: check the webhook's host and port, and any proxy settings."
	case causeTLS:
		return "TLS 握手失败:证书不被信任或主机名不符;检查 webhook 是否为 https://oapi.dingtalk.com,以及是否有中间代理。TLS failed: the certificate is untrusted or the host name does not match; check the webhook is https://oapi.dingtalk.com and whether a proxy intercepts it."
	case causeReset:
		return "连接被重置,稍后会自动重试。The connection was reset; the send will be retried."
	case causeNetwork:
		return "网络错误:无法连到钉钉,稍后会自动重试;检查函数的公网访问。Network failure: DingTalk could not be reached; it will be retried. Check the function's internet access."
	case causeServer:
		return fmt.Sprintf("钉钉服务端返回 HTTP %d,稍后会自动重试。DingTalk answered HTTP %d: a server-side problem; the send will be retried later.", e.HTTPStatus, e.HTTPStatus)
	case causeBusy:
		return "钉钉系统繁忙,稍后会自动重试。DingTalk is busy; the send will be retried later."
	case causeRateLimited:
		return hintRate
	case causeQuota:
		return "webhook 用量超出配额:请稍后重试,并检查钉钉的机器人用量。Webhook over its quota: retry later and check the robot's usage quota in DingTalk."
	case causeToken:
		return hintToken
	case causeExternalGroup:
		return hintToken + " " + hintExternal
	case causeKeyword:
		return hintKeyword
	case causeSign:
		return hintSign
	case causeTimestamp:
		return hintTimestamp
	case causeIP:
		return hintIP
	case causeSecurity:
		return hintSecurity
	case causeDissolved:
		return "群已被解散:这个机器人不再能发消息,请在规则中更换 webhook。The group was dissolved: this robot cannot post any more; replace the webhook in the rule."
	case causeDisabled:
		return "机器人已停用:请群管理员在群设置中重新启用机器人,或更换 webhook。The robot is disabled: ask a group admin to enable it again, or replace the webhook."
	case causeRemoved:
		return "机器人不存在(已被移出群):请重新添加机器人并更新 webhook。The robot no longer exists (removed from the group): add a robot again and update the webhook."
	case causeGone:
		return "机器人或群的状态不允许发送(已停用、已移除或群已解散):检查机器人并更新 webhook。The robot or its group cannot receive messages (disabled, removed or dissolved): check the robot and update the webhook."
	case causeUnsafeLink:
		return "消息含有钉钉认为不安全的外链:检查消息里的链接。DingTalk flagged an unsafe external link: check the links in the message."
	case causeContent:
		return "消息内容未通过钉钉审核:修改消息中的文字、图片或链接。DingTalk rejected the content: change the text, images or links in the message."
	case causeTooLarge:
		return hintTooLarge
	case causeEmptyBody:
		return "请求体为空或不是 JSON:这是 pai-notifier 的缺陷,请报告。The body was empty or not JSON: a pai-notifier bug, please report it."
	case causeMethod:
		return "请求方法或 Content-Type 不被接受(需要 POST 和 application/json):这是 pai-notifier 的缺陷,或有代理改写了请求。The method or Content-Type was refused (POST with application/json is required): a pai-notifier bug, or a proxy rewrote the request."
	case causeMsgType:
		return "钉钉不支持该消息类型:请把规则的 format 改为 markdown。DingTalk does not support this message type: set the rule's format to markdown."
	case causeMalformed:
		return "请求格式错误:这是 pai-notifier 的缺陷,请报告。The request was malformed: a pai-notifier bug, please report it."
	case causeBadHTTP:
		return fmt.Sprintf("钉钉返回 HTTP %d:请检查 webhook 地址是否为 https://oapi.dingtalk.com/robot/send?access_token=...。DingTalk answered HTTP %d: check that the webhook is https://oapi.dingtalk.com/robot/send?access_token=....", e.HTTPStatus, e.HTTPStatus)
	case causeEncode:
		return "消息无法编码,这是 pai-notifier 的缺陷,请报告。The message could not be encoded: a pai-notifier bug, please report it."
	case causeNotDingTalk:
		return "收到的应答不是钉钉的 JSON:webhook 可能指向了别的地址,或中间有代理。按永久失败处理,不会重试。The answer was not DingTalk JSON: the webhook may point elsewhere, or a proxy answered. Treated as permanent, not retried."
	case causeUnknownCode:
		return fmt.Sprintf("未知的钉钉错误码 %d(%s):按永久失败处理,不会重试;请对照钉钉错误码文档。Unknown DingTalk errcode %d: treated as permanent and not retried; look it up in DingTalk's error-code table.", e.Code, e.Msg, e.Code)
	}
	return ""
}

// testHint is the advice to a person testing a robot, where it differs from the notifier's: it
// names the request's fields and says to test again rather than that a retry will follow. ""
// means the notifier's hint serves.
func testHint(c cause, e *Error, r Reader) string {
	switch c {
	case causeToken:
		return hintTokenTest
	case causeExternalGroup:
		return hintTokenTest + " " + hintExternalGroupTest
	case causeKeyword:
		if r.Keyword {
			return hintKeywordWrongTest
		}
		return hintKeywordMissingTest
	case causeSign:
		if r.Signed {
			return hintSignWrongTest
		}
		return hintSignMissingTest
	case causeTimestamp:
		if !r.Clock.IsZero() {
			now := r.Clock.UTC().Format(time.RFC3339)
			return fmt.Sprintf(hintClockTestFmt, now, now)
		}
	case causeIP:
		return hintIPTest
	case causeRateLimited:
		return hintRateTest
	case causeTooLarge:
		return hintTooLargeTest
	case causeTimeout:
		return hintTimeoutTest
	case causeDNS, causeRefused, causeTLS, causeReset, causeNetwork:
		kind := NetworkKind(e.Err)
		return fmt.Sprintf(hintNetworkTestFmt, kind, kind)
	case causeServer:
		return fmt.Sprintf(hintServerTestFmt, e.HTTPStatus, e.HTTPStatus)
	case causeNotDingTalk:
		return hintNotDingTalkTest
	}
	return ""
}

// cause is what a failure means to the person who must fix it: finer than Class, which only
// decides retrying. One hint per cause.
type cause int

const (
	causeNone cause = iota
	causeTimeout
	causeDNS
	causeRefused
	causeTLS
	causeReset
	causeNetwork
	causeServer
	causeBusy
	causeRateLimited
	causeQuota
	causeToken
	causeExternalGroup
	causeKeyword
	causeSign
	causeTimestamp
	causeIP
	causeSecurity
	causeDissolved
	causeDisabled
	causeRemoved
	causeGone
	causeUnsafeLink
	causeContent
	causeTooLarge
	causeEmptyBody
	causeMethod
	causeMsgType
	causeMalformed
	causeBadHTTP
	causeEncode
	causeNotDingTalk
	causeUnknownCode
)

// cause reads e once: the class, then the errcode DingTalk answered, then (for 310000, where
// DingTalk folds four causes into one code) the errmsg. Classification itself never depends on
// the errmsg.
func causeOf(e *Error) cause {
	switch {
	case e.Class == ClassNetwork:
		switch NetworkKind(e.Err) {
		case "timeout":
			return causeTimeout
		case "dns":
			return causeDNS
		case "refused":
			return causeRefused
		case "tls":
			return causeTLS
		case "reset":
			return causeReset
		}
		return causeNetwork
	case e.Code != 0:
		return codeCause(e.Code, e.Msg)
	case e.Class == ClassRateLimited:
		return causeRateLimited // HTTP 429 from DingTalk's gateway or a proxy
	case e.Class == ClassServer:
		return causeServer
	case e.Class == ClassTooLarge:
		return causeTooLarge
	case e.Class == ClassBadRequest && e.HTTPStatus != 0:
		return causeBadHTTP
	case e.Class == ClassBadRequest:
		return causeEncode
	case e.Class == ClassAuth:
		return causeToken
	case e.Class == ClassUnknown && e.HTTPStatus != 0:
		return causeNotDingTalk
	}
	return causeNone
}

func codeCause(code int, errmsg string) cause {
	switch code {
	case 310000:
		switch securityCause(errmsg) {
		case "keyword":
			return causeKeyword
		case "sign":
			return causeSign
		case "timestamp":
			return causeTimestamp
		case "ip":
			return causeIP
		}
		return causeSecurity
	case 300005:
		return causeExternalGroup
	case 300001, 400101:
		return causeToken
	case 400013:
		return causeDissolved
	case 400102:
		return causeDisabled
	case 400106:
		return causeRemoved
	case 90030:
		return causeQuota
	case 430101:
		return causeUnsafeLink
	case 40035:
		return causeEmptyBody
	case 43002, 43004:
		return causeMethod
	case 400105:
		return causeMsgType
	case -1:
		return causeBusy
	}
	switch Classify(code) {
	case ClassRateLimited:
		return causeRateLimited
	case ClassTooLarge:
		return causeTooLarge
	case ClassContent:
		return causeContent
	case ClassTargetGone:
		return causeGone
	case ClassAuth:
		if strings.Contains(strings.ToLower(errmsg), "token") {
			return causeToken
		}
		return causeSecurity
	case ClassBadRequest:
		return causeMalformed
	}
	return causeUnknownCode
}

// The notifier's hints that several causes share.
const (
	hintToken = "access_token 不存在:webhook 应是完整地址 https://oapi.dingtalk.com/robot/send?access_token=<token>;只要 token 的地方不要填整个 URL(反之亦然),并确认机器人未被删除。" +
		"Token not found: the webhook must be the full https://oapi.dingtalk.com/robot/send?access_token=<token>; do not paste the whole URL where only the token goes (or the reverse), and check the robot still exists."
	hintExternal = "若机器人在外部群(跨组织群)中,钉钉也返回此码,外部群不支持自定义机器人。DingTalk also answers this when the robot is in an external (cross-organization) group, where custom robots do not work."
	hintTooLarge = "消息超过钉钉 20000 字节上限:缩短内容或拆成多条(汇总消息会自动拆分)。The message is over DingTalk's 20000-byte limit: shorten it or split it."
	hintRate     = "发送太快被限流:每个机器人每分钟最多 20 条,超出后约 10 分钟内被拒绝;请合并通知(汇总)或把规则分到多个机器人。" +
		"Rate limited: a robot takes at most 20 messages per minute and is throttled for about 10 minutes past that; group notifications into digests or spread rules over several robots."
	hintSign = "签名不匹配:检查规则里的加签密钥(SEC 开头)与机器人安全设置中的一致;若机器人未开启加签,请删除密钥。" +
		"Signature mismatch: check the 加签 secret (starting with SEC) equals the one in the robot's security settings; if the robot does not use signing, remove the secret."
	hintKeyword = "消息不含机器人的自定义关键词:把机器人的关键词填到规则的 keyword 中。" +
		"Keyword missing: the message does not contain the robot's custom keyword; add the robot's keyword to the rule (target keyword)."
	hintTimestamp = "时间戳无效:服务器时钟必须与钉钉相差不超过 1 小时,请校准函数所在环境的时钟(NTP)。" +
		"Clock skew: the server clock must be within 1 hour of DingTalk's; fix the clock of the machine that sends."
	hintIP = "IP 不在白名单:把函数的出口公网 IP(或网段)加入机器人的 IP 白名单。" +
		"IP allow-list: add the function's egress public IP (or CIDR) to the robot's IP allow-list."
	hintSecurity = "安全设置校验失败:规则里的关键词、加签密钥与机器人的安全设置(关键词/加签/IP 白名单)必须一致。" +
		"Security check failed: the rule's keyword and secret must match the robot's security settings (keyword / 加签 / IP allow-list)."
)

// The hints for a person testing a robot (Reader.Test). They say "the test" and name the request's
// fields. None quotes what the request or a rule carried: a rule's keyword is the operator's.
const (
	hintTokenTest = "钉钉不认识这个 access_token:请在群设置 → 机器人 → 该机器人的设置中复制完整的 Webhook 地址 " +
		"(https://oapi.dingtalk.com/robot/send?access_token=...),既不要只复制 token,也不要把整个地址再贴进 token 的位置;并确认机器人还在群里。" +
		"DingTalk does not know this access_token: copy the whole Webhook URL from the robot's settings in the group " +
		"(https://oapi.dingtalk.com/robot/send?access_token=...), neither only the token nor the whole URL pasted where the token goes; and check the robot is still in the group."
	hintExternalGroupTest = "错误码 300005 也表示机器人在外部群(跨组织群)中,自定义机器人不能在外部群发消息。" +
		"Errcode 300005 also means the robot is in an external (cross-organization) group, where custom robots cannot post."
	hintSignMissingTest = "签名不匹配:机器人开启了「加签」,但测试没有带密钥。在请求中加上 \"secret\": \"SEC...\"(机器人安全设置里加签一栏的完整字符串);测试规则时,把它填到规则 target 的 secret。" +
		"Signature mismatch: the robot uses 加签 signing but the test carried no secret. Add \"secret\": \"SEC...\" (the whole string from the robot's security settings) to the request; for a rule, set the secret in the rule's target."
	hintSignWrongTest = "签名不匹配:密钥与机器人安全设置中「加签」的不一致。重新复制完整的 SEC... 字符串(不要多空格或少字符);若机器人没开加签,去掉密钥。" +
		"Signature mismatch: the secret differs from the one in the robot's 加签 security setting. Copy the whole SEC... string again (no extra spaces, nothing cut off); if the robot does not use signing, leave the secret out."
	hintKeywordMissingTest = "消息不含机器人的自定义关键词:机器人的安全设置要求关键词。在请求中加上 \"keyword\": \"<机器人的关键词之一>\";测试规则时,把它填到规则 target 的 keyword。" +
		"Keyword missing: the robot's security setting requires a custom keyword. Add \"keyword\": \"<one of the robot's keywords>\" to the request; for a rule, set keyword in the rule's target."
	hintKeywordWrongTest = "消息带了关键词,但它不在机器人的关键词列表中:把它改成机器人安全设置里的某个关键词(区分大小写)。" +
		"The message carried a keyword, which is not one of the robot's keywords: use one listed in the robot's security settings (case-sensitive)."
	hintClockTestFmt = "时间戳无效:签名里的时间来自本函数的时钟,当前为 %s(UTC),钉钉只接受与其时间相差 1 小时以内的签名。请校准本函数运行环境的时钟(NTP);云上函数的时钟一般是准的,本地模式请检查本机时间。" +
		"Invalid timestamp: the signature's time comes from this function's clock, which reads %s UTC, and DingTalk accepts only signatures within 1 hour of its own time. Fix the clock where this function runs (NTP); cloud functions are normally right, so in local mode check this machine's time."
	hintIPTest = "IP 不在白名单:机器人开启了「IP 地址(段)」安全设置,本函数的出口公网 IP 不在其中。FC:为函数配置 VPC + NAT 网关(固定公网出口 IP)并把该 IP 加入白名单;Lambda:放进带 NAT 网关和弹性 IP 的 VPC。或者改用加签。" +
		"IP not allowed: the robot's IP allow-list does not contain this function's egress public IP. On FC, give the function a VPC with a NAT gateway (a fixed egress IP) and list that IP; on Lambda, run it in a VPC with a NAT gateway and Elastic IP. Or switch the robot to 加签 signing."
	hintRateTest = "机器人被限流:每个机器人每分钟最多 20 条消息,超出后约 10 分钟内都会被拒绝。请 10 分钟后再测;通知函数也在用这个额度。" +
		"Rate-limited: a robot takes at most 20 messages a minute and refuses everything for about 10 minutes past that. Test again in 10 minutes; the notifier shares this budget."
	hintTooLargeTest = "测试消息超过钉钉 20000 字节的上限:缩短请求中的 \"message\"。" +
		"The test message is over DingTalk's 20000-byte limit: shorten \"message\" in the request."
	hintTimeoutTest = "请求超时:钉钉在时限内没有应答。检查本函数能否访问公网:FC 函数若配置了 VPC,需要 NAT 网关;Lambda 在 VPC 中也需要 NAT 网关。" +
		"Timed out: DingTalk did not answer in time. Check that this function can reach the internet: an FC function in a VPC needs a NAT gateway, and so does a Lambda function in a VPC."
	hintNetworkTestFmt = "无法连到钉钉(%s):检查本函数的公网访问(VPC 需要 NAT 网关)、DNS,以及 webhook 的主机名和端口。" +
		"Could not reach DingTalk (%s): check this function's internet access (a VPC needs a NAT gateway), DNS, and the webhook's host and port."
	hintServerTestFmt = "钉钉返回 HTTP %d:钉钉或中间代理出了问题,与机器人设置无关;几分钟后再测。" +
		"DingTalk answered HTTP %d: a problem at DingTalk or a proxy on the way, not in the robot's settings; test again in a few minutes."
	hintNotDingTalkTest = "收到的应答不是钉钉的 JSON:webhook 可能指向了别的服务,或中间有代理替钉钉应答。请确认 webhook 是 https://oapi.dingtalk.com/robot/send?access_token=...。" +
		"The answer was not DingTalk JSON: the webhook may point at another service, or a proxy answered for DingTalk. Check the webhook is https://oapi.dingtalk.com/robot/send?access_token=...."
)

// securityCause tells apart the causes DingTalk folds into errcode 310000 by its errmsg: "keyword",
// "sign", "timestamp", "ip", or "" when the text names none of them. Old answers are short English
// ("sign not match"), new ones long Chinese ("description:机器人发送签名不匹配;solution:请确认签名和生成
// 签名的时间戳..."), so the mismatch wording is tested before the mere mention of a timestamp.
func securityCause(errmsg string) string {
	msg := strings.ToLower(errmsg)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("keyword", "关键词", "关键字"):
		return "keyword"
	case has("sign not match", "签名不匹配"):
		return "sign"
	case has("timestamp", "时间戳"):
		return "timestamp"
	case has("whitelist", "白名单", "ip地址", "ip 地址", "ip address") || hasWord(msg, "ip"):
		return "ip"
	case has("sign", "签名"):
		return "sign"
	}
	return ""
}

// hasWord reports whether w occurs in s not as part of a longer ASCII word
// ("ip" in "ip 1.2.3.4 not allowed", not in "description").
func hasWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isASCIILetter(s[j-1])) && (end == len(s) || !isASCIILetter(s[end])) {
			return true
		}
		i = j + 1
	}
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// NetworkKind names the way a request failed without an answer: "timeout",
// "dns", "refused", "tls", "reset" or "network".
func NetworkKind(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	var alertErr tls.AlertError
	var netErr net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return "tls"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	}
	return "network"
}
