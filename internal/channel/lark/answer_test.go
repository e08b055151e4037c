package lark

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

func TestClassify(t *testing.T) {
	for code, want := range map[int]channel.Class{
		19021: channel.ClassAuth, 19024: channel.ClassAuth, 19022: channel.ClassAuth,
		11232: channel.ClassRateLimited, 99991400: channel.ClassRateLimited,
		9499: channel.ClassBadRequest, 19001: channel.ClassBadRequest,
		19002: channel.ClassUnknown, 0: channel.ClassUnknown,
	} {
		if got := Classify(code); got != want {
			t.Errorf("Classify(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		ok     bool
		class  channel.Class
		code   int
	}{
		{"delivered", 200, `{"code":0,"msg":"success","data":{}}`, true, 0, 0},
		{"delivered, legacy", 200, `{"StatusCode":0,"StatusMessage":"success"}`, true, 0, 0},
		{"delivered, both shapes", 200, `{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`, true, 0, 0},
		{"sign", 200, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`, false, channel.ClassAuth, 19021},
		{"sign, legacy", 200, `{"StatusCode":19021,"StatusMessage":"sign match fail"}`, false, channel.ClassAuth, 19021},
		{"keyword", 200, `{"code":19024,"msg":"Key Words Not Found"}`, false, channel.ClassAuth, 19024},
		{"ip", 200, `{"code":19022,"msg":"Ip Not Allowed"}`, false, channel.ClassAuth, 19022},
		{"too fast", 200, `{"code":11232,"msg":"frequency limited"}`, false, channel.ClassRateLimited, 11232},
		{"token", 200, `{"code":19001,"data":{},"msg":"param invalid: incoming webhook access token invalid"}`, false, channel.ClassBadRequest, 19001},
		{"bad request on 400", 400, `{"code":9499,"msg":"Bad Request"}`, false, channel.ClassBadRequest, 9499},
		{"throttled 429", 429, `{"code":99991400,"msg":"request trigger frequency limit"}`, false, channel.ClassRateLimited, 99991400},
		{"sign code on 429", 429, `{"code":19021,"msg":"x"}`, false, channel.ClassRateLimited, 19021},
		{"unknown code", 200, `{"code":19002,"msg":"param invalid"}`, false, channel.ClassUnknown, 19002},
		{"unknown code on 503", 503, `{"code":1,"msg":"x"}`, false, channel.ClassServer, 1},
		{"code 0 with legacy failure", 200, `{"code":0,"StatusCode":19024}`, false, channel.ClassAuth, 19024},
		{"no code", 200, `{"msg":"success"}`, false, channel.ClassUnknown, 0},
		{"code string", 200, `{"code":"0"}`, false, channel.ClassUnknown, 0},
		{"not JSON", 200, `ok`, false, channel.ClassUnknown, 0},
		{"500", 500, `oops`, false, channel.ClassServer, 0},
		{"502 with code 0", 502, `{"code":0}`, false, channel.ClassServer, 0},
		{"429 plain", 429, ``, false, channel.ClassRateLimited, 0},
		{"404", 404, `not found`, false, channel.ClassTargetGone, 0},
		{"302", 302, ``, false, channel.ClassBadRequest, 0},
	} {
		e := judge(channel.Answer{Status: tc.status, Body: []byte(tc.body), RetryAfter: 2 * time.Second})
		switch {
		case tc.ok && e != nil:
			t.Errorf("%s: judge = %v, want delivered", tc.name, e)
		case !tc.ok && e == nil:
			t.Errorf("%s: judge = delivered, want %v", tc.name, tc.class)
		case !tc.ok && (e.Class != tc.class || e.Code != tc.code || e.HTTPStatus != tc.status || e.RetryAfter != 2*time.Second):
			t.Errorf("%s: judge = %v (code %d), want %v code %d", tc.name, e, e.Code, tc.class, tc.code)
		}
	}
}

// FuzzJudge: the judge of Lark's answers never panics, calls an answer
// delivered only for HTTP 2xx with a code 0 and no non-zero code in the
// other shape, and gives every failure a hint.
func FuzzJudge(f *testing.F) {
	for _, s := range []string{`{"code":0,"msg":"success"}`, `{"StatusCode":0}`, `{"code":19021}`, `{"StatusCode":11232}`, `{}`, `null`, `[]`, `{"code":1e3}`, "\xff"} {
		f.Add(200, []byte(s))
	}
	f.Add(429, []byte(`{"code":99991400}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := judge(channel.Answer{Status: status, Body: body})
		if e == nil {
			if status < 200 || status > 299 {
				t.Fatalf("HTTP %d judged delivered", status)
			}
			if !strings.Contains(string(body), "0") {
				t.Fatalf("delivered without a code 0: %q", body)
			}
			return
		}
		e = finish(e, secret.NewRedactor("secret-token"))
		if e.Hint == "" || e.Channel != Name {
			t.Fatalf("failure without hint or channel: %+v", e)
		}
		_ = e.Error()
	})
}

func TestHintsPerClass(t *testing.T) {
	for c := channel.ClassUnknown; c <= channel.ClassTooLarge; c++ {
		for _, e := range []*channel.Error{{Class: c}, {Class: c, Code: 1}, {Class: c, HTTPStatus: http.StatusBadRequest}} {
			if h := hint(e); !channeltest.Bilingual(h) {
				t.Errorf("hint for %v (code %d, HTTP %d) is not Chinese then English: %q", c, e.Code, e.HTTPStatus, h)
			}
		}
	}
	for _, code := range []int{CodeSign, CodeKeyword, CodeIP, CodeParamInvalid} {
		if h := hint(&channel.Error{Code: code, Class: Classify(code)}); !strings.Contains(h, "code "+strconv.Itoa(code)) {
			t.Errorf("hint for code %d does not name it: %q", code, h)
		}
	}
}
