package slack_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack/slacktest"
	"github.com/pai-notifier/pai-notifier/internal/golden"
)

// hostile is job text that tries every Slack control sequence.
const hostile = `evil <!channel> <!here|here> <@U0HACKER> <http://evil.example|click> & &amp; <#C0SECRET>`

var samples = map[string]channel.Message{
	"failed": {
		Title: "DLC 任务失败: train-llama", Tone: channel.ToneBad,
		Fields: []channel.Field{
			{Label: "任务", Value: "train-llama (dlc1a2b3c4d)"},
			{Label: "状态", Value: "Failed"},
			{Label: "工作空间", Value: "ws-prod"},
			{Label: "原因", Value: "OOMKilled: container exceeded its 32Gi memory limit"},
		},
		LinkText: "在控制台查看", LinkURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=123#/dlc/jobs/dlc1a2b3c4d",
		Mentions: channel.Mentions{UserIDs: []string{"U024BE7LH", "W0123ABCD"}, All: true},
		Keyword:  "PAI",
	},
	"succeeded-minimal": {Title: "Job succeeded: nightly-eval", Tone: channel.ToneGood},
	"hostile": {
		Title: hostile, Tone: channel.ToneInfo,
		Fields: []channel.Field{{Label: hostile, Value: hostile}, {Value: "no label " + hostile}},
		Items: []channel.Item{
			{Text: hostile, URL: "https://pai.example/jobs/1?a=1&b=|x>y<z"},
			{Text: hostile, URL: "javascript:alert(1)"},
		},
		Footer:   hostile,
		LinkText: hostile, LinkURL: "https://pai.example/console?x=<!channel>",
	},
	"digest": {
		Title: "PAI: 5 tasks changed state", Tone: channel.ToneBad,
		Items: []channel.Item{
			{Text: "train-a: Failed (OOMKilled)", URL: "https://pai.example/jobs/a", Tone: channel.ToneBad},
			{Text: "train-b: Succeeded in 2h03m", URL: "https://pai.example/jobs/b", Tone: channel.ToneGood},
			{Text: "pipeline-c: Terminated", URL: "https://pai.example/runs/c", Tone: channel.ToneBad},
			{Text: "train-d: Running", Tone: channel.ToneInfo},
			{Text: "train-e: Stopped", URL: "https://pai.example/jobs/e", Tone: channel.ToneInfo},
		},
		Footer: "… and 12 more tasks: see the console",
	},
}

