package lark

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Lark codes the channel tells apart (custom bot guide and the frequency
// control guide, https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control).
const (
	CodeBadRequest   = 9499     // bad request: the body could not be parsed, or invalid parameters
	CodeTooFast      = 11232    // this bot is over 100 a minute or 5 a second
	CodeParamInvalid = 19001    // param invalid, e.g. "incoming webhook access token invalid"
	CodeSign         = 19021    // sign match fail, or timestamp not within one hour
	CodeIP           = 19022    // the sender's IP is not on the bot's allow-list
	CodeKeyword      = 19024    // none of the bot's keywords in the message
	CodeThrottled    = 99991400 // the open platform's general throttling (with HTTP 429)
)

// Classify maps a Lark code to a failure class. Signature, IP and keyword
// failures are ClassAuth: the bot's security settings refuse us until a
// person aligns the rule with them. Unknown codes are ClassUnknown:
// permanent.
func Classify(code int) channel.Class {
	switch code {
	case CodeSign, CodeKeyword, CodeIP:
		return channel.ClassAuth
	case CodeTooFast, CodeThrottled:
		return channel.ClassRateLimited
	case CodeBadRequest, CodeParamInvalid:
		return channel.ClassBadRequest
	}
	return channel.ClassUnknown
}

// answer holds both shapes Lark answers in: {"code":0,"msg":"success"} and
// the older {"StatusCode":0,"StatusMessage":"success"} (new answers often
// carry both). Pointers tell an absent code from 0.
type answer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// code returns the answer's code and message, from whichever shape is
// there; ok is false when neither is.
func (a answer) code() (code int, msg string, ok bool) {
	switch {
	case a.Code != nil && *a.Code != 0:
		return *a.Code, a.Msg, true
	case a.StatusCode != nil && *a.StatusCode != 0:
		return *a.StatusCode, a.StatusMessage, true
	case a.Code != nil:
		return 0, a.Msg, true
	case a.StatusCode != nil:
		return 0, a.StatusMessage, true
	}
	return 0, "", false
}

// judge turns an HTTP answer into nil (delivered) or a failure. Only HTTP
// 2xx with code 0 is delivered. Lark sends its codes with HTTP 200 or 4xx,
// so a non-zero code classifies the failure whatever the status, except
// that HTTP 429 is always rate limiting. The Msg it returns is not yet
// redacted; hints and the channel name are set by finish.
func judge(a channel.Answer) *channel.Error {
	var w answer
	code, msg, parsed := 0, "", false
	if json.Unmarshal(a.Body, &w) == nil {
		code, msg, parsed = w.code()
	}
	e := &channel.Error{Channel: Name, HTTPStatus: a.Status, RetryAfter: a.RetryAfter}
	switch {
	case parsed && code != 0:
		e.Class, e.Code, e.Msg = Classify(code), code, msg
		if a.Status == http.StatusTooManyRequests {
			e.Class = channel.ClassRateLimited
		} else if e.Class == channel.ClassUnknown && a.Status >= 500 {
			e.Class = channel.ClassServer
		}
	case a.Status < 200 || a.Status > 299:
		e.Class = channel.ClassifyHTTP(a.Status)
		if e.Class == channel.ClassUnknown { // 1xx, 3xx: not an answer we know
			e.Class = channel.ClassBadRequest
		}
		if parsed {
			e.Msg = msg
		} else {
			e.Msg = channel.Snippet(a.Body)
		}
	case !parsed:
		e.Class, e.Msg = channel.ClassUnknown, "the answer is not Lark JSON: "+channel.Snippet(a.Body)
	default:
		return nil
	}
	return e
}

// maxMsgBytes caps the service's text in an error.
const maxMsgBytes = 300

// Hints, Chinese then English. They are constants (the HTTP status is the
// only thing formatted into one), so none can hold a token or a secret.
const (
	hintNetwork = "无法连到飞书(超时或网络错误),稍后会自动重试;若反复出现,检查函数的公网出口(NAT/VPC)、代理与超时设置。" +
		"Lark could not be reached (timeout or network error); the send will be retried. If it keeps happening, check the function's internet egress (NAT/VPC), proxy and timeout."
	hintSign = "签名校验失败,或时间戳与飞书相差超过 1 小时(code 19021):核对规则里的签名密钥与机器人「安全设置 → 签名校验」中的一致;机器人未开启签名校验时请删除密钥;并校准发送方的时钟(NTP)。" +
		"Signature check failed, or the timestamp is more than an hour off Lark's clock (code 19021): check the rule's secret equals the one under the bot's Security settings → Set signature verification; remove the secret if the bot does not sign; and fix the sender's clock (NTP)."
	hintKeyword = "消息不含机器人的自定义关键词(code 19024):把机器人「安全设置 → 自定义关键词」中的一个关键词填到规则的 keyword 中。" +
		"The message lacks the bot's custom keyword (code 19024): put one of the keywords from the bot's Security settings → Custom keywords into the rule's keyword."
	hintIP = "IP 不在机器人的白名单中(code 19022):把函数的出口公网 IP(或网段)加入机器人「安全设置 → IP 白名单」。" +
		"The sender's IP is not on the bot's allow-list (code 19022): add the function's egress public IP (or range) under the bot's Security settings → IP whitelist."
	hintHTTPAuth = "飞书拒绝了请求(HTTP 401/403):检查 webhook 是否为自定义机器人的完整地址,以及中间代理。" +
		"Lark refused the request (HTTP 401/403): check that the webhook is the custom bot's whole address, and any proxy in between."
	hintRate = "发送太快被飞书限流:每个自定义机器人每分钟最多 100 次、每秒最多 5 次,整点和半点更容易被限;请合并通知(汇总)或把规则分到多个机器人,稍后会自动重试。" +
		"Rate limited by Lark: a custom bot takes at most 100 requests a minute and 5 a second, and throttles more on the hour and half hour; group notifications into digests or spread rules over several bots. The send will be retried."
	hintToken = "webhook 无效(code 19001):在飞书群「设置 → 群机器人」中选中自定义机器人,复制完整的 webhook 地址(https://open.feishu.cn/open-apis/bot/v2/hook/...,Lark 国际版为 open.larksuite.com)填入规则;机器人被删除后地址即失效,需重新添加。" +
		"Invalid webhook (code 19001): in the Lark group open Settings → Bots → the custom bot, copy the whole webhook address (https://open.feishu.cn/open-apis/bot/v2/hook/..., or open.larksuite.com for Lark international) into the rule; a deleted bot's address stops working, so add the bot again."
	hintBadRequest = "飞书拒绝了请求参数(code 9499):这是 pai-notifier 的缺陷,请报告;或 webhook 指向的不是飞书自定义机器人。" +
		"Lark refused the request's parameters (code 9499): a pai-notifier bug, please report it; or the webhook does not point to a Lark custom bot."
	hintLocal = "消息无法生成:见错误信息;飞书自定义机器人只能按 open id(ou_ 开头)@人,不能按手机号。" +
		"The message could not be built: see the error; a Lark custom bot mentions people by open id (starting ou_), not by mobile number."
	hintHTTPBad = "请求被拒绝:检查 webhook 是否为 https://open.feishu.cn/open-apis/bot/v2/hook/...(或 open.larksuite.com),以及中间代理。" +
		"The request was refused: check that the webhook is https://open.feishu.cn/open-apis/bot/v2/hook/... (or open.larksuite.com), and any proxy in between."
	hintGone = "webhook 地址不存在(HTTP 404/410):在飞书群的群机器人设置中重新复制 webhook 地址;若机器人已被删除,请重新添加。" +
		"The webhook address does not exist (HTTP 404/410): copy the webhook again from the group's bot settings; if the bot was deleted, add it again."
	hintTooLarge = "消息超过飞书 20 KB 的请求体上限:缩短内容或拆成多条(汇总消息会自动拆分)。" +
		"The message is over Lark's 20 KB request limit: shorten it or split it (digests split themselves)."
	hintUnknown = "收到飞书未知的应答:按永久失败处理,不会重试;请对照飞书错误码文档,或检查 webhook 是否指向了别的服务或代理。" +
		"An answer we do not know from Lark: treated as permanent and not retried; look the code up in Lark's error-code documentation, or check whether the webhook points to another service or a proxy."
	hintOther = "飞书拒绝了这条消息:按永久失败处理,不会重试。Lark refused this message: treated as permanent and not retried."
)

// hint says, in Chinese then English, what to do about e.
func hint(e *channel.Error) string {
	switch e.Code {
	case CodeSign:
		return hintSign
	case CodeKeyword:
		return hintKeyword
	case CodeIP:
		return hintIP
	case CodeParamInvalid:
		return hintToken
	}
	switch e.Class {
	case channel.ClassNetwork:
		return hintNetwork
	case channel.ClassServer:
		return fmt.Sprintf("飞书服务端返回 HTTP %d,稍后会自动重试。Lark answered HTTP %d, a server-side problem; the send will be retried later.", e.HTTPStatus, e.HTTPStatus)
	case channel.ClassRateLimited:
		return hintRate
	case channel.ClassAuth:
		return hintHTTPAuth
	case channel.ClassTargetGone:
		return hintGone
	case channel.ClassTooLarge:
		return hintTooLarge
	case channel.ClassBadRequest:
		switch {
		case e.Code != 0:
			return hintBadRequest
		case e.HTTPStatus != 0:
			return hintHTTPBad
		}
		return hintLocal
	case channel.ClassUnknown:
		return hintUnknown
	}
	return hintOther
}

// finish fills in what every failure carries and takes the secrets out of
// its texts, before capping them so that a cut cannot leave half a secret.
func finish(e *channel.Error, red *secret.Redactor) *channel.Error {
	return channel.Finish(e, Name, red, maxMsgBytes, hint)
}
