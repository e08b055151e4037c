package message

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// checkWire asserts what must hold for every message this package returns:
// DingTalk accepts its body (valid JSON, within MaxBodyBytes) and its text
// is valid UTF-8.
func checkWire(t testing.TB, m dingtalk.Message) int {
	t.Helper()
	b, err := dingtalk.Body(m)
	if err != nil {
		t.Fatalf("dingtalk.Body: %v", err)
	}
	if !json.Valid(b) {
		t.Fatalf("body is not valid JSON: %.200s", b)
	}
	if len(b) > dingtalk.MaxBodyBytes {
		t.Fatalf("body is %d bytes, over %d", len(b), dingtalk.MaxBodyBytes)
	}
	for _, s := range []string{m.Title, m.Text, m.ButtonTitle, m.ButtonURL} {
		if !utf8.ValidString(s) {
			t.Fatalf("not valid UTF-8: %q", s)
		}
	}
	if strings.ContainsAny(m.Title, "\r\n") {
		t.Fatalf("title has a line break: %q", m.Title)
	}
	return len(b)
}

const hostile = "evil\n@13800000000 [x](http://evil) ![](http://img)\n# big\n> quote <font color=\"#00B42A\">ok</font>"

func hostileTask() *event.Task {
	t := sampleC()
	t.JobName = hostile
	t.JobID = hostile
	t.JobType = hostile
	t.WorkspaceName = hostile
	t.CreatorName = hostile
	t.Region = hostile
	t.PipelineName = hostile
	t.ReasonCode = hostile
	t.ReasonMessage = hostile
	t.EventLabel = hostile
	t.EventMessage = hostile
	return t
}

// A message's structure is ours alone: every line of the text is one we
// wrote, whatever the event's text fields hold.
func TestRenderEscapesEventText(t *testing.T) {
	for _, o := range []Options{zhMD, enMD, zhCard, {AtMobiles: []string{"13900000000"}}} {
		m := render(hostileTask(), o)
		checkWire(t, m)
		lines := strings.Split(m.Text, "\n")
		for _, line := range lines {
			switch {
			case line == "", strings.HasPrefix(line, "#### <font "), strings.HasPrefix(line, "**"),
				strings.HasPrefix(line, "[在控制台查看](https://"), strings.HasPrefix(line, "[Open in console](https://"),
				line == "@13900000000":
			default:
				t.Errorf("%+v: line not written by the renderer: %q", o, line)
			}
		}
		if n := strings.Count(m.Text, "\n**"); n != 14 {
			t.Errorf("%+v: %d field lines, want 14 (one per field, none forged)", o, n)
		}
		if n := strings.Count(m.Text, "]("); n > 1 {
			t.Errorf("%+v: %d links in the text, want only the console link", o, n)
		}
		if n := strings.Count(m.Text, "<font"); n != 1 {
			t.Errorf("%+v: %d <font> tags, want 1 (the heading)", o, n)
		}
		if strings.Contains(m.Text, "@13800000000") {
			t.Errorf("%+v: the job name produced a mention: %q", o, m.Text)
		}
		if slices.Contains(m.AtMobiles, "13800000000") {
			t.Errorf("%+v: the job name reached AtMobiles", o)
		}
	}
}

var mentionRE = regexp.MustCompile(`@([^\s@]+)`)

