package message

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/golden"
)

// TestSampleEventsGolden renders every task of every sample event in
// events/, as the parser reads it, in both languages: each kind and source
// has a golden message (testdata/event-*.golden).
func TestSampleEventsGolden(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	received := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		b, err := (&event.Parser{}).Parse(body, received)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		base := strings.TrimSuffix(filepath.Base(file), ".json")
		for i := range b.Tasks {
			for _, lang := range []string{"zh", "en"} {
				name := fmt.Sprintf("event-%s.%d.%s", base, i, lang)
				t.Run(name, func(t *testing.T) { golden.Check(t, name, wire(t, render(&b.Tasks[i], Options{Lang: lang}))) })
			}
		}
	}
}

// Every kind is told in PAI's words, in both languages, and a word-told kind
// heads the title.
func TestKindWords(t *testing.T) {
	for _, c := range []struct {
		task       event.Task
		zh, en     string // 相关事件 / Event
		zhHeadline string
	}{
		{event.Task{Source: event.DLC, Status: "Queuing"}, "进入排队", "Entered the queue", "排队中"},
		{event.Task{Source: event.DLC, Status: "Bidding"}, "开始竞价", "Started bidding", "竞价中"},
		{event.Task{Source: event.DLC, Status: "EnvPreparing"}, "开始准备环境", "Started preparing the environment", "环境准备中"},
		{event.Task{Source: event.DLC, Status: "Running"}, "开始运行", "Started running", "运行中"},
		{event.Task{Source: event.DLC, Status: "SucceededReserving"}, "成功后保留", "retained after success", "成功后保留"},
		{event.Task{Source: event.DLC, Status: "Succeeded"}, "任务成功", "Succeeded", "成功"},
		{event.Task{Source: event.DLC, Status: "Failed"}, "任务失败", "Failed", "失败"},
		{event.Task{Source: event.DLC, Status: "Stopped"}, "任务停止", "Stopped", "已停止"},
		{event.Task{Source: event.DLC, Status: "Restarting", Kinds: event.KindSet(0).With(event.KindFaultTolerance)}, "自动容错", "Automatic fault tolerance", "自动容错"},
		{event.Task{Source: event.DLC, Status: "Stopped", Kinds: event.KindSet(0).With(event.KindTimeout)}, "任务超时", "Timed out", "超时"},
		{event.Task{Source: event.DLC, Status: "Restarting", Kinds: event.KindSet(0).With(event.KindPreempted)}, "任务被抢占", "Preempted", "被抢占"},
		{event.Task{Source: event.DSW, Status: "Stopped"}, "实例停止", "Stopped", "已停止"},
		{event.Task{Source: event.DSW, Status: "ResourceAllocating"}, "开始准备环境", "Started preparing the environment", "资源准备中"},
		{event.Task{Source: event.Model, Status: "Approved"}, "审批通过", "approved", "审批通过"},
		{event.Task{Source: event.Model, Status: "Rejected"}, "审批拒绝", "rejected", "审批拒绝"},
		{event.Task{Source: event.PAIFlow, Status: "Terminated"}, "任务停止", "Stopped", "已终止"},
	} {
		zh, en := pickLang(Options{}), pickLang(Options{Lang: "en"})
		if got := zh.happened(&c.task); got != c.zh {
			t.Errorf("%s %s: zh %q, want %q", c.task.Source, c.task.Status, got, c.zh)
		}
		if got := en.happened(&c.task); got != c.en {
			t.Errorf("%s %s: en %q, want %q", c.task.Source, c.task.Status, got, c.en)
		}
		if got := zh.headline(&c.task); got != c.zhHeadline {
			t.Errorf("%s %s: headline %q, want %q", c.task.Source, c.task.Status, got, c.zhHeadline)
		}
	}
}

// Times follow the rule's zone and always say their offset.
func TestTimeZones(t *testing.T) {
	task := sampleI() // a SageMaker job in us-east-1
	for zone, want := range map[string]string{
		"":                 "2020-03-10 17:18:09 (UTC+8)",
		"America/New_York": "2020-03-10 05:18:09 (UTC-4)", // daylight saving began on March 8, 2020
		"UTC":              "2020-03-10 09:18:09 (UTC+0)",
		"Asia/Kolkata":     "2020-03-10 14:48:09 (UTC+5:30)",
	} {
		o := Options{Lang: "en"}
		if zone != "" {
			loc, err := event.LoadZone(zone)
			if err != nil {
				t.Fatal(err)
			}
			o.Location = loc
		}
		if m := render(task, o); !strings.Contains(m.Text, "**Created**: "+want) {
			t.Errorf("zone %q: text lacks %q:\n%s", zone, want, m.Text)
		}
	}
	loc, _ := event.LoadZone("America/New_York")
	golden.Check(t, "sagemaker-training-en-new-york", wire(t, render(task, Options{Lang: "en", Location: loc})))
}

func TestUnreadableAlarm(t *testing.T) {
	paths := []string{"id", "source", "data.jobInfo.uuid", "data.jobInfo.lifecycle.current"}
	now := at("2026-01-11T02:00:00Z")
	golden.Check(t, "unreadable-alarm-zh", wire(t, alarm(Options{Keyword: "PAI"}, 3, "6f1e2d3c-aa", paths, now)))
	golden.Check(t, "unreadable-alarm-en", wire(t, alarm(Options{Lang: "en", AtMobiles: []string{"13800000000"}}, 1, "6f1e2d3c-aa", paths, now)))
	many := make([]string, 100)
	for i := range many {
		many[i] = fmt.Sprintf("data.k%d", i)
	}
	m := alarm(Options{}, 1, "x", many, now)
	if strings.Contains(m.Text, "data.k40") || !strings.Contains(m.Text, "data.k39 …") {
		t.Errorf("paths not bounded: %s", m.Text)
	}
	long := make([]string, 100)
	for i := range long {
		long[i] = strings.Repeat("长", 300)
	}
	checkWire(t, alarm(Options{}, 1, strings.Repeat("x", 5000), long, now))
}
