package dingtalk

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		code int
		want Class
	}{
		{-1, ClassBusy},
		{130101, ClassRateLimited}, {410100, ClassRateLimited}, {410101, ClassRateLimited}, {90030, ClassRateLimited},
		{300001, ClassAuth}, {300005, ClassAuth}, {310000, ClassAuth}, {400101, ClassAuth}, {320000, ClassAuth},
		{400013, ClassTargetGone}, {400102, ClassTargetGone}, {400106, ClassTargetGone}, {400103, ClassTargetGone},
		{430101, ClassContent}, {430104, ClassContent}, {430105, ClassContent},
		{40035, ClassBadRequest}, {43004, ClassBadRequest}, {43002, ClassBadRequest}, {400105, ClassBadRequest},
		{460101, ClassTooLarge}, {101002, ClassTooLarge}, {460102, ClassTooLarge},
		{0, ClassUnknown}, {12345, ClassUnknown}, {500000, ClassUnknown}, {400200, ClassUnknown},
	}
	for _, tt := range tests {
		if got := Classify(tt.code); got != tt.want {
			t.Errorf("Classify(%d) = %s, want %s", tt.code, got, tt.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	retry := map[Class]bool{ClassNetwork: true, ClassServer: true, ClassBusy: true, ClassRateLimited: true}
	for c := ClassUnknown; c <= ClassTooLarge; c++ {
		if got := (&Error{Class: c}).Retryable(); got != retry[c] {
			t.Errorf("%s Retryable = %v, want %v", c, got, retry[c])
		}
		if strings.HasPrefix(c.String(), "Class(") {
			t.Errorf("class %d has no name", int(c))
		}
	}
	var nilErr *Error
	if nilErr.Retryable() {
		t.Error("nil error is retryable")
	}
}

func TestHintFor(t *testing.T) {
	tests := []struct {
		code int
		msg  string
		want string // a phrase the hint must contain
	}{
		{310000, "sign not match", "Signature mismatch"},
		{310000, "description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中", "Signature mismatch"},
		{310000, "keywords not in content", "Keyword missing"},
		{310000, "description:关键词不匹配;solution:请联系群管理员查看此机器人的关键词", "Keyword missing"},
		{310000, "invalid timestamp", "Clock skew"},
		{310000, "Invalid TIMESTAMP 12", "Clock skew"},
		{310000, "ip 1.2.3.4 not in whitelist", "IP allow-list"},
		{310000, "description:IP地址不在白名单", "IP allow-list"},
		{310000, "description:something new", "Security check failed"},
		{300001, "token is not exist", "do not paste the whole URL"},
		{400101, "access_token does not exist", "Token not found"},
		{300005, "token is not exist", "external (cross-organization) group"},
		{400013, "", "dissolved"},
		{400102, "", "disabled"},
		{400106, "", "removed from the group"},
		{400103, "", "cannot receive messages"},
		{130101, "send too fast", "20 messages per minute"},
		{410100, "", "about 10 minutes"},
		{460101, "", "20000-byte"},
		{101002, "", "20000-byte"},
		{430101, "", "unsafe external link"},
		{430102, "", "rejected the content"},
		{40035, "", "not JSON"},
		{43004, "", "Content-Type"},
		{400105, "", "markdown"},
		{-1, "", "busy"},
		{90030, "", "quota"},
		{777777, "weird", "treated as permanent"},
	}
	hint := func(code int, msg string) string { return Hint(&Error{Code: code, Msg: msg, Class: Classify(code)}) }
	for _, tt := range tests {
		got := hint(tt.code, tt.msg)
		if !strings.Contains(got, tt.want) {
			t.Errorf("Hint of errcode %d %q = %q, want it to contain %q", tt.code, tt.msg, got, tt.want)
		}
		// Chinese first, then English.
		if i := strings.IndexFunc(got, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }); i < 0 || i > strings.Index(got, tt.want) {
			t.Errorf("Hint of errcode %d does not start with Chinese: %q", tt.code, got)
		}
	}
	if hint(0, "ok") != "" {
		t.Error("errcode 0 has a hint")
	}
}

// TestTestHints: a person testing a robot (Reader.Test) gets advice naming the request's fields,
// chosen by what the send carried; causes without a test wording fall back to the notifier's.
func TestTestHints(t *testing.T) {
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	code := func(c int, msg string) *Error { return &Error{Code: c, Msg: msg, Class: Classify(c)} }
	tests := []struct {
		name string
		e    *Error
		r    Reader
		want string
	}{
		{"token", code(300001, "token is not exist"), Reader{Test: true}, "copy the whole Webhook URL"},
		{"external", code(300005, ""), Reader{Test: true}, "external (cross-organization) group"},
		{"sign missing", code(310000, "sign not match"), Reader{Test: true}, "the test carried no secret"},
		{"sign wrong", code(310000, "sign not match"), Reader{Test: true, Signed: true}, "the secret differs"},
		{"keyword missing", code(310000, "keywords not in content"), Reader{Test: true}, `Add "keyword"`},
		{"keyword wrong", code(310000, "keywords not in content"), Reader{Test: true, Keyword: true}, "carried a keyword, which is not one"},
		{"timestamp", code(310000, "invalid timestamp"), Reader{Test: true, Clock: clock}, "which reads 2026-01-02T03:04:05Z UTC"},
		{"timestamp without clock", code(310000, "invalid timestamp"), Reader{Test: true}, "Clock skew"},
		{"ip", code(310000, "ip not in whitelist"), Reader{Test: true}, "NAT gateway"},
		{"security", code(310000, "something new"), Reader{Test: true}, "Security check failed"},
		{"rate", code(130101, "send too fast"), Reader{Test: true}, "Test again in 10 minutes"},
		{"rate family", code(410105, ""), Reader{Test: true}, "Test again in 10 minutes"},
		{"too large", code(460101, ""), Reader{Test: true}, `shorten "message"`},
		{"removed", code(400106, ""), Reader{Test: true}, "removed from the group"},
		{"timeout", &Error{Class: ClassNetwork, Err: context.DeadlineExceeded}, Reader{Test: true}, "Timed out"},
		{"refused", &Error{Class: ClassNetwork, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, Reader{Test: true}, "Could not reach DingTalk (refused)"},
		{"server", &Error{Class: ClassServer, HTTPStatus: 502}, Reader{Test: true}, "HTTP 502: a problem at DingTalk"},
		{"not dingtalk", &Error{Class: ClassUnknown, HTTPStatus: 200}, Reader{Test: true}, "a proxy answered for DingTalk"},
		{"notifier sign", code(310000, "sign not match"), Reader{}, "check the 加签 secret"},
		{"notifier rate", code(130101, ""), Reader{}, "group notifications into digests"},
	}
	for _, tt := range tests {
		got := HintFor(tt.e, tt.r)
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s: HintFor = %q, want it to contain %q", tt.name, got, tt.want)
		}
		if i := strings.IndexFunc(got, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }); i < 0 || i > strings.Index(got, tt.want) {
			t.Errorf("%s: hint does not start with Chinese: %q", tt.name, got)
		}
	}
	var nilErr *Error
	if HintFor(nilErr, Reader{Test: true}) != "" {
		t.Error("nil error has a hint")
	}
}

