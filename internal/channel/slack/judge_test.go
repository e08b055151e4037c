package slack_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack"
)

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		status    int
		body      string
		retry     time.Duration
		want      channel.Class // -1: delivered
		hint, msg string        // substrings of the hint and the message
	}{
		{200, "ok", 0, -1, "", ""},
		{200, "ok\n", 0, -1, "", ""},
		{200, "", 0, channel.ClassUnknown, "not Slack's", "not Slack's"},
		{200, "<html>proxy login</html>", 0, channel.ClassUnknown, "proxy", "proxy login"},
		{200, "OK", 0, channel.ClassUnknown, "not Slack's", ""},
		{400, "invalid_payload", 0, channel.ClassBadRequest, "invalid_payload", "invalid_payload"},
		{400, "no_text", 0, channel.ClassBadRequest, "no_text", "no_text"},
		{400, "invalid_blocks", 0, channel.ClassBadRequest, "bug", "invalid_blocks"},
		{403, "action_prohibited", 0, channel.ClassAuth, "admin", "action_prohibited"},
		{403, "invalid_token", 0, channel.ClassAuth, "api.slack.com/apps", "invalid_token"},
		{404, "channel_not_found", 0, channel.ClassTargetGone, "channel_not_found", "channel_not_found"},
		{404, "no_service", 0, channel.ClassTargetGone, "api.slack.com/apps", "no_service"},
		{410, "channel_is_archived", 0, channel.ClassTargetGone, "归档", "channel_is_archived"},
		{429, "rate_limited", 30 * time.Second, channel.ClassRateLimited, "Retry-After", "rate_limited"},
		{500, "internal_error", 0, channel.ClassServer, "HTTP 500", "internal_error"},
		{503, "", 7 * time.Second, channel.ClassServer, "retried", ""},
		{302, "", 0, channel.ClassUnknown, "redirect", ""},
		{408, "", 0, channel.ClassNetwork, "408", ""},
		{413, "", 0, channel.ClassTooLarge, "too large", ""},
	} {
		e := slack.Judge(tc.status, []byte(tc.body), tc.retry)
		if tc.want < 0 {
			if e != nil {
				t.Errorf("Judge(%d, %q) = %v, want delivered", tc.status, tc.body, e)
			}
			continue
		}
		if e == nil {
			t.Errorf("Judge(%d, %q) = delivered, want %v", tc.status, tc.body, tc.want)
			continue
		}
		if e.Class != tc.want || e.HTTPStatus != tc.status || e.Channel != "slack" || e.RetryAfter != tc.retry {
			t.Errorf("Judge(%d, %q) = %+v, want class %v", tc.status, tc.body, e, tc.want)
		}
		if !strings.Contains(e.Hint, tc.hint) || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("Judge(%d, %q): hint %q / msg %q, want them to hold %q / %q", tc.status, tc.body, e.Hint, e.Msg, tc.hint, tc.msg)
		}
	}
}

// FuzzJudge: any answer is judged without panicking, only 200 "ok" is a
// delivery, retryable answers are exactly 408, 429 and 5xx, every failure
// has a hint, and the message quotes at most a short piece of the answer.
func FuzzJudge(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{{200, "ok"}, {200, " ok \n"}, {400, "no_text"}, {404, "no_service"}, {410, "channel_is_archived"}, {429, "rate_limited"}, {500, "<html>"}, {200, "\xff\xfe"}} {
		f.Add(s.status, []byte(s.body), int64(0))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, retry int64) {
		if status < 100 || status > 999 {
			status = 100 + (status%900+900)%900
		}
		e := slack.Judge(status, body, time.Duration(retry))
		delivered := status == http.StatusOK && strings.TrimSpace(string(body)) == "ok"
		if (e == nil) != delivered {
			t.Fatalf("Judge(%d, %q) = %v, delivered should be %v", status, body, e, delivered)
		}
		if e == nil {
			return
		}
		wantRetry := status == 408 || status == 429 || status >= 500
		if e.Retryable() != wantRetry {
			t.Errorf("Judge(%d): class %v retryable %v, want %v", status, e.Class, e.Retryable(), wantRetry)
		}
		if e.Hint == "" {
			t.Errorf("Judge(%d, %q): no hint", status, body)
		}
		if len(e.Msg) > 600 {
			t.Errorf("Judge(%d): message of %d bytes", status, len(e.Msg))
		}
	})
}
