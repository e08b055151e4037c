package webhook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook"
)

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		retry  time.Duration
		want   channel.Class // -1: delivered
		hint   string
	}{
		{200, "", 0, -1, ""},
		{202, "queued", 0, -1, ""},
		{204, "", 0, -1, ""},
		{299, "", 0, -1, ""},
		{410, "endpoint disabled", 0, channel.ClassTargetGone, "410 Gone"},
		{404, "", 0, channel.ClassTargetGone, "path"},
		{429, "slow down", 30 * time.Second, channel.ClassRateLimited, "Retry-After"},
		{500, "boom", 0, channel.ClassServer, "HTTP 500"},
		{502, "", 0, channel.ClassServer, "HTTP 502"},
		{503, "", 9 * time.Second, channel.ClassServer, "retried"},
		{504, "", 0, channel.ClassServer, "retried"},
		{401, "bad signature", 0, channel.ClassAuth, "whsec_"},
		{403, "", 0, channel.ClassAuth, "5 minutes"},
		{400, "bad json", 0, channel.ClassBadRequest, "pai.task.state"},
		{422, "", 0, channel.ClassBadRequest, "pai.task.state"},
		{413, "", 0, channel.ClassTooLarge, "too large"},
		{408, "", 0, channel.ClassNetwork, "408"},
		{301, "", 0, channel.ClassUnknown, "redirect"},
		{308, "", 0, channel.ClassUnknown, "final address"},
	} {
		e := webhook.Judge(tc.status, []byte(tc.body), tc.retry)
		if tc.want < 0 {
			if e != nil {
				t.Errorf("Judge(%d) = %v, want delivered", tc.status, e)
			}
			continue
		}
		if e == nil {
			t.Errorf("Judge(%d) = delivered, want %v", tc.status, tc.want)
			continue
		}
		if e.Class != tc.want || e.HTTPStatus != tc.status || e.RetryAfter != tc.retry || e.Channel != "webhook" {
			t.Errorf("Judge(%d) = %+v, want class %v, retry after %v", tc.status, e, tc.want, tc.retry)
		}
		if !strings.Contains(e.Hint, tc.hint) || (tc.body != "" && !strings.Contains(e.Msg, tc.body)) {
			t.Errorf("Judge(%d): hint %q, msg %q; want %q and the answer quoted", tc.status, e.Hint, e.Msg, tc.hint)
		}
	}
}

// FuzzJudge: any answer is judged without panicking; 2xx and only 2xx is
// a delivery; 408, 429 and 5xx are retryable and nothing else; 410 is
// target-gone; every failure has a hint; the answer is quoted briefly.
func FuzzJudge(f *testing.F) {
	for _, s := range []int{200, 204, 301, 400, 401, 404, 410, 429, 500, 503} {
		f.Add(s, []byte("answer"), int64(time.Second))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, retry int64) {
		if status < 100 || status > 999 {
			status = 100 + (status%900+900)%900
		}
		e := webhook.Judge(status, body, time.Duration(retry))
		if (e == nil) != (status >= 200 && status <= 299) {
			t.Fatalf("Judge(%d) = %v", status, e)
		}
		if e == nil {
			return
		}
		if want := status == 408 || status == 429 || status >= 500; e.Retryable() != want {
			t.Errorf("Judge(%d): %v retryable %v, want %v", status, e.Class, e.Retryable(), want)
		}
		if status == 410 && e.Class != channel.ClassTargetGone {
			t.Errorf("Judge(410) = %v", e.Class)
		}
		if e.Hint == "" || len(e.Msg) > 600 {
			t.Errorf("Judge(%d): hint %q, message of %d bytes", status, e.Hint, len(e.Msg))
		}
	})
}
