package channel

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxAnswerBytes bounds how much of a service's answer is read: every
// service answers in a few hundred bytes, and a proxy's error page is not
// worth more.
const MaxAnswerBytes = 64 << 10

// Answer is what a service said to one request.
type Answer struct {
	Status     int
	Body       []byte        // at most MaxAnswerBytes
	RetryAfter time.Duration // from a Retry-After header in seconds or as an HTTP date; 0 when absent
}

// Post sends body as JSON to rawURL with the extra header fields and reads
// the answer. It fails only when no HTTP answer came; that failure is an
// *Error of ClassNetwork whose text never holds the URL (which carries the
// credential of most webhooks). Judging the answer is the caller's job.
func Post(ctx context.Context, hc *http.Client, rawURL string, header http.Header, body []byte, now time.Time) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Answer{}, &Error{Class: ClassBadRequest, Msg: "cannot build the request: the webhook is not a valid URL"}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "pai-notifier")
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, &Error{Class: ClassNetwork, Msg: NetworkKind(err), Err: withoutURL(err)}
	}
	defer func() {
		// Drain what is left (bounded) so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxAnswerBytes))
		_ = resp.Body.Close()
	}()
	a := Answer{Status: resp.StatusCode, RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), now)}
	a.Body, err = io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	if err != nil {
		return a, &Error{Class: ClassNetwork, HTTPStatus: resp.StatusCode, Msg: "reading the answer: " + NetworkKind(err), Err: withoutURL(err)}
	}
	return a, nil
}

// withoutURL drops the *url.Error layer, whose text is "Post <url>: ...":
// the rest (dial, TLS, timeout) names at most a host and port.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// NetworkKind names a transport failure in a few words for logs and hints.
func NetworkKind(err error) string {
	var ne interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "no answer"
}

// RetryAfter reads a Retry-After header value: delay-seconds or an HTTP
// date (RFC 9110 §10.2.3). Anything else, or a time in the past, is 0.
func RetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// ClassifyHTTP is the class an HTTP status says on its own, for services
// whose answers carry no code of their own (or before their code is read):
// 2xx is not a failure and gives ClassUnknown.
func ClassifyHTTP(status int) Class {
	switch {
	case status == http.StatusTooManyRequests:
		return ClassRateLimited
	case status == http.StatusRequestTimeout:
		return ClassNetwork
	case status >= 500:
		return ClassServer
	case status == http.StatusGone || status == http.StatusNotFound:
		return ClassTargetGone
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ClassAuth
	case status == http.StatusRequestEntityTooLarge:
		return ClassTooLarge
	case status >= 400:
		return ClassBadRequest
	}
	return ClassUnknown
}
