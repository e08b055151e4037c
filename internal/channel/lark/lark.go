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
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// Name is the rules document's target.type for Lark and Feishu.
const Name = "lark"

// Channel sends to Lark custom bots. The zero value is not usable; call New.
type Channel struct {
	hc  *http.Client
	now func() time.Time
}

var _ channel.Channel = (*Channel)(nil)

// Option configures a Channel.
type Option func(*Channel)

// WithHTTPClient sets the client requests go through (tests, proxies).
func WithHTTPClient(hc *http.Client) Option { return func(c *Channel) { c.hc = hc } }

// WithClock sets the clock of the signature's timestamp and of HTTP-date
// Retry-After headers.
func WithClock(now func() time.Time) Option { return func(c *Channel) { c.now = now } }

// New returns a Lark channel. Without WithHTTPClient it uses a client that
// does not follow redirects (a redirect would carry the token elsewhere);
// each send is bounded by the caller's context.
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

// Send posts m to the bot behind t.Webhook, signed when t.Secret is set. It
// succeeds only when Lark answers code 0 (in either answer shape).
func (c *Channel) Send(ctx context.Context, t channel.Target, m channel.Message) error {
	hook, sec := t.Webhook.Reveal(), t.Secret.Reveal()
	secrets := credentials(hook, sec)
	w, err := card(m)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Msg: err.Error()}, secrets)
	}
	if sec != "" {
		ts := c.now().Unix()
		w.Timestamp, w.Sign = strconv.FormatInt(ts, 10), Sign(sec, ts)
		secrets = append(secrets, spellings(w.Sign)...) // replayable for an hour
	}
	body, err := encode(w)
	if err != nil {
		return finish(&channel.Error{Class: channel.ClassBadRequest, Msg: err.Error()}, secrets)
	}
	if len(body) > LimitBytes {
		return finish(&channel.Error{Class: channel.ClassTooLarge,
			Msg: fmt.Sprintf("the card is %d bytes, over Lark's %d-byte limit; not sent", len(body), LimitBytes)}, secrets)
	}
	a, err := channel.Post(ctx, c.hc, hook, nil, body, c.now())
	if err != nil {
		var e *channel.Error
		if !errors.As(err, &e) {
			e = &channel.Error{Class: channel.ClassNetwork, Msg: channel.NetworkKind(err), Err: err}
		}
		return finish(e, secrets)
	}
	if e := judged(a, secrets); e != nil {
		return e
	}
	return nil
}

// judged is judge with the secrets taken out: the answer is redacted before
// it is parsed or quoted, since a quote cut in the middle of an echoed
// token would leave a piece no redaction finds.
func judged(a channel.Answer, secrets []string) *channel.Error {
	a.Body = []byte(redact(string(a.Body), secrets))
	if e := judge(a); e != nil {
		return finish(e, secrets)
	}
	return nil
}

// credentials lists every spelling of the secret parts of a send that an
// error text could carry: the whole webhook, its path and token (the last
// path element), and the signing secret.
func credentials(hook, sec string) []string {
	var out []string
	add := func(s string) { out = append(out, spellings(s)...) }
	add(hook)
	if u, err := url.Parse(hook); err == nil {
		add(u.Path)
		add(u.RawQuery)
		add(path.Base(u.Path))
	}
	add(sec)
	return out
}

// spellings is s as typed, query-escaped and path-escaped; nothing for a
// "secret" under 4 bytes, which would redact ordinary words.
func spellings(s string) []string {
	if len(s) < 4 {
		return nil
	}
	return []string{s, url.QueryEscape(s), url.PathEscape(s)}
}
