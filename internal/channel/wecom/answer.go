package wecom

import (
	"encoding/json"
	"fmt"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// WeCom errcodes the channel tells apart. WeCom publishes one table for all
// its APIs (https://developer.work.weixin.qq.com/document/path/90313); the
// robot's answers among them are HTTP 200 {"errcode":N,"errmsg":"..."}.
const (
	CodeBusy           = -1    // system busy: retry
	CodeNeedPOST       = 43002 // the method was not POST
	CodeBadMsgType     = 40008 // invalid message type
	CodeEmptyContent   = 44004 // the content is empty
	CodeTooLong        = 45002 // the content is over its limit
	CodeTooFast        = 45009 // over 20 messages a minute for this robot
	CodeBadJSON        = 47001 // the body is not the JSON WeCom expects
	CodeInvalidWebhook = 93000 // the key is not a robot's (mistyped, or the robot was removed)
)

// Classify maps a WeCom errcode to a failure class. 93000 is ClassAuth, not
// ClassTargetGone: WeCom answers it both for a mistyped key and for the key
// of a robot that was removed from its group, and cannot tell them apart;
// either way a person has to copy the webhook again from the group's robot
// settings, which is what ClassAuth's hint says (DingTalk's "token does not
// exist" is ClassAuth too). Marking a mistyped key "gone" would claim more
// than WeCom said. Codes we do not know are ClassUnknown: permanent.
func Classify(code int) channel.Class {
	switch code {
	case CodeBusy:
		return channel.ClassBusy
	case CodeTooFast:
		return channel.ClassRateLimited
	case CodeInvalidWebhook:
		return channel.ClassAuth
	case CodeBadMsgType, CodeEmptyContent, CodeNeedPOST, CodeBadJSON:
		return channel.ClassBadRequest
	case CodeTooLong:
		return channel.ClassTooLarge
	}
	return channel.ClassUnknown
}

// answer is WeCom's reply; a pointer tells an absent errcode from 0.
type answer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// judge turns an HTTP answer into nil (delivered) or a failure. Only HTTP
// 2xx with errcode 0 is delivered: an errcode other than 0 is a failure
// whatever the status. The Msg it returns is the service's text, not yet
// redacted; hints and the channel name are set by the caller.
func judge(a channel.Answer) *channel.Error {
	var w answer
	parsed := json.Unmarshal(a.Body, &w) == nil && w.ErrCode != nil
	e := &channel.Error{Channel: Name, HTTPStatus: a.Status, RetryAfter: a.RetryAfter}
	switch {
	case a.Status < 200 || a.Status > 299:
		e.Class = channel.ClassifyHTTP(a.Status)
		if e.Class == channel.ClassUnknown { // 1xx, 3xx: not an answer we know
			e.Class = channel.ClassBadRequest
		}
		if parsed {
			e.Code, e.Msg = *w.ErrCode, w.ErrMsg
		} else {
			e.Msg = channel.Snippet(a.Body)
		}
	case !parsed:
		e.Class, e.Msg = channel.ClassUnknown, "the answer is not WeCom JSON: "+channel.Snippet(a.Body)
	case *w.ErrCode != 0:
		e.Class, e.Code, e.Msg = Classify(*w.ErrCode), *w.ErrCode, w.ErrMsg
	default:
		return nil
	}
	return e
}

// maxMsgBytes caps the service's text in an error: enough for WeCom's
// "invalid webhook url, hint: [...], from ip: ..., more info at ...".
const maxMsgBytes = 300

// Hints, Chinese then English. None holds a key: they are constants, and
// the HTTP status is the only thing formatted into one.
const (
	hintNetwork = "无法连到企业微信(超时或网络错误),稍后会自动重试;若反复出现,检查函数的公网出口(NAT/VPC)、代理与超时设置。" +
		"WeCom could not be reached (timeout or network error); the send will be retried. If it keeps happening, check the function's internet egress (NAT/VPC), proxy and timeout."
	hintBusy = "企业微信系统繁忙(errcode -1),稍后会自动重试。WeCom is busy (errcode -1); the send will be retried later."
	hintRate = "发送太快被企业微信限流:每个群机器人每分钟最多 20 条(@手机号或@所有人时每次通知占 2 条);请合并通知(汇总)或把规则分到多个机器人。" +
		"Rate limited by WeCom: a group robot takes at most 20 messages a minute (a notification that @-mentions mobiles or everyone takes 2); group notifications into digests or spread rules over several robots."
	hintAuth = "webhook 地址无效(errcode 93000):在企业微信群聊右上角「…」→ 群机器人 → 选中机器人,复制完整的 Webhook 地址(https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...)填入规则;若机器人已被移出群,请重新添加机器人并更新地址。" +
		"Invalid webhook (errcode 93000): in the WeCom group chat open \"…\" → Group Robots → the robot, copy the whole webhook address (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...) into the rule; if the robot was removed from the group, add it again and update the address."
	hintHTTPAuth = "企业微信拒绝了请求(HTTP 401/403):检查 webhook 地址是否为群机器人的完整地址,以及中间代理。" +
		"WeCom refused the request (HTTP 401/403): check that the webhook is the robot's whole address, and any proxy in between."
	hintGone = "webhook 地址不存在(HTTP 404/410):在企业微信群的群机器人设置中重新复制 Webhook 地址;若机器人已被删除,请重新添加。" +
		"The webhook address does not exist (HTTP 404/410): copy the webhook again from the group's robot settings; if the robot was deleted, add a new one."
	hintTooLarge = "消息超过企业微信的上限(markdown 内容 4096 字节,文本 2048 字节):缩短内容或拆成多条(汇总消息会自动拆分)。" +
		"The message is over WeCom's limit (4096 bytes of markdown content, 2048 of text): shorten it or split it (digests split themselves)."
	hintBadRequest = "企业微信拒绝了消息格式(消息类型无效或内容为空):这是 pai-notifier 的缺陷,请报告;或 webhook 指向的不是企业微信群机器人。" +
		"WeCom refused the message's shape (invalid type or empty content): a pai-notifier bug, please report it; or the webhook does not point to a WeCom group robot."
	hintHTTPBad = "请求被拒绝:检查 webhook 是否为 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...,以及中间代理。" +
		"The request was refused: check that the webhook is https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..., and any proxy in between."
	hintUnknown = "收到企业微信未知的应答:按永久失败处理,不会重试;请对照企业微信全局错误码文档(https://developer.work.weixin.qq.com/document/path/90313),或检查 webhook 是否指向了别的服务或代理。" +
		"An answer we do not know from WeCom: treated as permanent and not retried; look the code up in WeCom's error-code table (https://developer.work.weixin.qq.com/document/path/90313), or check whether the webhook points to another service or a proxy."
	hintOther = "企业微信拒绝了这条消息:按永久失败处理,不会重试。WeCom refused this message: treated as permanent and not retried."
)

// hint says, in Chinese then English, what to do about e.
func hint(e *channel.Error) string {
	switch e.Class {
	case channel.ClassNetwork:
		return hintNetwork
	case channel.ClassServer:
		return fmt.Sprintf("企业微信服务端返回 HTTP %d,稍后会自动重试。WeCom answered HTTP %d, a server-side problem; the send will be retried later.", e.HTTPStatus, e.HTTPStatus)
	case channel.ClassBusy:
		return hintBusy
	case channel.ClassRateLimited:
		return hintRate
	case channel.ClassAuth:
		if e.Code == 0 {
			return hintHTTPAuth
		}
		return hintAuth
	case channel.ClassTargetGone:
		return hintGone
	case channel.ClassTooLarge:
		return hintTooLarge
	case channel.ClassBadRequest:
		if e.Code == 0 && e.HTTPStatus != 0 {
			return hintHTTPBad
		}
		return hintBadRequest
	case channel.ClassUnknown:
		return hintUnknown
	}
	return hintOther
}

// finish fills in what every failure carries and takes the secrets out of
// its texts; the service's message is redacted before it is capped, so a
// key cut in half by the cap cannot survive.
func finish(e *channel.Error, red *secret.Redactor) *channel.Error {
	return channel.Finish(e, Name, red, maxMsgBytes, hint)
}
