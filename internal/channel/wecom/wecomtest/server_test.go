package wecomtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

type result struct {
	status  int
	code    int
	msg     string
	retryAf string
}

func post(t *testing.T, method, u, body string) result {
	t.Helper()
	rep := channeltest.Request(t, method, u, "application/json", []byte(body), nil)
	r := result{status: rep.Status, retryAf: rep.RetryAfter, msg: rep.Body}
	var a struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if json.Unmarshal([]byte(rep.Body), &a) == nil {
		r.code, r.msg = a.ErrCode, a.ErrMsg
	}
	return r
}

func md(content string) string {
	b, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}})
	return string(b)
}

func text(content string) string {
	b, _ := json.Marshal(map[string]any{"msgtype": "text", "text": map[string]any{"content": content, "mentioned_mobile_list": []string{"13800000000"}}})
	return string(b)
}

func TestChecks(t *testing.T) {
	s := New()
	defer s.Close()
	hook := s.AddRobot("k1")
	for _, tc := range []struct {
		name, method, url, body string
		status, code            int
	}{
		{"markdown", "POST", hook, md("**hi**"), 200, CodeOK},
		{"markdown at the limit", "POST", hook, md(strings.Repeat("中", MaxMarkdownBytes/3)), 200, CodeOK},
		{"markdown over the limit", "POST", hook, md(strings.Repeat("a", MaxMarkdownBytes+1)), 200, CodeTooLong},
		{"text at the limit", "POST", hook, text(strings.Repeat("a", MaxTextBytes)), 200, CodeOK},
		{"text over the limit", "POST", hook, text(strings.Repeat("a", MaxTextBytes+1)), 200, CodeTooLong},
		{"GET", "GET", hook, "", 200, CodeNeedPOST},
		{"no key", "POST", s.URL() + Path, md("x"), 200, CodeBadKey},
		{"unknown key", "POST", s.URL() + Path + "?key=k2", md("x"), 200, CodeBadKey},
		{"not JSON", "POST", hook, "msgtype=markdown", 200, CodeBadJSON},
		{"no msgtype", "POST", hook, `{"markdown":{"content":"x"}}`, 200, CodeBadMsgType},
		{"bad msgtype", "POST", hook, `{"msgtype":"actionCard","markdown":{"content":"x"}}`, 200, CodeBadMsgType},
		{"empty content", "POST", hook, md(""), 200, CodeEmptyContent},
		{"missing part", "POST", hook, `{"msgtype":"text"}`, 200, CodeEmptyContent},
		{"other valid type", "POST", hook, `{"msgtype":"news","news":{"articles":[]}}`, 200, CodeOK},
	} {
		r := post(t, tc.method, tc.url, tc.body)
		if r.status != tc.status || r.code != tc.code {
			t.Errorf("%s: HTTP %d errcode %d (%s), want HTTP %d errcode %d", tc.name, r.status, r.code, r.msg, tc.status, tc.code)
		}
	}
	if r := post(t, "POST", s.URL()+"/robot/send?key=k1", md("x")); r.status != 404 {
		t.Errorf("wrong path: HTTP %d, want 404", r.status)
	}
	if got := len(s.Messages()); got != 4 {
		t.Errorf("recorded %d messages, want the 4 accepted", got)
	}
	if m := s.Messages()[2]; m.MsgType != "text" || len(m.MentionedMobileList) != 1 || m.Key != "k1" {
		t.Errorf("text message recorded as %+v", m)
	}
	if got := s.Count(CodeBadKey); got != 2 {
		t.Errorf("Count(93000) = %d, want 2", got)
	}
}

