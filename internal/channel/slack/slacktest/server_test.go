package slacktest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/slack/slacktest"

	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
	"github.com/pai-notifier/pai-notifier/internal/golden"
)

func section(text string) map[string]any {
	return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}
}

func body(text any, blocks ...map[string]any) []byte {
	m := map[string]any{}
	if text != nil {
		m["text"] = text
	}
	if blocks != nil {
		m["blocks"] = blocks
	}
	b, _ := json.Marshal(m)
	return b
}

func TestParse(t *testing.T) {
	many := make([]map[string]any, 51)
	for i := range many {
		many[i] = section("x")
	}
	elements := make([]map[string]any, 11)
	for i := range elements {
		elements[i] = map[string]any{"type": "mrkdwn", "text": "e"}
	}
	for _, tc := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"not JSON", []byte("payload=x"), slacktest.CodeInvalid},
		{"no text, no blocks", []byte(`{}`), slacktest.CodeNoText},
		{"blocks without text", body(nil, section("hi")), slacktest.CodeNoText},
		{"blank text", body("  ", section("hi")), slacktest.CodeNoText},
		{"text only", body("hello"), ""},
		{"50 blocks", body("t", many[:50]...), ""},
		{"51 blocks", body("t", many...), slacktest.CodeInvalidBlocks},
		{"section of 3000", body("t", section(strings.Repeat("é", 3000))), ""},
		{"section of 3001", body("t", section(strings.Repeat("é", 3001))), slacktest.CodeInvalidBlocks},
		{"empty section", body("t", section("")), slacktest.CodeInvalidBlocks},
		{"header of 150", body("t", map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": strings.Repeat("h", 150)}}), ""},
		{"header of 151", body("t", map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": strings.Repeat("h", 151)}}), slacktest.CodeInvalidBlocks},
		{"mrkdwn header", body("t", map[string]any{"type": "header", "text": map[string]any{"type": "mrkdwn", "text": "h"}}), slacktest.CodeInvalidBlocks},
		{"context of 11", body("t", map[string]any{"type": "context", "elements": elements}), slacktest.CodeInvalidBlocks},
		{"unknown block", body("t", map[string]any{"type": "carousel"}), slacktest.CodeInvalidBlocks},
		{"text of wrong type", []byte(`{"text":5}`), slacktest.CodeInvalid},
	} {
		_, code := slacktest.Parse(tc.raw)
		if code != tc.want {
			t.Errorf("%s: Parse = %q, want %q", tc.name, code, tc.want)
		}
	}
}

func TestParseMarkup(t *testing.T) {
	raw := body("fallback <@U1> &lt;@U2&gt;",
		section("*job:* a &amp; b &lt;!channel&gt; <https://x.example/?a=1&amp;b=2|console> <!here> <#C1>"))
	m, code := slacktest.Parse(raw)
	if code != "" {
		t.Fatal(code)
	}
	if fmt.Sprint(m.Mentions) != "[U1]" || fmt.Sprint(m.Broadcasts) != "[here]" {
		t.Errorf("mentions %v, broadcasts %v", m.Mentions, m.Broadcasts)
	}
	if len(m.Links) != 1 || m.Links[0] != (slacktest.Link{URL: "https://x.example/?a=1&b=2", Label: "console"}) {
		t.Errorf("links %v", m.Links)
	}
}

// TestRenderGolden: go test -run TestRenderGolden -update rewrites it.
func TestRenderGolden(t *testing.T) {
	raw := body("[PAI] 任务失败 <@U024BE7LH> <!channel>",
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": ":x: 任务失败 a &amp; b", "emoji": true}},
		section("<@U024BE7LH> <!channel>"),
		section("*任务:* train &lt;!channel&gt;\n*原因:* OOM"),
		section("<https://pai.example/jobs/1?a=1&amp;b=2|在控制台查看>"),
		map[string]any{"type": "divider"},
		map[string]any{"type": "context", "elements": []map[string]any{{"type": "mrkdwn", "text": "… +3"}}},
	)
	m, code := slacktest.Parse(raw)
	if code != "" {
		t.Fatal(code)
	}
	golden.Check(t, "render", []byte(slacktest.Render(m)))
}

type answer struct {
	status int
	body   string
	retry  string
}

func post(t *testing.T, url, contentType string, raw []byte) answer {
	t.Helper()
	rep := channeltest.Request(t, http.MethodPost, url, contentType, raw, nil)
	return answer{rep.Status, rep.Body, rep.RetryAfter}
}

func TestServerAnswers(t *testing.T) {
	srv := slacktest.New()
	defer srv.Close()
	ok := srv.AddHook("T1/B1/good")
	good := body("hi", section("hello"))
	for _, tc := range []struct {
		name, url, ct string
		raw           []byte
		want          answer
	}{
		{"delivered", ok, "application/json", good, answer{200, "ok", ""}},
		{"unknown token", srv.URL() + "/services/T1/B1/other", "application/json", good, answer{404, "no_service", ""}},
		{"outside /services/", srv.URL() + "/T1/B1/good", "application/json", good, answer{404, "no_service", ""}},
		{"form body", ok, "application/x-www-form-urlencoded", []byte("payload=" + string(good)), answer{400, "invalid_payload", ""}},
		{"no text", ok, "application/json", body(nil, section("x")), answer{400, "no_text", ""}},
		{"archived", srv.AddHook("T1/B2/arch", slacktest.Archived()), "application/json", good, answer{410, "channel_is_archived", ""}},
		{"channel gone", srv.AddHook("T1/B3/gone", slacktest.ChannelNotFound()), "application/json", good, answer{404, "channel_not_found", ""}},
		{"prohibited", srv.AddHook("T1/B4/no", slacktest.Prohibited()), "application/json", good, answer{403, "action_prohibited", ""}},
	} {
		if got := post(t, tc.url, tc.ct, tc.raw); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want 1", n)
	}
	if n := len(srv.Requests()); n != 8 {
		t.Errorf("%d requests recorded, want 8", n)
	}
}

func TestRateLimit(t *testing.T) {
	c := channeltest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	srv := slacktest.New(slacktest.WithClock(c.Now), slacktest.WithRate(2*time.Second, 3))
	defer srv.Close()
	url := srv.AddHook("T/B/x")
	other := srv.AddHook("T/B/y")
	msg := body("hi")
	for i := range 3 {
		if a := post(t, url, "application/json", msg); a.status != 200 {
			t.Fatalf("burst message %d: %+v", i, a)
		}
	}
	if a := post(t, url, "application/json", msg); a != (answer{429, "rate_limited", "2"}) {
		t.Errorf("over the burst: %+v, want 429 with Retry-After 2", a)
	}
	if a := post(t, other, "application/json", msg); a.status != 200 {
		t.Errorf("another webhook has its own budget: %+v", a)
	}
	c.Add(1500 * time.Millisecond) // 0.75 of a message earned: 0.5 s left, rounded up
	if a := post(t, url, "application/json", msg); a != (answer{429, "rate_limited", "1"}) {
		t.Errorf("after 1.5 s: %+v, want 429 with Retry-After 1", a)
	}
	c.Add(500 * time.Millisecond)
	if a := post(t, url, "application/json", msg); a.status != 200 {
		t.Errorf("after 2 s: %+v, want one more accepted", a)
	}
	if a := post(t, url, "application/json", msg); a.status != 429 {
		t.Errorf("then: %+v, want 429 again", a)
	}
	c.Add(time.Hour) // a long pause refills only the burst
	for i := range 4 {
		a := post(t, url, "application/json", msg)
		if want := 200 + 229*btoi(i == 3); a.status != want {
			t.Errorf("after an hour, message %d: %+v, want %d", i, a, want)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestFaults(t *testing.T) {
	srv := slacktest.New()
	defer srv.Close()
	url := srv.AddHook("T/B/f")
	msg := body("hi")
	srv.Fault("T/B/other", 1, slacktest.StatusFault(500, "never", "")) // another webhook's
	srv.Fault("T/B/f", 2, slacktest.StatusFault(503, "service_unavailable", "9"))
	srv.Fault("", 1, slacktest.BodyFault("<html>"))
	for i, want := range []answer{{503, "service_unavailable", "9"}, {503, "service_unavailable", "9"}, {200, "<html>", ""}, {200, "ok", ""}} {
		if a := post(t, url, "application/json", msg); a != want {
			t.Errorf("request %d: %+v, want %+v", i, a, want)
		}
	}
	if len(srv.Messages()) != 1 {
		t.Errorf("faults must not record messages: %d", len(srv.Messages()))
	}
}

func TestHangReleasedByClient(t *testing.T) {
	srv := slacktest.New()
	defer srv.Close()
	url := srv.AddHook("T/B/h")
	srv.Fault("", 1, slacktest.HangFault())
	channeltest.AssertHangUntilDeadline(t, url, "application/json", body("hi"))
	if a := post(t, url, "application/json", body("hi")); a.status != 200 {
		t.Errorf("after the hang: %+v", a)
	}
	if r := srv.Requests(); r[0].HTTPStatus != 0 || r[0].Fault != "hang" {
		t.Errorf("hang recorded as %+v", r[0])
	}
}

func TestCloseReleasesHang(t *testing.T) {
	srv := slacktest.New(slacktest.WithMaxHang(time.Hour))
	url := srv.AddHook("T/B/h")
	srv.Fault("", 1, slacktest.HangFault())
	channeltest.AssertCloseReleases(t, srv.Close, url, "application/json", body("hi"), func() bool { return len(srv.Requests()) > 0 })
}

// FuzzParse: the fake reads any body without panicking, and what it
// accepts keeps Slack's limits.
func FuzzParse(f *testing.F) {
	f.Add(body("hi", section("<@U1> &amp; <https://x|y>")))
	f.Add([]byte(`{"text":"t","blocks":[{"type":"context","elements":[null]}]}`))
	f.Add([]byte(`{"text":"t","blocks":[{"type":"section","fields":[{"type":"mrkdwn","text":"a"}]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, code := slacktest.Parse(raw)
		if code != "" {
			return
		}
		if m.Text == "" || len(m.Blocks) > slacktest.MaxBlocks {
			t.Errorf("accepted %q", raw)
		}
		_ = slacktest.Render(m)
	})
}
