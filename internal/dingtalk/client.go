package dingtalk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// MaxAnswerBytes bounds how much of DingTalk's answer is read; real answers
// are well under 1 KiB.
const MaxAnswerBytes = 64 << 10

// Client sends messages to DingTalk robots. It keeps one http.Client whose
// connections survive between warm function invocations, so a burst of
// notifications pays for one TLS handshake. Safe for concurrent use.
type Client struct {
	hc      *http.Client
	timeout time.Duration
	now     func() time.Time
}

// Option changes a Client built by NewClient.
type Option func(*Client)

// WithClock sets the clock used for signature timestamps (tests).
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// NewTransport returns the transport NewClient uses: connection reuse across
// invocations, bounded handshakes and a response-header timeout so a stuck
// peer cannot hold a function until its own deadline.
func NewTransport(responseHeaderTimeout time.Duration) *http.Transport {
	if responseHeaderTimeout <= 0 {
		responseHeaderTimeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   8, // one DingTalk host; a few parallel sends
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// NewClient returns a Client whose sends each take at most timeout (0 means
// only the caller's context bounds them).
func NewClient(timeout time.Duration, opts ...Option) *Client {
	c := &Client{
		hc: &http.Client{
			Transport: NewTransport(timeout),
			// DingTalk never redirects a send; following one would turn the
			// POST into a GET and carry the token to another URL.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: timeout,
		now:     time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// answer is DingTalk's reply; pointers tell "absent" from zero.
type answer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Name is the rules document's target.type for DingTalk.
const Name = "dingtalk"

// Name implements channel.Channel.
func (c *Client) Name() string { return Name }

// MaxBodyBytes implements channel.Channel: DingTalk's 20000 bytes.
func (c *Client) MaxBodyBytes() int { return MaxBodyBytes }

// Body implements channel.Channel: the JSON DingTalk receives for m
// (signing goes into the URL, so the body is the whole request).
func (c *Client) Body(m channel.Message) ([]byte, error) { return Body(Render(m)) }

// Send implements channel.Channel: m rendered (Render) and sent to t with
// SendMessage.
func (c *Client) Send(ctx context.Context, t channel.Target, m channel.Message) error {
	return c.SendMessage(ctx, t.Webhook, t.Secret, Render(m))
}

// SendMessage posts m to the robot behind webhook, signed with secret when
// it is not empty. It succeeds only when DingTalk answers errcode 0. Every
// failure is a *channel.Error named "dingtalk", with the hint for the
// notifier's reader (Hint), that holds neither the access_token, the secret
// nor the sign.
func (c *Client) SendMessage(ctx context.Context, webhook, secretKey secret.String, m Message) error {
	if e := c.send(ctx, webhook, secretKey, m); e != nil {
		e.Channel = Name
		if e.Hint == "" {
			e.Hint = Hint(e)
		}
		return e
	}
	return nil
}

func (c *Client) send(ctx context.Context, webhook, secretKey secret.String, m Message) *Error {
	body, err := Body(m)
	if err != nil {
		return &Error{Class: ClassBadRequest, Msg: err.Error()}
	}
	if len(body) > MaxBodyBytes {
		return &Error{Class: ClassTooLarge, Msg: fmt.Sprintf("message body is %d bytes, over DingTalk's %d-byte limit; not sent", len(body), MaxBodyBytes)}
	}
	target, err := SignedURL(webhook.Reveal(), secretKey.Reveal(), c.now())
	if err != nil {
		return &Error{Class: ClassAuth, Msg: err.Error()}
	}
	red := newRedactor(webhook.Reveal(), secretKey.Reveal(), target)

	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &Error{Class: ClassBadRequest, Msg: "cannot build request", Err: wrap(red, err)}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "pai-notifier")

	resp, err := c.hc.Do(req)
	if err != nil {
		e := wrap(red, err)
		return &Error{Class: ClassNetwork, Msg: NetworkKind(err), Err: e}
	}
	defer func() {
		// Drain what is left (bounded) so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxAnswerBytes))
		_ = resp.Body.Close()
	}()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return &Error{Class: ClassNetwork, HTTPStatus: resp.StatusCode, Msg: "reading answer: " + NetworkKind(err), Err: wrap(red, err)}
	}
	if e := judge(resp.StatusCode, raw, red); e != nil {
		if resp.StatusCode == http.StatusTooManyRequests {
			e.RetryAfter = channel.RetryAfter(resp.Header.Get("Retry-After"), c.now())
		}
		return e
	}
	return nil
}

// judge turns an HTTP status and answer body into nil (delivered) or an
// *Error. Only a JSON answer with errcode 0 counts as delivered. Text taken
// from the answer is redacted whole, then cut, by red.
func judge(status int, raw []byte, red *secret.Redactor) *Error {
	var a answer
	parsed := json.Unmarshal(raw, &a) == nil && a.ErrCode != nil
	switch {
	case status == http.StatusTooManyRequests:
		// A rate limit, whoever answers it (DingTalk's gateway or a proxy):
		// sending again at once only prolongs it.
		return &Error{Class: ClassRateLimited, HTTPStatus: status, Msg: snippet(raw, red)}
	case status >= 500:
		return &Error{Class: ClassServer, HTTPStatus: status, Msg: snippet(raw, red)}
	case status < 200 || status > 299:
		if parsed && *a.ErrCode != 0 {
			return &Error{Code: *a.ErrCode, Msg: red.Cut(a.ErrMsg, maxErrorText), HTTPStatus: status, Class: Classify(*a.ErrCode)}
		}
		return &Error{Class: ClassBadRequest, HTTPStatus: status, Msg: snippet(raw, red)}
	case !parsed:
		return &Error{Class: ClassUnknown, HTTPStatus: status, Msg: "answer is not DingTalk JSON: " + snippet(raw, red)}
	case *a.ErrCode != 0:
		return &Error{Code: *a.ErrCode, Msg: red.Cut(a.ErrMsg, maxErrorText), HTTPStatus: status, Class: Classify(*a.ErrCode)}
	}
	return nil
}

// maxSnippet and maxErrorText bound what an answer or a transport error
// puts into an Error, and so into every result and log line that shows it.
const (
	maxSnippet   = 120
	maxErrorText = 300
)

// snippet quotes the start of an unexpected answer for the error message:
// the whole answer redacted first, then cut.
func snippet(raw []byte, red *secret.Redactor) string {
	return fmt.Sprintf("%q", red.Cut(string(raw), maxSnippet))
}

// newRedactor knows the secret parts of one request: the webhook and its
// access_token, the signed URL's query (token, timestamp, sign) and the
// signing secret. The transport's *url.Error carries the full signed URL;
// wrap rewrites it, and as a second line of defence every known secret
// spelling is redacted from whatever text ends up in an Error (answers may
// echo the URL).
func newRedactor(webhook, secretKey, signed string) *secret.Redactor {
	r := secret.NewRedactor(secretKey)
	r.AddURL(signed)
	r.AddURL(webhook)
	return r
}

// wrap redacts err in place where it holds a URL and returns an error whose
// text is redacted but which still unwraps to the original chain, so
// errors.Is(err, context.DeadlineExceeded) and friends keep working.
func wrap(r *secret.Redactor, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactURL(ue.URL)
	}
	return &redacted{msg: r.Cut(err.Error(), maxErrorText), err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// redactURL keeps scheme, host and path (useful in an error) and replaces the
// query, which holds access_token, timestamp and sign.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<webhook>"
	}
	if u.RawQuery == "" && u.User == nil {
		return s
	}
	out := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		out += "?access_token=<secret>"
	}
	return out
}
