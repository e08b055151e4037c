// Package webhook posts notifications to any HTTP endpoint an operator runs,
// as signed Standard Webhooks v1 messages
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
// a JSON body {"type":"pai.task.state","timestamp":…,"data":{…}}, the
// headers webhook-id (the same on every retry of a message),
// webhook-timestamp and, when the target has a whsec_ secret,
// webhook-signature. Answers are judged as the spec recommends: 2xx is
// delivered, 410 means the endpoint is gone, 429 and 5xx are retried.
//
// Neither the secret nor the URL (which may carry a token of its own)
// appears in an error.
package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Name is the rules document's target.type for a signed webhook.
const Name = "webhook"

// Webhook is the signed-webhook channel. Safe for concurrent use.
type Webhook struct{ channel.Sender }

// New returns the webhook channel (options: channel.WithHTTPClient, and
// channel.WithClock, the clock of webhook-timestamp, of a test message's
// payload timestamp and of Retry-After dates). Without WithHTTPClient it
// sends through a client that never follows redirects (the spec counts a
// 3xx as a failure: the URL should be updated instead) and waits at most
// 15 s for an answer's headers, the low end of the spec's recommended
// 15–30 s; the caller's context bounds the rest.
func New(opts ...channel.Option) *Webhook {
	return &Webhook{channel.NewSender(15*time.Second, opts...)}
}

var _ channel.Channel = (*Webhook)(nil)

// Name implements channel.Channel.
func (*Webhook) Name() string { return Name }

// MaxBodyBytes implements channel.Channel.
func (*Webhook) MaxBodyBytes() int { return MaxBodyBytes }

// Body implements channel.Channel: the payload Send would post now.
func (w *Webhook) Body(m channel.Message) ([]byte, error) {
	b, _, err := Body(m, w.Now())
	return b, err
}