// TestBodyGolden holds the exact body of each sample and how the fake Slack
// shows it. go test -run TestBodyGolden -update rewrites testdata/*.golden.
func TestBodyGolden(t *testing.T) {
	for name, m := range samples {
		t.Run(name, func(t *testing.T) {
			body, err := slack.Body(m)
			if err != nil {
				t.Fatal(err)
			}
			got, code := slacktest.Parse(body)
			if code != "" {
				t.Fatalf("the fake Slack refuses the body: %s\n%s", code, body)
			}
			out := string(golden.JSON(t, body)) + "--- as Slack shows it ---\n" + slacktest.Render(got)
			golden.Check(t, name, []byte(out))
		})
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text 中文", "plain text 中文"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"<@U123>", "&lt;@U123&gt;"},
		{"<http://evil|x>", "&lt;http://evil|x&gt;"},
		{"a & b", "a &amp; b"},
		{"&amp;", "&amp;amp;"}, // typed text stays typed: no double decoding
		{"*bold* _it_", "*bold* _it_"},
	} {
		if got := slack.Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestHostileTextCannotNotify sends job text full of Slack control
// sequences through the fake and checks the channel sees no mention,
// broadcast or link but the ones the message asked for.
func TestHostileTextCannotNotify(t *testing.T) {
	body, err := slack.Body(samples["hostile"])
	if err != nil {
		t.Fatal(err)
	}
	got, code := slacktest.Parse(body)
	if code != "" {
		t.Fatalf("fake refused: %s", code)
	}
	if len(got.Mentions) != 0 || len(got.Broadcasts) != 0 {
		t.Errorf("job text notified someone: mentions %v, broadcasts %v", got.Mentions, got.Broadcasts)
	}
	want := []slacktest.Link{
		{URL: "https://pai.example/jobs/1?a=1&b=%7Cx%3Ey%3Cz", Label: hostile},
		{URL: "https://pai.example/console?x=%3C!channel%3E", Label: hostile},
	}
	if fmt.Sprint(got.Links) != fmt.Sprint(want) {
		t.Errorf("links = %q\nwant   %q", got.Links, want)
	}
	if r := slacktest.Render(got); !strings.Contains(r, hostile) {
		t.Errorf("the reader does not see the job text as typed:\n%s", r)
	}
}

func TestMentions(t *testing.T) {
	m := channel.Message{Title: "t", Mentions: channel.Mentions{UserIDs: []string{"U024BE7LH"}, All: true}}
	body, err := slack.Body(m)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := slacktest.Parse(body)
	if fmt.Sprint(got.Mentions) != "[U024BE7LH U024BE7LH]" || fmt.Sprint(got.Broadcasts) != "[channel channel]" {
		// once in the fallback text (the push notification), once in the blocks
		t.Errorf("mentions %v, broadcasts %v", got.Mentions, got.Broadcasts)
	}
	for _, tc := range []struct {
		m    channel.Mentions
		want string // "" for valid
	}{
		{channel.Mentions{}, ""},
		{channel.Mentions{UserIDs: []string{"U024BE7LH", "W9"}}, ""},
		{channel.Mentions{Mobiles: []string{"13800000000"}}, "atMobiles"},
		{channel.Mentions{UserIDs: []string{"u024"}}, "atUserIds[0]"},
		{channel.Mentions{UserIDs: []string{"U1", "U1> <!channel"}}, "atUserIds[1]"},
		{channel.Mentions{UserIDs: []string{"@alice"}}, "atUserIds[0]"},
	} {
		err := slack.CheckMentions(tc.m)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckMentions(%+v) = %v, want nil", tc.m, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, slack.ErrMentions)):
			t.Errorf("CheckMentions(%+v) = %v, want an ErrMentions naming %s", tc.m, err, tc.want)
		}
		if _, berr := slack.Body(channel.Message{Title: "t", Mentions: tc.m}); (berr == nil) != (tc.want == "") {
			t.Errorf("Body with %+v: err %v", tc.m, berr)
		}
	}
}

var entity = regexp.MustCompile(`&(amp|lt|gt);`)

// checkLimits asserts every Slack limit on a body and returns the fake's
// reading of it.
func checkLimits(t *testing.T, body []byte) slacktest.Received {
	t.Helper()
	if len(body) > slack.MaxBodyBytes {
		t.Errorf("body is %d bytes, over %d", len(body), slack.MaxBodyBytes)
	}
	got, code := slacktest.Parse(body)
	if code != "" {
		t.Fatalf("the fake Slack refuses the body: %s", code)
	}
	if len(got.Blocks) > slack.MaxBlocks {
		t.Errorf("%d blocks, over %d", len(got.Blocks), slack.MaxBlocks)
	}
	for i, b := range got.Blocks {
		for _, tx := range b.Texts {
			limit := slack.MaxSectionText
			if b.Type == "header" {
				limit = slack.MaxHeaderText
			}
			if n := utf8.RuneCountInString(tx.Text); n > limit {
				t.Errorf("block %d (%s): %d characters, over %d", i, b.Type, n, limit)
			}
			if stray := entity.ReplaceAllString(tx.Text, ""); strings.ContainsAny(stray, "&") {
				t.Errorf("block %d: an entity was cut in two: %q", i, tx.Text[max(0, len(tx.Text)-20):])
			}
		}
	}
	return got
}

// shownItems counts the digest lines in a message and reads the "… +N" note.
func shownItems(got slacktest.Received) (shown, more int) {
	for _, b := range got.Blocks {
		for _, tx := range b.Texts {
			for _, l := range strings.Split(tx.Text, "\n") {
				if strings.HasPrefix(l, "• ") {
					shown++
				}
				if n, ok := strings.CutPrefix(l, "… +"); ok {
					fmt.Sscan(n, &more)
				}
			}
		}
	}
	return shown, more
}

func TestBodyFitsSlackLimits(t *testing.T) {
	many := func(n int, text string) []channel.Item {
		items := make([]channel.Item, n)
		for i := range items {
			items[i] = channel.Item{Text: fmt.Sprintf("%d %s", i, text), URL: fmt.Sprintf("https://pai.example/jobs/%d", i), Tone: channel.ToneBad}
		}
		return items
	}
	for _, tc := range []struct {
		name      string
		m         channel.Message
		wantShown int // -1: fewer than all, at least one
	}{
		{"2000 short items", channel.Message{Title: "digest", Items: many(2000, strings.Repeat("x", 100)), Footer: "f"}, -1},
		{"wide Chinese items: the byte bound", channel.Message{Title: "digest", Items: many(200, strings.Repeat("任务失败", 250))}, -1},
		{"items full of entities", channel.Message{Title: "digest", Items: many(300, strings.Repeat("<&>", 500))}, -1},
		{"few items: all shown", channel.Message{Title: "digest", Items: many(20, "ok")}, 20},
		{"huge field and title", channel.Message{
			Title:  strings.Repeat("名", 500),
			Fields: []channel.Field{{Label: "原因", Value: strings.Repeat("&", 10000)}, {Label: "x", Value: strings.Repeat("y", 5000)}},
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := slack.Body(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			got := checkLimits(t, body)
			shown, more := shownItems(got)
			switch {
			case tc.wantShown >= 0 && (shown != tc.wantShown || more != 0):
				t.Errorf("shown %d items with note +%d, want all %d", shown, more, tc.wantShown)
			case tc.wantShown < 0 && (shown == 0 || shown+more != len(tc.m.Items) || more == 0):
				t.Errorf("shown %d + noted %d, want at least one shown and the rest of %d noted", shown, more, len(tc.m.Items))
			}
			t.Logf("%d items: %d shown, %d blocks, %d bytes", len(tc.m.Items), shown, len(got.Blocks), len(body))
		})
	}
}

// TestBodyIsChannel checks the Channel methods say what the package says.
func TestBodyIsChannel(t *testing.T) {
	var c channel.Channel = slack.New()
	if c.Name() != "slack" || c.MaxBodyBytes() != slack.MaxBodyBytes {
		t.Errorf("Name %q, MaxBodyBytes %d", c.Name(), c.MaxBodyBytes())
	}
	a, _ := c.Body(samples["failed"])
	b, _ := slack.Body(samples["failed"])
	if !bytes.Equal(a, b) {
		t.Error("method and function bodies differ")
	}
}
