// Package slack posts notifications to Slack incoming webhooks
// (https://api.slack.com/messaging/webhooks): a "text" fallback plus Block
// Kit blocks in mrkdwn, every job text escaped, and Slack's plain-text
// answers ("ok", or an HTTP status with a code such as no_service) judged
// into the failure classes every channel shares.
//
// The webhook URL, https://hooks.slack.com/services/T…/B…/…, is the only
// credential: its path is secret and never appears in an error. Slack has
// no signing secret and no keyword check; a rule's keyword is still put in
// every message.
package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Name is the rules document's target.type for Slack.
const Name = "slack"

// Slack is the Slack channel. Safe for concurrent use.
type Slack struct{ channel.Sender }

// New returns the Slack channel (options: channel.WithHTTPClient,
// channel.WithClock). Without WithHTTPClient it sends through a client that
// never follows redirects (Slack does not redirect a webhook, and following
// one would carry the secret path elsewhere) and waits at most 10 s for an
// answer's headers; the caller's context bounds the rest.
func New(opts ...channel.Option) *Slack { return &Slack{channel.NewSender(10*time.Second, opts...)} }

var _ channel.Channel = (*Slack)(nil)

// Name implements channel.Channel.
func (*Slack) Name() string { return Name }

// MaxBodyBytes implements channel.Channel.
func (*Slack) MaxBodyBytes() int { return MaxBodyBytes }

// Body implements channel.Channel; see the package function Body.
func (*Slack) Body(m channel.Message) ([]byte, error) { return Body(m) }

// Send posts m to the webhook t.Webhook (t.Secret is not used: Slack webhooks
// are not signed). It succeeds only when Slack answers HTTP 200 "ok". Every
// failure is a *channel.Error with a hint, and none holds the webhook's path.
func (s *Slack) Send(ctx context.Context, t channel.Target, m channel.Message) error {
	hook := t.Webhook.Reveal()
	red := credentials(hook)
	body, err := Body(m)
	if err != nil {
		e := &channel.Error{Class: channel.ClassBadRequest, Msg: err.Error(), Hint: hintBug}
		if errors.Is(err, ErrMentions) {
			e.Hint = hintMentions
		}
		return finish(e, red)
	}
	if len(body) > MaxBodyBytes {
		return finish(&channel.Error{Class: channel.ClassTooLarge, Hint: hintTooLarge,
			Msg: fmt.Sprintf("message body is %d bytes, over our %d-byte bound for Slack; not sent", len(body), MaxBodyBytes)}, red)
	}
	if _, ok := channel.HTTPURL(hook); !ok {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Hint: hintURL,
			Msg: "the webhook is not an http(s) URL"}, red)
	}
	if e := s.Exchange(ctx, hook, nil, body, red, judge); e != nil {
		return finish(e, red)
	}
	return nil
}

// judge is Judge for channel.Exchange.
func judge(a channel.Answer) *channel.Error { return Judge(a.Status, a.Body, a.RetryAfter) }

// judged is Judge with the secrets taken out (channel.JudgeRedacted): the
// answer is redacted before Judge quotes the start of it, since a secret
// cut in two there would no longer be recognised.
func judged(a channel.Answer, red *secret.Redactor) *channel.Error {
	if e := channel.JudgeRedacted(a, red, judge); e != nil {
		return finish(e, red)
	}
	return nil
}

// finish names the channel, takes the secrets out of e's texts and gives
// e a hint when it has none: Judge gives answers theirs, so only a send
// that got no answer is hinted here.
func finish(e *channel.Error, red *secret.Redactor) *channel.Error {
	return channel.Finish(e, Name, red, 0, func(e *channel.Error) string { return hint(e, "") })
}

