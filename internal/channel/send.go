package channel

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Sender is what every channel sends through: an HTTP client that does not
// follow redirects and a clock. Channels embed it and build it with
// NewSender, so that one set of Options configures them all.
type Sender struct {
	hc  *http.Client
	now func() time.Time
}

// Option configures a channel's Sender.
type Option func(*Sender)

// WithHTTPClient sends through hc (tests, proxies). Its redirect policy and
// timeouts are the caller's. A nil hc is ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *Sender) {
		if hc != nil {
			s.hc = hc
		}
	}
}

// WithClock sets the clock of signatures' timestamps and of Retry-After
// dates. A nil now is ignored.
func WithClock(now func() time.Time) Option {
	return func(s *Sender) {
		if now != nil {
			s.now = now
		}
	}
}

// NewSender returns a Sender whose default client never follows redirects
// (a redirect would turn the POST into a GET and carry the webhook's
// credential elsewhere) and, when headerTimeout > 0, waits at most that
// long for an answer's headers; the caller's context bounds the rest.
func NewSender(headerTimeout time.Duration, opts ...Option) Sender {
	s := Sender{hc: newClient(headerTimeout), now: time.Now}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// WithHeaderTimeout replaces the channel's default client by NewSender's
// with headerTimeout (d > 0; otherwise the option changes nothing).
func WithHeaderTimeout(d time.Duration) Option {
	return func(s *Sender) {
		if d > 0 {
			s.hc = newClient(d)
		}
	}
}

func newClient(headerTimeout time.Duration) *http.Client {
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if headerTimeout > 0 {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = headerTimeout
		hc.Transport = tr
	}
	return hc
}

// Now is the Sender's clock.
func (s Sender) Now() time.Time { return s.now() }

// Exchange posts body to hook with the extra header fields and judges the
// answer with judge, keeping red's secrets out of the result: nil when
// delivered, else an *Error whose Msg and Err are redacted. Naming the
// channel and the hint is the caller's (see Finish).
func (s Sender) Exchange(ctx context.Context, hook string, header http.Header, body []byte, red *secret.Redactor, judge func(Answer) *Error) *Error {
	a, err := Post(ctx, s.hc, hook, header, body, s.now())
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Class: ClassNetwork, Msg: NetworkKind(err), Err: err}
		}
		return e.Redact(red)
	}
	return JudgeRedacted(a, red, judge)
}

// JudgeRedacted is judge with red's secrets taken out: the answer is
// redacted WHOLE before it is parsed or quoted, since a quote cut in the
// middle of an echoed credential leaves a piece no redaction finds; the
// failure's texts are redacted again after.
func JudgeRedacted(a Answer, red *secret.Redactor, judge func(Answer) *Error) *Error {
	a.Body = []byte(red.Redact(string(a.Body)))
	if e := judge(a); e != nil {
		return e.Redact(red)
	}
	return nil
}

// Redact takes red's secrets out of e's Msg and Err and returns e. A
// redacted Err still unwraps to the original, so errors.Is(err,
// context.DeadlineExceeded) keeps working.
func (e *Error) Redact(red *secret.Redactor) *Error {
	e.Msg = red.Redact(e.Msg)
	if e.Err != nil {
		if s := e.Err.Error(); red.Redact(s) != s {
			e.Err = &redactedError{msg: red.Redact(s), err: e.Err}
		}
	}
	return e
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Finish completes a failure the way every channel does: it redacts e
// (Redact), then cuts Msg to maxMsg bytes on a rune boundary when maxMsg >
// 0 (redacting first: a cut cannot leave half a secret), names the channel
// and, when e has no hint yet, asks hint for one.
func Finish(e *Error, name string, red *secret.Redactor, maxMsg int, hint func(*Error) string) *Error {
	e.Redact(red)
	if maxMsg > 0 {
		e.Msg = Cut(e.Msg, maxMsg)
	}
	e.Channel = name
	if e.Hint == "" {
		e.Hint = hint(e)
	}
	return e
}

// HTTPURL parses raw and reports whether it is an http or https URL with a
// host: the only links a message carries and the only webhooks a channel
// posts to (no javascript:, file: or slack:// links).
func HTTPURL(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, false
	}
	return u, true
}