func TestRateLimit(t *testing.T) {
	clk := channeltest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	s := New(WithClock(clk.Now))
	defer s.Close()
	a, b := s.AddRobot("a"), s.AddRobot("b")
	for i := range DefaultLimit {
		if r := post(t, "POST", a, md("x")); r.code != CodeOK {
			t.Fatalf("send %d: errcode %d", i+1, r.code)
		}
		clk.Add(time.Second)
	}
	if r := post(t, "POST", a, md("x")); r.code != CodeTooFast {
		t.Fatalf("21st send in a minute: errcode %d, want %d", r.code, CodeTooFast)
	}
	if r := post(t, "POST", b, md("x")); r.code != CodeOK {
		t.Fatalf("another robot is limited too: errcode %d", r.code)
	}
	clk.Add(40 * time.Second) // the first send is now a minute old
	if r := post(t, "POST", a, md("x")); r.code != CodeOK {
		t.Fatalf("after the first send left the window: errcode %d", r.code)
	}
	if r := post(t, "POST", a, md("x")); r.code != CodeTooFast {
		t.Fatalf("the window holds 20 again: errcode %d, want %d", r.code, CodeTooFast)
	}
}

func TestFaults(t *testing.T) {
	s := New(WithMaxHang(10 * time.Second))
	defer s.Close()
	hook := s.AddRobot("k")
	s.Fault("k", 1, StatusFault(503).WithRetryAfter("9"))
	s.Fault("", 1, ErrcodeFault(-1, "system busy"))
	s.Fault("other", 1, BodyFault("never used for k"))
	s.Fault("k", 1, BodyFault("<html>"))
	if r := post(t, "POST", hook, md("x")); r.status != 503 || r.retryAf != "9" {
		t.Errorf("status fault: %+v", r)
	}
	if r := post(t, "POST", hook, md("x")); r.code != -1 {
		t.Errorf("errcode fault: %+v", r)
	}
	if r := post(t, "POST", hook, md("x")); r.status != 200 || r.msg != "<html>" {
		t.Errorf("body fault: %+v", r)
	}
	if r := post(t, "POST", hook, md("x")); r.code != CodeOK {
		t.Errorf("after the faults: %+v", r)
	}
	// A hang holds the request until the client gives up.
	s.Fault("", 1, HangFault())
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", hook, bytes.NewReader([]byte(md("x"))))
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(s.Requests()) < 5 { // wait until the fake holds it
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("hang: client got %v, want context.Canceled", err)
	}
	if n := len(s.Messages()); n != 1 {
		t.Errorf("%d messages recorded, want 1", n)
	}
}

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		m    Received
		want string
	}{
		{Received{MsgType: "markdown", Content: "<font color=\"warning\">**Failed**</font>\n**Job**: a\n[open](https://x/y)\n<@u1> <@u2>"},
			"Failed\nJob: a\nopen <https://x/y>\n@u1 @u2\n"},
		{Received{MsgType: "text", Content: "Failed", MentionedList: []string{"@all"}, MentionedMobileList: []string{"138"}},
			"Failed\n@所有人 @138\n"},
	} {
		if got := Render(tc.m); got != tc.want {
			t.Errorf("Render = %q, want %q", got, tc.want)
		}
	}
}

func TestCloseReleasesHang(t *testing.T) {
	s := New(WithMaxHang(time.Hour))
	hook := s.AddRobot("k")
	s.Fault("", 1, HangFault())
	channeltest.AssertCloseReleases(t, s.Close, hook, "application/json", []byte(md("x")), func() bool { return len(s.Requests()) > 0 })
}

// FuzzParse: the fake's reader of request bodies never panics, and accepts
// only what it would record with a valid type and bounded content.
func FuzzParse(f *testing.F) {
	for _, s := range []string{md("x"), text("y"), `{"msgtype":"news"}`, `{}`, `null`, `{"msgtype":1}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, code, msg := Parse(raw)
		if code != 0 {
			if msg == "" {
				t.Fatalf("errcode %d without errmsg", code)
			}
			return
		}
		if !msgTypes[m.MsgType] {
			t.Fatalf("accepted msgtype %q", m.MsgType)
		}
		if (m.MsgType == "text" && (m.Content == "" || len(m.Content) > MaxTextBytes)) ||
			(m.MsgType == "markdown" && (m.Content == "" || len(m.Content) > MaxMarkdownBytes)) {
			t.Fatalf("accepted %s content of %d bytes", m.MsgType, len(m.Content))
		}
	})
}