// Judge turns Slack's answer into nil (delivered) or a *channel.Error with
// its class and hint. Slack answers HTTP 200 with the plain text "ok"; a
// failure is an HTTP status with a plain-text code
// (https://api.slack.com/messaging/webhooks#handling_errors):
// 400 invalid_payload / no_text / invalid_blocks, 403 action_prohibited,
// 404 channel_not_found / no_service, 410 channel_is_archived, 429 with
// Retry-After, 5xx. A 200 with any other body is not a delivery: it is
// ClassUnknown (permanent), since something other than Slack answered.
func Judge(status int, body []byte, retryAfter time.Duration) *channel.Error {
	text := bytes.TrimSpace(body)
	if status == http.StatusOK && string(text) == "ok" {
		return nil
	}
	code := slackCode(text)
	e := &channel.Error{Channel: Name, HTTPStatus: status, Msg: code}
	if code == "" {
		e.Msg = channel.Snippet(text)
	}
	switch {
	case status == http.StatusOK:
		e.Class = channel.ClassUnknown
		e.Msg = "answer is not Slack's \"ok\": " + channel.Snippet(text)
	case status == http.StatusTooManyRequests:
		e.Class, e.RetryAfter = channel.ClassRateLimited, retryAfter
	case status >= 500:
		e.Class, e.RetryAfter = channel.ClassServer, retryAfter
	case status == http.StatusBadRequest:
		e.Class = channel.ClassBadRequest
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		e.Class = channel.ClassAuth
	case status == http.StatusNotFound || status == http.StatusGone:
		e.Class = channel.ClassTargetGone
	default:
		e.Class = channel.ClassifyHTTP(status)
	}
	e.Hint = hint(e, code)
	return e
}

// slackCode returns Slack's error code when the answer is one (a short
// lower-case word with underscores), else "".
func slackCode(text []byte) string {
	if len(text) == 0 || len(text) > 64 {
		return ""
	}
	for _, c := range text {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return ""
		}
	}
	return string(text)
}

// credentials is a redactor of the webhook's secret path, which an answer
// (a proxy's error page) or a transport error may echo: the whole URL, its
// path (as sent and decoded), its query and each of T…, B… and the token.
// Parts under 6 bytes are not the secret.
func credentials(hook string) *secret.Redactor {
	red := secret.NewRedactor()
	add := func(s string) {
		if len(s) >= 6 {
			red.Add(s)
		}
	}
	add(hook)
	if u, err := url.Parse(hook); err == nil {
		add(u.EscapedPath())
		add(u.Path)
		add(u.RawQuery)
		for _, p := range strings.Split(strings.TrimPrefix(u.Path, "/services/"), "/") {
			if p != "services" {
				add(p)
			}
		}
	}
	return red
}

const (
	hintMentions = "Slack 只能按成员 ID(U 开头)提及成员,不能按手机号:请把规则的 atMobiles 换成 atUserIds(在 Slack 成员资料的“复制成员 ID”中找到)。" +
		"Slack mentions members by their id (starting with U), not by mobile number: replace the rule's atMobiles with atUserIds (a member's profile → Copy member ID)."
	hintBug = "消息无法编码,这是 pai-notifier 的缺陷,请报告。The message could not be encoded: a pai-notifier bug, please report it."
	hintURL = "webhook 不是 http(s) 地址:应为 https://hooks.slack.com/services/T…/B…/…。" +
		"The webhook is not an http(s) URL: it should be https://hooks.slack.com/services/T…/B…/…."
	hintTooLarge = "消息过大:请缩短内容或拆成多条(汇总消息会自动拆分)。The message is too large: shorten it or split it (digests are split automatically)."
	hintRevoked  = "Slack 说这个 webhook 不存在(no_service):它已被撤销、所属应用已被移除,或地址抄错了。请在 https://api.slack.com/apps 打开应用 → Incoming Webhooks,为频道重新生成 webhook,并更新规则。" +
		"Slack says this webhook does not exist (no_service): it was revoked, its app was removed, or the URL was mistyped. Open the app at https://api.slack.com/apps → Incoming Webhooks, add a new webhook for the channel and put it in the rule."
	hintChannelGone = "webhook 指向的频道已不存在(channel_not_found):频道被删除或改为私有后应用无权发送。请为现有频道重新生成 webhook(https://api.slack.com/apps → Incoming Webhooks)。" +
		"The webhook's channel no longer exists (channel_not_found): it was deleted, or made private without the app. Add a new webhook for an existing channel (https://api.slack.com/apps → Incoming Webhooks)."
	hintArchived = "webhook 指向的频道已归档(channel_is_archived):请取消归档,或为另一个频道重新生成 webhook。" +
		"The webhook's channel is archived (channel_is_archived): unarchive it, or add a new webhook for another channel."
	hintProhibited = "Slack 禁止了这次发送(action_prohibited):工作区管理员限制了该应用或频道的发帖权限。请管理员检查应用的安装与频道的发帖设置。" +
		"Slack refused the post (action_prohibited): a workspace admin restricted the app or who may post in the channel. Ask an admin to check the app's installation and the channel's posting settings."
	hintRate = "发送太快被 Slack 限流:每个 webhook 大约每秒 1 条,允许短暂突发;会按 Retry-After 稍后自动重试。若经常出现,请合并通知(汇总)或调低规则的 rateLimit。" +
		"Slack rate-limited the webhook: about one message a second, with short bursts; the send is retried after Retry-After. If it keeps happening, group notifications into digests or lower the rule's rateLimit."
	hintPayload = "Slack 拒绝了消息格式(%s):这是 pai-notifier 的缺陷,或有代理改写了请求,请报告。" +
		"Slack rejected the message's format (%s): a pai-notifier bug, or a proxy rewrote the request; please report it."
	hintNotOK = "应答不是 Slack 的 ok:webhook 可能指向了别的地址,或中间有代理应答。按永久失败处理,不会重试;请确认 webhook 是 https://hooks.slack.com/services/…。" +
		"The answer was not Slack's \"ok\": the webhook may point elsewhere, or a proxy answered. Treated as permanent, not retried; check the webhook is https://hooks.slack.com/services/…."
)