// Send posts m to t.Webhook, signed with t.Secret when it is set. It
// succeeds on any 2xx answer. Every failure is a *channel.Error with a hint
// that holds neither the secret nor the URL's credentials.
func (w *Webhook) Send(ctx context.Context, t channel.Target, m channel.Message) error {
	hook := t.Webhook.Reveal()
	red := credentials(hook, t.Secret.Reveal())
	if _, ok := channel.HTTPURL(hook); !ok {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Hint: hintURL, Msg: "the webhook is not an http(s) URL"}, red)
	}
	var key []byte
	if !t.Secret.IsZero() {
		var err error
		if key, err = ParseSecret(t.Secret.Reveal()); err != nil {
			return finish(&channel.Error{Class: channel.ClassAuth, Hint: hintSecret, Msg: err.Error()}, red)
		}
	}
	now := w.Now()
	body, id, err := Body(m, now)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Hint: hintBug, Msg: err.Error()}, red)
	}
	if len(body) > MaxBodyBytes {
		return finish(&channel.Error{Class: channel.ClassTooLarge, Hint: hintTooLarge,
			Msg: fmt.Sprintf("payload is %d bytes, over the %d-byte bound; not sent", len(body), MaxBodyBytes)}, red)
	}
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	if key != nil {
		h.Set(HeaderSignature, sign(key, id, now.Unix(), body))
	}
	if e := w.Exchange(ctx, hook, h, body, red, judge); e != nil {
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
// that got no answer is hinted here (a request that could not even be
// built means the URL is unusable).
func finish(e *channel.Error, red *secret.Redactor) *channel.Error {
	return channel.Finish(e, Name, red, 0, func(e *channel.Error) string {
		if e.Class == channel.ClassBadRequest {
			return hintURL
		}
		return hint(e)
	})
}

// Judge turns a receiver's answer into nil (delivered) or a
// *channel.Error, as Standard Webhooks recommends: 2xx is delivered; 410
// Gone means the receiver wants no more (permanent); 429 is rate limited
// and 5xx a server failure, both retried after any Retry-After; a 3xx is a
// failure (redirects are not followed); other 4xx are classed by
// channel.ClassifyHTTP (401/403 auth, 404 gone, 408 network, 413 too large,
// the rest a bad request).
func Judge(status int, body []byte, retryAfter time.Duration) *channel.Error {
	if status >= 200 && status <= 299 {
		return nil
	}
	e := &channel.Error{Channel: Name, HTTPStatus: status}
	if t := bytes.TrimSpace(body); len(t) > 0 {
		e.Msg = channel.Snippet(t)
	}
	switch {
	case status == http.StatusGone:
		e.Class = channel.ClassTargetGone
	case status == http.StatusTooManyRequests:
		e.Class, e.RetryAfter = channel.ClassRateLimited, retryAfter
	case status >= 500:
		e.Class, e.RetryAfter = channel.ClassServer, retryAfter
	default:
		e.Class = channel.ClassifyHTTP(status)
	}
	e.Hint = hint(e)
	return e
}

// credentials is a redactor of a target's secrets in text that ends up in
// an Error: the signing secret (with and without its prefix, and its key
// unpadded), and everything in the URL that may be a credential: user
// info, the query and its values, and path segments long enough to be a
// token. Pieces under 6 bytes ("hooks", "v1") are not credentials.
func credentials(hook, sec string) *secret.Redactor {
	red := secret.NewRedactor()
	add := func(s string) {
		if len(s) >= 6 {
			red.Add(s)
		}
	}
	add(hook)
	sec = strings.TrimSpace(sec)
	add(sec)
	add(strings.TrimPrefix(sec, SecretPrefix))
	if key, err := ParseSecret(sec); err == nil {
		add(base64.RawStdEncoding.EncodeToString(key)) // the same key spelled unpadded
	}
	if u, err := url.Parse(hook); err == nil {
		add(u.User.String())
		if p, ok := u.User.Password(); ok {
			add(p)
		}
		add(u.User.Username())
		add(u.RawQuery)
		for _, vs := range u.Query() {
			for _, v := range vs {
				add(v)
			}
		}
		add(u.EscapedPath())
		for _, p := range strings.Split(u.Path, "/") {
			if len(p) >= 8 {
				add(p)
			}
		}
	}
	return red
}

const (
	hintURL = "webhook 不是可用的 http(s) 地址:请在规则中填写接收方的完整地址(https://…)。" +
		"The webhook is not a usable http(s) URL: put the receiver's full address (https://…) in the rule."
	hintSecret = "签名密钥格式错误:Standard Webhooks 的密钥是 whsec_ 加上 base64 编码的 24–64 字节随机数(例如接收方生成的 whsec_…);请从接收方复制完整密钥,或删除 secret 以不签名发送。" +
		"The signing secret is malformed: a Standard Webhooks secret is whsec_ followed by the base64 of 24 to 64 random bytes (as the receiver generates it); copy the whole secret from the receiver, or remove the secret to send unsigned."
	hintBug      = "消息无法编码,这是 pai-notifier 的缺陷,请报告。The message could not be encoded: a pai-notifier bug, please report it."
	hintTooLarge = "请求体过大:接收方或我们的 20000 字节上限拒绝了它;请缩短内容,或让接收方放宽上限。" +
		"The payload is too large for the receiver or for our 20,000-byte bound: shorten the message, or have the receiver accept more."
)

// hint says, in Chinese and then English, what to do about e.
func hint(e *channel.Error) string {
	s := e.HTTPStatus
	switch e.Class {
	case channel.ClassNetwork:
		if s == http.StatusRequestTimeout {
			return "接收方返回 408(请求超时),稍后会自动重试。The receiver answered 408 (request timeout); the send will be retried."
		}
		if strings.Contains(e.Msg, "timeout") {
			return "请求超时:接收方在时限内没有应答,稍后会自动重试;Standard Webhooks 建议接收方在 15–30 秒内应答,耗时的处理应放到应答之后。" +
				"The request timed out: the receiver did not answer in time; it will be retried. Standard Webhooks asks receivers to answer within 15–30 s and to do slow work after answering."
		}
		return "网络错误:无法连到接收方,稍后会自动重试;检查地址的主机和端口、接收方是否在运行,以及函数的公网出口与代理。" +
			"Network failure: the receiver could not be reached; it will be retried. Check the URL's host and port, that the receiver is running, and the function's internet egress and proxy."
	case channel.ClassTargetGone:
		if s == http.StatusGone {
			return "接收方返回 410 Gone:按 Standard Webhooks 约定,它不再接收这个 webhook,应停用该端点;若仍需通知,请接收方恢复端点后再启用规则。" +
				"The receiver answered 410 Gone: under Standard Webhooks it wants no more messages and the endpoint should be disabled; if notifications are still wanted, have the receiver restore the endpoint, then enable the rule again."
		}
		return fmt.Sprintf("接收方返回 HTTP %d:地址的路径不存在,或端点已被删除;检查规则里的 webhook 地址。"+
			"The receiver answered HTTP %d: the URL's path does not exist or the endpoint was removed; check the webhook URL in the rule.", s, s)
	case channel.ClassAuth:
		return fmt.Sprintf("接收方拒绝了身份校验(HTTP %d):若它校验签名,检查规则的 secret(whsec_…)与接收方的一致,并确认两边时钟相差不超过 5 分钟;若它要求令牌,检查地址中的令牌。"+
			"The receiver refused authentication (HTTP %d): if it verifies signatures, check the rule's secret (whsec_…) equals the receiver's and both clocks are within 5 minutes; if it wants a token, check the token in the URL.", s, s)
	case channel.ClassRateLimited:
		return "接收方限流(HTTP 429):会按 Retry-After 稍后自动重试;若经常出现,请合并通知(汇总)或为规则设置 rateLimit。" +
			"The receiver is rate limiting (HTTP 429): the send is retried after Retry-After. If it keeps happening, group notifications into digests or set the rule's rateLimit."
	case channel.ClassServer:
		return fmt.Sprintf("接收方返回 HTTP %d(服务端错误),稍后会自动重试。The receiver answered HTTP %d (a server-side failure); the send will be retried.", s, s)
	case channel.ClassTooLarge:
		return hintTooLarge
	case channel.ClassBadRequest:
		return fmt.Sprintf("接收方拒绝了请求内容(HTTP %d):检查它是否接受 pai.task.state 事件的 JSON(Standard Webhooks 格式)。按永久失败处理,不会重试。"+
			"The receiver refused the request (HTTP %d): check it accepts pai.task.state events as Standard Webhooks JSON. Treated as permanent, not retried.", s, s)
	}
	if s >= 300 && s <= 399 {
		return fmt.Sprintf("接收方返回重定向(HTTP %d):webhook 不跟随重定向,请把规则里的地址改为最终地址。"+
			"The receiver answered a redirect (HTTP %d): webhooks do not follow redirects; put the final address in the rule.", s, s)
	}
	return fmt.Sprintf("接收方返回了意外的 HTTP %d:按永久失败处理,不会重试。The receiver answered an unexpected HTTP %d: treated as permanent, not retried.", s, s)
}
