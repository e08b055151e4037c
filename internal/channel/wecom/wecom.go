// Package wecom posts notifications to a WeCom (企业微信) group robot, as
// described in the group robot guide
// (https://developer.work.weixin.qq.com/document/path/91770):
//
//	POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<KEY>
//	{"msgtype":"markdown","markdown":{"content":"..."}}
//
// The key in the URL is the only credential (WeCom robots have no signing)
// and is treated as the secret it is. A robot takes 20 messages a minute.
//
// Mentions: WeCom's markdown notifies only <@userid> written in its content
// and ignores mentioned_mobile_list, so mobiles and "everyone" are mentioned
// by a short text message (mentioned_mobile_list / mentioned_list "@all")
// that Send posts right after the markdown. Such a notification takes two of
// the robot's 20 messages a minute.
package wecom

import (
	"context"
	"fmt"
	"net/url"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Name is the rules document's target.type for WeCom.
const Name = "wecom"

// Channel sends to WeCom group robots. The zero value is not usable; call New.
type Channel struct{ channel.Sender }

var _ channel.Channel = (*Channel)(nil)

// New returns a WeCom channel (options: channel.WithHTTPClient,
// channel.WithClock). Its default client does not follow redirects (WeCom
// never redirects a send, and following one would turn the POST into a GET
// and carry the key elsewhere) and has no timeout of its own: each send is
// bounded by the caller's context.
func New(opts ...channel.Option) *Channel { return &Channel{channel.NewSender(0, opts...)} }

// Name implements channel.Channel.
func (c *Channel) Name() string { return Name }

// MaxBodyBytes implements channel.Channel; see the constant.
func (c *Channel) MaxBodyBytes() int { return MaxBodyBytes }

// Body implements channel.Channel.
func (c *Channel) Body(m channel.Message) ([]byte, error) { return Body(m) }

// Send posts m to the robot behind t.Webhook: the markdown message, then,
// when m mentions mobiles or everyone, the text message that notifies them.
// It succeeds only when WeCom answers errcode 0 to both. If the markdown was
// delivered but the mention failed, the error says so: a retry sends both
// again, because a failed job that pages nobody is worse than a repeated
// message. t.Secret is not used: WeCom robots do not sign.
func (c *Channel) Send(ctx context.Context, t channel.Target, m channel.Message) error {
	red := credentials(t.Webhook.Reveal())
	body, err := Body(m)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Msg: err.Error()}, red)
	}
	if len(body) > MaxBodyBytes {
		return finish(&channel.Error{Class: channel.ClassTooLarge,
			Msg: fmt.Sprintf("the markdown body is %d bytes, over the %d that keep its content within WeCom's %d; not sent", len(body), MaxBodyBytes, MaxContentBytes)}, red)
	}
	mention, err := mentionBody(m)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Msg: err.Error()}, red)
	}
	if e := c.post(ctx, t.Webhook.Reveal(), body, red); e != nil {
		return e
	}
	if mention == nil {
		return nil
	}
	if e := c.post(ctx, t.Webhook.Reveal(), mention, red); e != nil {
		e.Msg = "the markdown message was delivered, but the text message that @-mentions mobiles or everyone failed: " + e.Msg
		return e
	}
	return nil
}

// post sends one body and judges the answer.
func (c *Channel) post(ctx context.Context, hook string, body []byte, red *secret.Redactor) *channel.Error {
	if e := c.Exchange(ctx, hook, nil, body, red, judge); e != nil {
		return finish(e, red)
	}
	return nil
}

// judged is judge with the secrets taken out (channel.JudgeRedacted).
func judged(a channel.Answer, red *secret.Redactor) *channel.Error {
	if e := channel.JudgeRedacted(a, red, judge); e != nil {
		return finish(e, red)
	}
	return nil
}

// credentials is a redactor of every secret part of the webhook that an
// error text could carry: the whole URL, its query and the key.
func credentials(hook string) *secret.Redactor {
	red := secret.NewRedactor(hook)
	if u, err := url.Parse(hook); err == nil {
		red.Add(u.RawQuery)
		red.Add(u.Query()["key"]...)
	}
	return red
}