// hint says, in Chinese and then English, what to do about e; code is
// Slack's plain-text error code, "" when none.
func hint(e *channel.Error, code string) string {
	switch e.Class {
	case channel.ClassNetwork:
		if e.HTTPStatus == http.StatusRequestTimeout {
			return "Slack 返回 408(请求超时),稍后会自动重试。Slack answered 408 (request timeout); the send will be retried."
		}
		if e.Msg == "timeout" || strings.HasPrefix(e.Msg, "reading the answer: timeout") {
			return "请求超时:Slack 在时限内没有应答,稍后会自动重试;若反复出现,检查函数到 hooks.slack.com 的公网出口(NAT/VPC、代理)。" +
				"The request timed out: Slack did not answer in time; it will be retried. If it keeps happening, check the function's internet egress to hooks.slack.com (NAT/VPC, proxy)."
		}
		return "网络错误:无法连到 Slack,稍后会自动重试;检查函数能否访问 hooks.slack.com(DNS、NAT/VPC、代理)。" +
			"Network failure: Slack could not be reached; it will be retried. Check the function can reach hooks.slack.com (DNS, NAT/VPC, proxy)."
	case channel.ClassRateLimited:
		return hintRate
	case channel.ClassServer:
		return fmt.Sprintf("Slack 服务端返回 HTTP %d,稍后会自动重试(Slack 状态见 https://slack-status.com)。Slack answered HTTP %d: a problem on Slack's side; the send will be retried (status: https://slack-status.com).", e.HTTPStatus, e.HTTPStatus)
	case channel.ClassTargetGone:
		switch {
		case code == "channel_is_archived" || e.HTTPStatus == http.StatusGone:
			return hintArchived
		case code == "channel_not_found":
			return hintChannelGone
		}
		return hintRevoked
	case channel.ClassAuth:
		if code == "action_prohibited" {
			return hintProhibited
		}
		return fmt.Sprintf("Slack 拒绝了这个 webhook(HTTP %d %s):它可能已失效;请在 https://api.slack.com/apps → Incoming Webhooks 重新生成。"+
			"Slack refused this webhook (HTTP %d %s): it may be invalid; add a new one at https://api.slack.com/apps → Incoming Webhooks.", e.HTTPStatus, code, e.HTTPStatus, code)
	case channel.ClassBadRequest:
		c := code
		if c == "" {
			c = fmt.Sprintf("HTTP %d", e.HTTPStatus)
		}
		return fmt.Sprintf(hintPayload, c, c)
	case channel.ClassTooLarge:
		return hintTooLarge
	}
	if e.HTTPStatus == http.StatusOK {
		return hintNotOK
	}
	return fmt.Sprintf("Slack 返回了意外的 HTTP %d:按永久失败处理,不会重试;请确认 webhook 是 https://hooks.slack.com/services/…(重定向说明地址已变)。"+
		"Slack answered an unexpected HTTP %d: treated as permanent, not retried; check the webhook is https://hooks.slack.com/services/… (a redirect means the address changed).", e.HTTPStatus, e.HTTPStatus)
}
