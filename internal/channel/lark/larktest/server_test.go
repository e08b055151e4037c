package larktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

type result struct {
	status     int
	code       int
	msg        string
	legacy     bool
	retryAfter string
}

func post(t *testing.T, method, u, body string) result {
	t.Helper()
	rep := channeltest.Request(t, method, u, "application/json", []byte(body), nil)
	r := result{status: rep.Status, msg: rep.Body, retryAfter: rep.RetryAfter}
	var a struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	if json.Unmarshal([]byte(rep.Body), &a) == nil {
		switch {
		case a.Code != nil:
			r.code, r.msg = *a.Code, a.Msg
		case a.StatusCode != nil:
			r.code, r.msg, r.legacy = *a.StatusCode, a.StatusMessage, true
		}
	}
	return r
}

// sign is written here from the guide's formula, apart from the fake's.
func sign(secret string, ts int64) string {
	m := hmac.New(sha256.New, []byte(strconv.FormatInt(ts, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func text(s string) string {
	b, _ := json.Marshal(map[string]any{"msg_type": "text", "content": map[string]string{"text": s}})
	return string(b)
}

func signedText(s, secret string, ts int64) string {
	b, _ := json.Marshal(map[string]any{"timestamp": strconv.FormatInt(ts, 10), "sign": sign(secret, ts), "msg_type": "text", "content": map[string]string{"text": s}})
	return string(b)
}

func TestChecks(t *testing.T) {
	clk := channeltest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	s := New(WithClock(clk.Now))
	defer s.Close()
	open := s.AddBot("open")
	signed := s.AddBot("signed", WithSecret("sec"))
	kw := s.AddBot("kw", WithKeywords("PAI", "告警"))
	ip := s.AddBot("ip", WithAllowedIPs("10.0.0.0/8", "bogus"))
	old := s.AddBot("old", Legacy())
	now := clk.Now().Unix()
	card := `{"msg_type":"interactive","card":{"header":{"template":"red","title":{"tag":"plain_text","content":"PAI job failed"}},"elements":[{"tag":"markdown","content":"**a**"}]}}`
	for _, tc := range []struct {
		name, method, url, body string
		code                    int
		legacy                  bool
	}{
		{"text", "POST", open, text("hi"), CodeOK, false},
		{"card", "POST", open, card, CodeOK, false},
		{"post", "POST", open, `{"msg_type":"post","content":{"post":{"zh_cn":{"title":"t","content":[]}}}}`, CodeOK, false},
		{"GET", "GET", open, "", CodeBadRequest, false},
		{"unknown token", "POST", s.URL() + PathPrefix + "nope", text("hi"), CodeParamInvalid, false},
		{"not JSON", "POST", open, "hi", CodeBadRequest, false},
		{"bad msg_type", "POST", open, `{"msg_type":"markdown","content":{"text":"x"}}`, CodeBadRequest, false},
		{"empty text", "POST", open, text(""), CodeBadRequest, false},
		{"card without elements", "POST", open, `{"msg_type":"interactive","card":{"elements":[]}}`, CodeBadRequest, false},
		{"card with an unknown tag", "POST", open, `{"msg_type":"interactive","card":{"elements":[{"tag":"table"}]}}`, CodeBadRequest, false},
		{"over 20 KB", "POST", open, text(strings.Repeat("a", MaxBodyBytes)), CodeBadRequest, false},
		{"signed", "POST", signed, signedText("hi", "sec", now), CodeOK, false},
		{"signed, numeric timestamp", "POST", signed, strings.Replace(signedText("hi", "sec", now), `"`+strconv.FormatInt(now, 10)+`"`, strconv.FormatInt(now, 10), 1), CodeOK, false},
		{"unsigned to a signing bot", "POST", signed, text("hi"), CodeSign, false},
		{"wrong secret", "POST", signed, signedText("hi", "other", now), CodeSign, false},
		{"59 minutes old", "POST", signed, signedText("hi", "sec", now-59*60), CodeOK, false},
		{"61 minutes old", "POST", signed, signedText("hi", "sec", now-61*60), CodeSign, false},
		{"61 minutes ahead", "POST", signed, signedText("hi", "sec", now+61*60), CodeSign, false},
		{"milliseconds", "POST", signed, signedText("hi", "sec", now*1000), CodeSign, false},
		{"keyword present", "POST", kw, text("PAI: job failed"), CodeOK, false},
		{"keyword in a card title", "POST", kw, card, CodeOK, false},
		{"keyword missing", "POST", kw, text("job failed"), CodeKeyword, false},
		{"ip not allowed", "POST", ip, text("hi"), CodeIP, false},
		{"legacy ok", "POST", old, text("hi"), CodeOK, true},
		{"legacy failure", "POST", old, text(""), CodeBadRequest, true},
	} {
		r := post(t, tc.method, tc.url, tc.body)
		if r.status != 200 || r.code != tc.code || r.legacy != tc.legacy {
			t.Errorf("%s: HTTP %d code %d legacy %v (%s), want 200 code %d legacy %v", tc.name, r.status, r.code, r.legacy, r.msg, tc.code, tc.legacy)
		}
	}
	if r := post(t, "POST", s.URL()+"/open-apis/bot/v2/other/open", text("x")); r.status != 404 {
		t.Errorf("wrong path: HTTP %d, want 404", r.status)
	}
	msgs := s.Messages()
	if len(msgs) != 9 {
		t.Fatalf("recorded %d messages, want the 9 accepted", len(msgs))
	}
	if m := msgs[1]; m.Title != "PAI job failed" || m.Template != "red" || len(m.Texts) != 1 {
		t.Errorf("card recorded as %+v", m)
	}
	if m := msgs[3]; !m.Signed || m.Token != "signed" {
		t.Errorf("signed message recorded as %+v", m)
	}
	if got := s.Count(CodeSign); got != 5 {
		t.Errorf("Count(19021) = %d, want 5", got)
	}
}

func TestRateLimits(t *testing.T) {
	clk := channeltest.NewClock(time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC))
	s := New(WithClock(clk.Now))
	defer s.Close()
	a, b := s.AddBot("a"), s.AddBot("b")
	for i := range PerSecond {
		if r := post(t, "POST", a, text("x")); r.code != CodeOK {
			t.Fatalf("send %d: code %d", i+1, r.code)
		}
	}
	if r := post(t, "POST", a, text("x")); r.code != CodeTooFast {
		t.Fatalf("6th in a second: code %d, want %d", r.code, CodeTooFast)
	}
	if r := post(t, "POST", b, text("x")); r.code != CodeOK {
		t.Fatalf("another bot is limited too: code %d", r.code)
	}
	for i := PerSecond; i < PerMinute; i++ {
		if i%PerSecond == 0 {
			clk.Add(time.Second)
		}
		if r := post(t, "POST", a, text("x")); r.code != CodeOK {
			t.Fatalf("send %d in the minute: code %d", i+1, r.code)
		}
	}
	clk.Add(time.Second)
	if r := post(t, "POST", a, text("x")); r.code != CodeTooFast {
		t.Fatalf("101st in a minute: code %d, want %d", r.code, CodeTooFast)
	}
	clk.Add(time.Minute)
	if r := post(t, "POST", a, text("x")); r.code != CodeOK {
		t.Fatalf("a minute later: code %d", r.code)
	}
}

func TestFaults(t *testing.T) {
	s := New(WithMaxHang(10 * time.Second))
	defer s.Close()
	hook := s.AddBot("k", Legacy())
	s.Fault("k", 1, StatusFault(502))
	s.Fault("", 1, CodeFault(429, 99991400, "request trigger frequency limit").WithRetryAfter("3"))
	s.Fault("other", 1, BodyFault("never used for k"))
	s.Fault("k", 1, BodyFault("<html>"))
	if r := post(t, "POST", hook, text("x")); r.status != 502 {
		t.Errorf("status fault: %+v", r)
	}
	if r := post(t, "POST", hook, text("x")); r.status != 429 || r.code != 99991400 || !r.legacy || r.retryAfter != "3" {
		t.Errorf("code fault: %+v", r)
	}
	if r := post(t, "POST", hook, text("x")); r.msg != "<html>" {
		t.Errorf("body fault: %+v", r)
	}
	if r := post(t, "POST", hook, text("x")); r.code != CodeOK {
		t.Errorf("after the faults: %+v", r)
	}
	s.Fault("", 1, HangFault())
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", hook, bytes.NewReader([]byte(text("x"))))
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(s.Requests()) < 5 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("hang: client got %v, want context.Canceled", err)
	}
}

func TestCloseReleasesHang(t *testing.T) {
	s := New(WithMaxHang(time.Hour))
	hook := s.AddBot("k")
	s.Fault("", 1, HangFault())
	channeltest.AssertCloseReleases(t, s.Close, hook, "application/json", []byte(text("x")), func() bool { return len(s.Requests()) > 0 })
}

func TestRender(t *testing.T) {
	m := Received{Title: "Failed", Template: "red",
		Texts:   []string{"**Job**: a\n<font color='red'>●</font> [b](https://x/b)", "<at id=ou_1></at> <at id=all></at>"},
		Buttons: []Button{{"Open", "https://x/y"}}}
	want := "【Failed】(red)\nJob: a\n● b <https://x/b>\n@ou_1 @所有人\n[ Open ] -> https://x/y\n"
	if got := Render(m); got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

// FuzzParse: the fake's reader of request bodies never panics and accepts
// only known message types with their content.
func FuzzParse(f *testing.F) {
	for _, s := range []string{text("x"), signedText("y", "s", 1), `{"msg_type":"interactive","card":{"elements":[{"tag":"markdown","content":"x"}]}}`, `{}`, `null`, `{"msg_type":1}`, `{"timestamp":1e300,"msg_type":"image","content":{}}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, _, _, code, msg := Parse(raw)
		if code != 0 {
			if msg == "" {
				t.Fatalf("code %d without msg", code)
			}
			return
		}
		if !msgTypes[m.MsgType] {
			t.Fatalf("accepted msg_type %q", m.MsgType)
		}
		if m.MsgType == "text" && (len(m.Texts) != 1 || m.Texts[0] == "") {
			t.Fatalf("accepted a text message without text: %+v", m)
		}
	})
}