// DingTalk notifies a mention only when @<mobile>/@<userId> is in the text;
// and nothing else in the text may look like one.
func TestMentions(t *testing.T) {
	o := Options{
		AtMobiles: []string{"13800000000", "", " 139 0000 0000 ", "+852-12345678"},
		AtUserIDs: []string{"manager01", "\n"},
		AtAll:     true,
	}
	wantMobiles := []string{"13800000000", "13900000000", "+852-12345678"}
	wantUsers := []string{"manager01"}
	now := at("2026-01-06T07:18:21Z")
	for _, lang := range []string{"zh", "en"} {
		for _, format := range []string{"markdown", "actionCard"} {
			o := o
			o.Lang, o.Format = lang, format
			msgs := map[string]dingtalk.Message{
				"render":  render(sampleC(), o),
				"hostile": render(hostileTask(), o),
				"test":    testMsg(o, "", now),
				"test-at": testMsg(o, "hi @13800000001", now),
			}
			for i, m := range digestDT(fiveTasks(), o) {
				msgs[fmt.Sprint("digest", i)] = m
			}
			for name, m := range msgs {
				checkWire(t, m)
				if !slices.Equal(m.AtMobiles, wantMobiles) || !slices.Equal(m.AtUserIDs, wantUsers) || !m.AtAll {
					t.Errorf("%s %s %s: At = %q %q %v, want %q %q true", lang, format, name, m.AtMobiles, m.AtUserIDs, m.AtAll, wantMobiles, wantUsers)
				}
				var got []string
				for _, sub := range mentionRE.FindAllStringSubmatch(m.Text, -1) {
					got = append(got, sub[1])
				}
				want := append(slices.Clone(wantMobiles), wantUsers...)
				if !slices.Equal(got, want) {
					t.Errorf("%s %s %s: mentions in text = %q, want exactly %q", lang, format, name, got, want)
				}
			}
		}
	}
}

func TestKeywordInTitleAndText(t *testing.T) {
	now := at("2026-01-06T07:18:21Z")
	for _, o := range []Options{
		{Keyword: "PAI告警"}, {Keyword: "PAI告警", Lang: "en", Format: "actionCard"}, {Keyword: "a&b<c>"},
	} {
		msgs := []dingtalk.Message{render(sampleC(), o), render(sampleI(), o), render(&event.Task{}, o), testMsg(o, "", now), testMsg(o, "custom", now)}
		msgs = append(msgs, digestDT(fiveTasks(), o)...)
		for _, m := range msgs {
			checkWire(t, m)
			if !strings.Contains(m.Title, o.Keyword) || !strings.Contains(m.Text, o.Keyword) {
				t.Errorf("keyword %q missing from %q / %q", o.Keyword, m.Title, m.Text)
			}
		}
	}
}

