package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook"
	"github.com/pai-notifier/pai-notifier/internal/golden"
)

var (
	sendTime  = time.Date(2026, 12, 2, 6, 30, 0, 0, time.UTC)
	eventTime = time.Date(2026, 12, 2, 14, 5, 9, 0, time.FixedZone("CST", 8*3600))
)

var failedTask = channel.Task{
	EventID: "evt-7f3a", EventTime: eventTime, Source: "dlc",
	JobID: "dlc1a2b3c4d", JobName: "train-llama <!channel> & co", JobType: "PyTorchJob", Status: "Failed",
	WorkspaceID: "123", WorkspaceName: "ws-prod", Region: "cn-hangzhou",
	OwnerID: "2001", OwnerName: "alice",
	Created: eventTime.Add(-3 * time.Hour), Started: eventTime.Add(-2 * time.Hour), Finished: eventTime,
	Duration: 2 * time.Hour, ReasonCode: "OOMKilled", ReasonMessage: "container exceeded its 32Gi memory limit",
	ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=123#/dlc/jobs/dlc1a2b3c4d",
}

var samples = map[string]channel.Message{
	"failed": {
		Title: "DLC 任务失败: train-llama", Tone: channel.ToneBad,
		Fields:   []channel.Field{{Label: "任务", Value: "train-llama"}, {Label: "原因", Value: "OOMKilled"}},
		LinkText: "在控制台查看", LinkURL: failedTask.ConsoleURL,
		Mentions: channel.Mentions{UserIDs: []string{"U1"}, All: true}, Keyword: "PAI",
		Tasks: []channel.Task{failedTask},
	},
	"test-message": {Title: "pai-notifier connectivity test", Tone: channel.ToneInfo,
		Fields: []channel.Field{{Label: "rule", Value: "dlc-failed"}}},
	"digest": {
		Title: "PAI: 2 tasks changed state", Tone: channel.ToneBad,
		Items: []channel.Item{
			{Text: "train-llama: Failed", URL: failedTask.ConsoleURL, Tone: channel.ToneBad},
			{Text: "nightly-eval: Succeeded", Tone: channel.ToneGood},
		},
		Footer: "… and 12 more tasks: see the console",
		Tasks: []channel.Task{failedTask, {Source: "paiflow", JobID: "flow-9", JobName: "nightly-eval", Status: "Succeeded",
			EventTime: eventTime.Add(-time.Minute)}},
	},
}

// TestBodyGolden holds each sample's exact payload and webhook-id.
// go test -run TestBodyGolden -update rewrites testdata/*.golden.
func TestBodyGolden(t *testing.T) {
	for name, m := range samples {
		t.Run(name, func(t *testing.T) {
			body, id, err := webhook.Body(m, sendTime)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) {
				t.Fatalf("not JSON: %s", body)
			}
			golden.Check(t, name, append([]byte("webhook-id: "+id+"\n"), golden.JSON(t, body)...))
		})
	}
}

// TestBodyIdentity: a retry (same message, later) sends the same bytes and
// id; any change to the message gives another id.
func TestBodyIdentity(t *testing.T) {
	m := samples["failed"]
	b1, id1, _ := webhook.Body(m, sendTime)
	b2, id2, _ := webhook.Body(m, sendTime.Add(17*time.Minute))
	if id1 != id2 || !bytes.Equal(b1, b2) {
		t.Errorf("a retry changed the payload or id: %s / %s", id1, id2)
	}
	if strings.ContainsAny(id1, ".") || !strings.HasPrefix(id1, "msg_") || len(id1) != 36 {
		t.Errorf("id %q: want msg_ and 32 base32 characters, no '.'", id1)
	}
	changes := map[string]func(*channel.Message){
		"status":   func(m *channel.Message) { m.Tasks = []channel.Task{{EventID: "evt-7f3a", Status: "Succeeded"}} },
		"event id": func(m *channel.Message) { t := failedTask; t.EventID = "evt-7f3b"; m.Tasks = []channel.Task{t} },
		"title":    func(m *channel.Message) { m.Title += "!" },
		"field":    func(m *channel.Message) { m.Fields = m.Fields[:1] },
	}
	for name, change := range changes {
		c := m
		change(&c)
		if _, id, _ := webhook.Body(c, sendTime); id == id1 {
			t.Errorf("changing the %s kept the id %s", name, id)
		}
	}
	// A test message has no task: its timestamp is the sending time.
	b, _, _ := webhook.Body(samples["test-message"], sendTime)
	if !bytes.Contains(b, []byte(`"timestamp":"2026-12-02T06:30:00Z"`)) {
		t.Errorf("test message timestamp: %s", b)
	}
}

func TestBodyFits(t *testing.T) {
	m := channel.Message{Title: "digest"}
	for i := range 500 {
		m.Items = append(m.Items, channel.Item{Text: fmt.Sprintf("job-%d: Failed (%s)", i, strings.Repeat("原因", 20))})
		tk := failedTask
		tk.JobID = fmt.Sprint("dlc", i)
		m.Tasks = append(m.Tasks, tk)
	}
	body, _, err := webhook.Body(m, sendTime)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Data struct {
			Items        []json.RawMessage
			Tasks        []json.RawMessage
			ItemsOmitted int
			TasksOmitted int
		}
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	d := p.Data
	if len(body) > webhook.MaxBodyBytes || len(d.Items) == 0 || len(d.Items)+d.ItemsOmitted != 500 || len(d.Tasks)+d.TasksOmitted != 500 {
		t.Errorf("%d bytes; %d items + %d omitted, %d tasks + %d omitted", len(body), len(d.Items), d.ItemsOmitted, len(d.Tasks), d.TasksOmitted)
	}
	// One more item and task would not have fitted: a digest of that many
	// is itself cut.
	n := len(d.Items) + 1
	m2 := m
	m2.Items, m2.Tasks = m.Items[:n], m.Tasks[:n]
	b, _, _ := webhook.Body(m2, sendTime)
	if !bytes.Contains(b, []byte(`"itemsOmitted":`)) {
		t.Errorf("kept %d items, but %d fit whole in %d bytes", len(d.Items), n, len(b))
	}
	t.Logf("500 items and tasks: %d kept, %d bytes", len(d.Items), len(body))
}

func BenchmarkBodyAndSign(b *testing.B) {
	m := samples["digest"]
	b.ReportAllocs()
	for b.Loop() {
		body, id, err := webhook.Body(m, sendTime)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, sendTime, body); err != nil {
			b.Fatal(err)
		}
	}
}
