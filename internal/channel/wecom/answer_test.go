package wecom

import (
	"net/http"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

func TestClassify(t *testing.T) {
	for code, want := range map[int]channel.Class{
		-1: channel.ClassBusy, 45009: channel.ClassRateLimited, 93000: channel.ClassAuth,
		40008: channel.ClassBadRequest, 44004: channel.ClassBadRequest, 43002: channel.ClassBadRequest,
		47001: channel.ClassBadRequest, 45002: channel.ClassTooLarge, 12345: channel.ClassUnknown,
		0: channel.ClassUnknown,
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
		{"delivered", 200, `{"errcode":0,"errmsg":"ok"}`, true, 0, 0},
		{"delivered, no errmsg", 200, `{"errcode":0}`, true, 0, 0},
		{"errcode on 200", 200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, false, channel.ClassAuth, 93000},
		{"busy", 200, `{"errcode":-1,"errmsg":"system busy"}`, false, channel.ClassBusy, -1},
		{"no errcode", 200, `{"errmsg":"ok"}`, false, channel.ClassUnknown, 0},
		{"errcode null", 200, `{"errcode":null}`, false, channel.ClassUnknown, 0},
		{"errcode string", 200, `{"errcode":"0"}`, false, channel.ClassUnknown, 0},
		{"not JSON", 200, `ok`, false, channel.ClassUnknown, 0},
		{"empty", 204, ``, false, channel.ClassUnknown, 0},
		{"500", 500, `oops`, false, channel.ClassServer, 0},
		{"502 with JSON", 502, `{"errcode":0}`, false, channel.ClassServer, 0},
		{"429", 429, ``, false, channel.ClassRateLimited, 0},
		{"404", 404, `not found`, false, channel.ClassTargetGone, 0},
		{"403", 403, ``, false, channel.ClassAuth, 0},
		{"400 with errcode", 400, `{"errcode":40008,"errmsg":"invalid message type"}`, false, channel.ClassBadRequest, 40008},
		{"302", 302, ``, false, channel.ClassBadRequest, 0},
	} {
		e := judge(channel.Answer{Status: tc.status, Body: []byte(tc.body), RetryAfter: 3 * time.Second})
		switch {
		case tc.ok && e != nil:
			t.Errorf("%s: judge = %v, want delivered", tc.name, e)
		case !tc.ok && e == nil:
			t.Errorf("%s: judge = delivered, want %v", tc.name, tc.class)
		case !tc.ok && (e.Class != tc.class || e.Code != tc.code || e.HTTPStatus != tc.status || e.RetryAfter != 3*time.Second):
			t.Errorf("%s: judge = %v (code %d), want %v code %d", tc.name, e, e.Code, tc.class, tc.code)
		}
	}
}

// FuzzJudge: the judge of WeCom's answers never panics, calls an answer
// delivered only for HTTP 2xx with errcode 0, and gives every failure a hint.
func FuzzJudge(f *testing.F) {
	for _, s := range []string{`{"errcode":0,"errmsg":"ok"}`, `{"errcode":45009}`, `{"errcode":-1}`, `{}`, `null`, `[]`, `{"errcode":1e3}`, "\xff"} {
		f.Add(200, []byte(s))
	}
	f.Add(500, []byte(`{"errcode":0}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := judge(channel.Answer{Status: status, Body: body})
		if e == nil {
			if status < 200 || status > 299 {
				t.Fatalf("HTTP %d judged delivered", status)
			}
			return
		}
		if e.Class == 0 && e.Code == 0 && status >= 200 && status <= 299 && len(body) == 0 {
			return // empty 2xx: unknown, fine
		}
		e = finish(e, secret.NewRedactor("secret-key"))
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
}