func TestRenderFields(t *testing.T) {
	bare := &event.Task{Source: event.DLC, JobID: "dlc1", Status: "Failed"}
	succeededWithReason := sampleD()
	succeededWithReason.ReasonCode, succeededWithReason.ReasonMessage = "Old", "stale reason"
	queuing := sampleC()
	queuing.Status, queuing.ReasonCode, queuing.ReasonMessage, queuing.EventLabel, queuing.EventMessage = "Queuing", "", "", "", ""
	exploded := sampleC()
	exploded.Status, exploded.ReasonCode, exploded.ReasonMessage, exploded.EventLabel, exploded.EventMessage = "Exploded", "", "", "", ""
	codeOnly := sampleC()
	codeOnly.ReasonMessage = ""
	for _, c := range []struct {
		name    string
		task    *event.Task
		o       Options
		title   string
		has     []string
		hasNot  []string
		msgType string
	}{
		{name: "absent fields are omitted", task: bare, title: "DLC任务通知：dlc1 失败",
			has:    []string{"**任务ID**：dlc1", "失败 (Failed)", "**相关事件**：任务失败"},
			hasNot: []string{"任务名称", "工作空间", "创建者", "时间", "运行时长", "原因", "消息内容", "控制台", "()", "：  \n", "： \n"}},
		{name: "no reason on success", task: succeededWithReason, hasNot: []string{"stale reason", "原因"}},
		{name: "stopped reason is a status detail", task: sampleE(), title: "DLC任务通知：llm-sft-run-7 已停止",
			has: []string{"**状态详情**：StoppedByUser: Job is stopped by user", "#1677FF", "运行时长**：1小时11分12秒"}},
		{name: "stopped en", task: sampleE(), o: enMD, title: "DLC job llm-sft-run-7 stopped",
			has: []string{"**Reason**: StoppedByUser: Job is stopped by user", "**Duration**: 1h11m12s", "2026-01-07 09:00:00 (UTC+8)", "**Event**: Stopped"}},
		{name: "failed reason", task: sampleC(), has: []string{"**失败原因**：JobFailed: Job failed: worker-0", "创建时间**：2026-01-06 15:18:21 (UTC+8)"}},
		{name: "reason code alone", task: codeOnly, has: []string{"**失败原因**：JobFailed  \n"}},
		{name: "queuing in PAI's words", task: queuing, title: "DLC任务通知：debug-webhook_clone 排队中",
			has: []string{"**任务状态**：排队中 (Queuing)", "**相关事件**：进入排队"}},
		{name: "unknown status shown raw", task: exploded, title: "DLC任务通知：debug-webhook_clone Exploded",
			has: []string{"**任务状态**：Exploded  "}, hasNot: []string{"(Exploded)", "相关事件"}},
		{name: "paiflow en", task: sampleG(), o: enMD, title: "PAIFlow run ctr-feature-pipeline succeeded",
			has: []string{"#00B42A", "[Open in console](https://pai.console.aliyun.com/"}},
		{name: "card without link falls back to markdown", task: func() *event.Task { t := sampleI(); t.ConsoleURL = ""; return t }(), o: zhCard, msgType: dingtalk.TypeMarkdown},
		{name: "card", task: sampleC(), o: zhCard, msgType: dingtalk.TypeActionCard, hasNot: []string{"[在控制台查看]"}},
		{name: "unsafe console URL dropped", task: func() *event.Task { t := sampleC(); t.ConsoleURL = "javascript:alert(1)"; return t }(),
			hasNot: []string{"javascript", "控制台"}},
		{name: "nil task", task: nil, title: "PAI任务通知"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := render(c.task, c.o)
			checkWire(t, m)
			if c.title != "" && m.Title != c.title {
				t.Errorf("title = %q, want %q", m.Title, c.title)
			}
			for _, s := range c.has {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(m.Text, s) {
					t.Errorf("text has %q:\n%s", s, m.Text)
				}
			}
			if c.msgType != "" && m.Type != c.msgType {
				t.Errorf("type = %q, want %q", m.Type, c.msgType)
			}
			if m.Type == dingtalk.TypeActionCard && (m.ButtonTitle != "在控制台查看" || m.ButtonURL != c.task.ConsoleURL) {
				t.Errorf("button = %q -> %q", m.ButtonTitle, m.ButtonURL)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d      time.Duration
		zh, en string
	}{
		{400 * time.Millisecond, "不足1秒", "<1s"},
		{1500 * time.Millisecond, "2秒", "2s"},
		{3723 * time.Second, "1小时2分3秒", "1h2m3s"},
		{time.Hour, "1小时", "1h"},
		{25*time.Hour + 30*time.Second, "1天1小时30秒", "1d1h30s"},
	} {
		if got := zh.fmtDuration(c.d); got != c.zh {
			t.Errorf("zh %v = %q, want %q", c.d, got, c.zh)
		}
		if got := en.fmtDuration(c.d); got != c.en {
			t.Errorf("en %v = %q, want %q", c.d, got, c.en)
		}
	}
}

// The whole wire body must fit, measured as JSON: quotes double and
// multi-byte text counts in bytes.
func TestRenderFitsMaxBody(t *testing.T) {
	giant := func(unit string) string { return strings.Repeat(unit, 30000/len(unit)+1) }
	for _, c := range []struct {
		name    string
		mutate  func(*event.Task)
		o       Options
		intact  []string // must survive uncut
		cutOnly string   // the only field label allowed to carry the marker
	}{
		{name: "giant ascii reason", mutate: func(t *event.Task) { t.ReasonMessage = giant("x") },
			intact: []string{"debug-webhook_clone", "dlc1gbd4p5lft9tx", "任务已失败", "[在控制台查看]"}, cutOnly: "失败原因"},
		{name: "giant quoted reason", mutate: func(t *event.Task) { t.ReasonMessage = giant(`"\`) },
			intact: []string{"debug-webhook_clone", "任务已失败"}, cutOnly: "失败原因"},
		{name: "giant chinese reason en", o: enMD, mutate: func(t *event.Task) { t.ReasonMessage = giant("显存不足") },
			intact: []string{"debug-webhook_clone"}, cutOnly: "Failure reason"},
		{name: "giant event message", mutate: func(t *event.Task) { t.EventMessage = giant("任务") },
			intact: []string{"worker-0 exited with code 1"}},
		{name: "everything giant", mutate: func(t *event.Task) {
			for _, p := range []*string{&t.JobName, &t.JobID, &t.JobType, &t.Status, &t.WorkspaceName, &t.WorkspaceID,
				&t.Region, &t.CreatorName, &t.CreatorID, &t.PipelineName, &t.PipelineID, &t.ReasonCode,
				&t.ReasonMessage, &t.EventLabel, &t.EventMessage} {
				*p = giant("名\"<@")
			}
		}},
		{name: "giant console URL dropped", mutate: func(t *event.Task) { t.ConsoleURL = "https://h/" + giant("a") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			task := sampleC()
			c.mutate(task)
			for _, o := range []Options{c.o, {Lang: c.o.Lang, Format: "actionCard", Keyword: "PAI", AtMobiles: []string{"13800000000"}}} {
				m := render(task, o)
				n := checkWire(t, m)
				marker := pickLang(o).truncated
				if !strings.Contains(m.Text, marker) && !strings.Contains(c.name, "URL") {
					t.Errorf("no truncation marker %q", marker)
				}
				if strings.Contains(m.Text, marker) && n < dingtalk.MaxBodyBytes-8 {
					t.Errorf("cut too much: body is %d bytes", n)
				}
				for _, s := range c.intact {
					if !strings.Contains(m.Text, s) && (m.Type != dingtalk.TypeActionCard || !strings.HasPrefix(s, "[")) {
						t.Errorf("%q was lost", s)
					}
				}
				if c.cutOnly != "" {
					for _, line := range strings.Split(m.Text, "\n") {
						if strings.Contains(line, marker) && !strings.Contains(line, c.cutOnly) {
							t.Errorf("cut the wrong field: %.80q", line)
						}
					}
				}
			}
		})
	}
}

func TestTest(t *testing.T) {
	now := at("2026-01-06T07:18:21Z")
	m := testMsg(Options{}, "", now)
	checkWire(t, m)
	if m.Title != "pai-notifier 连通性测试" || !strings.Contains(m.Text, "2026-01-06 15:18:21 (UTC+8)") {
		t.Errorf("zh test message: %q / %q", m.Title, m.Text)
	}
	utc, _ := event.LoadZone("UTC")
	m = testMsg(Options{Lang: "en", Format: "actionCard", Location: utc}, "", now)
	checkWire(t, m)
	if m.Type != dingtalk.TypeMarkdown || m.Title != "pai-notifier connectivity test" || !strings.Contains(m.Text, "2026-01-06 07:18:21 (UTC+0)") {
		t.Errorf("en test message: %q %q / %q", m.Type, m.Title, m.Text)
	}
	m = testMsg(Options{Keyword: "kw"}, "hello\n# there", now)
	if !strings.Contains(m.Text, "hello # there") || strings.Contains(m.Text, "连通性测试消息") || !strings.Contains(m.Text, "kw") {
		t.Errorf("custom text: %q", m.Text)
	}
	m = testMsg(Options{AtUserIDs: []string{"u1"}}, strings.Repeat("大", 20000), now)
	checkWire(t, m)
	if !strings.Contains(m.Text, "…(已截断)") || !strings.HasSuffix(m.Text, "\n\n@u1") {
		t.Errorf("giant custom text not cut to fit with the mention kept: %.100q…%q", m.Text, m.Text[len(m.Text)-40:])
	}
}
