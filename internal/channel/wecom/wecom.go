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
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// Name is the rules document's target.type for WeCom.
const Name = "wecom"

// Channel sends to WeCom group robots. The zero value is not usable; call New.
type Channel struct {
	hc  *http.Client
	now func() time.Time
}

var _ channel.Channel = (*Channel)(nil)

// Option configures a Channel.
type Option func(*Channel)

// WithHTTPClient sets the client requests go through (tests, proxies).
func WithHTTPClient(hc *http.Client) Option { return func(c *Channel) { c.hc = hc } }

// WithClock sets the clock used to read HTTP-date Retry-After headers.
func WithClock(now func() time.Time) Option { return func(c *Channel) { c.now = now } }

// New returns a WeCom channel. Without WithHTTPClient it uses a client that
// does not follow redirects (WeCom never redirects a send, and following one
// would turn the POST into a GET and carry the key elsewhere); each send is
// bounded by the caller's context.
func New(opts ...Option) *Channel {
	c := &Channel{
		hc: &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

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
	secrets := credentials(t.Webhook.Reveal())
	body, err := Body(m)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Msg: err.Error()}, secrets)
	}
	if len(body) > MaxBodyBytes {
		return finish(&channel.Error{Class: channel.ClassTooLarge,
			Msg: fmt.Sprintf("the markdown body is %d bytes, over the %d that keep its content within WeCom's %d; not sent", len(body), MaxBodyBytes, MaxContentBytes)}, secrets)
	}
	mention, err := mentionBody(m)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Msg: err.Error()}, secrets)
	}
	if e := c.post(ctx, t.Webhook.Reveal(), body, secrets); e != nil {
		return e
	}
	if mention == nil {
		return nil
	}
	if e := c.post(ctx, t.Webhook.Reveal(), mention, secrets); e != nil {
		e.Msg = "the markdown message was delivered, but the text message that @-mentions mobiles or everyone failed: " + e.Msg
		return e
	}
	return nil
}

// post sends one body and judges the answer.
func (c *Channel) post(ctx context.Context, hook string, body []byte, secrets []string) *channel.Error {
	a, err := channel.Post(ctx, c.hc, hook, nil, body, c.now())
	if err != nil {
		var e *channel.Error
		if !errors.As(err, &e) {
			e = &channel.Error{Class: channel.ClassNetwork, Msg: channel.NetworkKind(err), Err: err}
		}
		return finish(e, secrets)
	}
	return judged(a, secrets)
}

// judged is judge with the secrets taken out: the answer is redacted before
// it is parsed or quoted, since a quote cut in the middle of an echoed key
// would leave a piece no redaction finds.
func judged(a channel.Answer, secrets []string) *channel.Error {
	a.Body = []byte(redact(string(a.Body), secrets))
	if e := judge(a); e != nil {
		return finish(e, secrets)
	}
	return nil
}

// credentials lists every spelling of the webhook's secret parts that an
// error text could carry: the key as typed, query- and path-escaped, the
// whole query and the whole URL.
func credentials(hook string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= 4 { // a shorter "secret" would redact ordinary words
			out = append(out, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	add(hook)
	if u, err := url.Parse(hook); err == nil {
		add(u.RawQuery)
		for _, k := range u.Query()["key"] {
			add(k)
		}
	}
	return out
}
