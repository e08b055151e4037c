// Package lark posts notifications to a Lark / Feishu (飞书) custom bot, as
// described in the custom bot guide
// (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot):
//
//	POST https://open.feishu.cn/open-apis/bot/v2/hook/<TOKEN>
//	     (Lark international: https://open.larksuite.com/open-apis/bot/v2/hook/<TOKEN>)
//	{"timestamp":"1599360473","sign":"...","msg_type":"interactive","card":{...}}
//
// The token in the path is a credential. A bot may also require a
// signature (see Sign), keywords, or an IP allow-list. A bot takes 100
// requests a minute and 5 a second.
package lark

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strconv"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Name is the rules document's target.type for Lark and Feishu.
const Name = "lark"

// Channel sends to Lark custom bots. The zero value is not usable; call New.
type Channel struct{ channel.Sender }

var _ channel.Channel = (*Channel)(nil)

// New returns a Lark channel (options: channel.WithHTTPClient, and
// channel.WithClock, the clock of the signature's timestamp and of
// HTTP-date Retry-After headers). Its default client does not follow
// redirects (a redirect would carry the token elsewhere) and has no timeout
// of its own: each send is bounded by the caller's context.
func New(opts ...channel.Option) *Channel { return &Channel{channel.NewSender(0, opts...)} }

// Name implements channel.Channel.
func (c *Channel) Name() string { return Name }

// MaxBodyBytes implements channel.Channel; see the constant.
func (c *Channel) MaxBodyBytes() int { return MaxBodyBytes }

// Body implements channel.Channel.
func (c *Channel) Body(m channel.Message) ([]byte, error) { return Body(m) }

// Send posts m to the bot behind t.Webhook, signed when t.Secret is set. It
// succeeds only when Lark answers code 0 (in either answer shape).
func (c *Channel) Send(ctx context.Context, t channel.Target, m channel.Message) error {
	hook, sec := t.Webhook.Reveal(), t.Secret.Reveal()
	red := credentials(hook, sec)
	w, err := card(m)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Msg: err.Error()}, red)
	}
	if sec != "" {
		ts := c.Now().Unix()
		w.Timestamp, w.Sign = strconv.FormatInt(ts, 10), Sign(sec, ts)
		red.Add(w.Sign) // replayable for an hour
	}
	body, err := encode(w)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Msg: err.Error()}, red)
	}
	if len(body) > LimitBytes {
		return finish(&channel.Error{Class: channel.ClassTooLarge,
			Msg: fmt.Sprintf("the card is %d bytes, over Lark's %d-byte limit; not sent", len(body), LimitBytes)}, red)
	}
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

// credentials is a redactor of every secret part of a send that an error
// text could carry: the whole webhook, its path and token (the last path
// element), and the signing secret. Send adds the sign once it has one.
func credentials(hook, sec string) *secret.Redactor {
	red := secret.NewRedactor(hook, sec)
	if u, err := url.Parse(hook); err == nil {
		red.Add(u.Path, u.RawQuery, path.Base(u.Path))
	}
	return red
}