func TestSecurityCause(t *testing.T) {
	tests := map[string]string{
		"keywords not in content": "keyword",
		"description:关键词不匹配":      "keyword",
		"sign not match":          "sign",
		"description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中": "sign",
		"invalid timestamp":           "timestamp",
		"description:时间戳无效":           "timestamp",
		"ip 1.2.3.4 not in whitelist": "ip",
		"description:IP地址不在白名单":       "ip",
		"description of something":    "",
		"security check failed":       "",
	}
	for msg, want := range tests {
		if got := securityCause(msg); got != want {
			t.Errorf("securityCause(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestNetworkKind(t *testing.T) {
	wrapURL := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://x/robot/send?access_token=t", Err: err}
	}
	tests := []struct {
		err  error
		want string
		hint string
	}{
		{wrapURL(&net.DNSError{Err: "no such host", Name: "oapi.dingtalk.com", IsNotFound: true}), "dns", "DNS lookup failed"},
		{wrapURL(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), "refused", "refused"},
		{wrapURL(context.DeadlineExceeded), "timeout", "timed out"},
		{wrapURL(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), "reset", "reset"},
		{wrapURL(x509.UnknownAuthorityError{}), "tls", "TLS failed"},
		{wrapURL(errors.New("boom")), "network", "Network failure"},
	}
	for _, tt := range tests {
		if got := NetworkKind(tt.err); got != tt.want {
			t.Errorf("NetworkKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
		e := &Error{Class: ClassNetwork, Err: tt.err}
		if h := Hint(e); !strings.Contains(h, tt.hint) {
			t.Errorf("Hint for %s = %q, want %q", tt.want, h, tt.hint)
		}
	}
}

func TestIsTargetGone(t *testing.T) {
	gone := &Error{Code: 400102, Class: ClassTargetGone}
	if !IsTargetGone(fmt.Errorf("rule x: %w", gone)) {
		t.Error("wrapped target-gone error not recognised")
	}
	if IsTargetGone(&Error{Code: 310000, Class: ClassAuth}) || IsTargetGone(errors.New("x")) || IsTargetGone(nil) {
		t.Error("IsTargetGone true for another error")
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Channel: Name, Code: 310000, Msg: "sign not match", HTTPStatus: 200, Class: ClassAuth}
	if got, want := e.Error(), "dingtalk: auth (permanent): code 310000: sign not match"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &Error{Channel: Name, HTTPStatus: 502, Class: ClassServer, Msg: `"bad gateway"`}
	if got, want := e.Error(), `dingtalk: server (retryable): HTTP 502: "bad gateway"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := fmt.Sprintf("%#v", e); !strings.HasPrefix(got, `&channel.Error{Channel:"dingtalk", Class:server, Code:0`) {
		t.Errorf("%%#v = %s", got)
	}
}
