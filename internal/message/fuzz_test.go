package message

import (
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// FuzzRender feeds arbitrary event text (what the parser passes through from
// outside JSON) to Render and Digest: they never panic, every body is valid
// JSON within MaxBodyBytes, text is valid UTF-8, and event text never adds a
// line, a link or a mention.
func FuzzRender(f *testing.F) {
	c := sampleC()
	f.Add(c.JobName, c.JobID, c.Status, c.WorkspaceName, c.CreatorName, c.ReasonCode, c.ReasonMessage, c.EventMessage, c.ConsoleURL, byte(0))
	f.Add(hostile, hostile, "Failed", hostile, hostile, hostile, hostile, hostile, "https://h/x) [y](http://evil", byte(3))
	f.Add("a\xffb", "\u2028", "成功", "<", "@", `"\`, strings.Repeat("显存", 9000), "", "javascript:x", byte(1))
	f.Add("", "", "", "", "", "", "", "", "", byte(2))
	f.Fuzz(func(t *testing.T, name, id, status, ws, creator, code, reason, msg, url string, flags byte) {
		task := &event.Task{
			Source:  []event.Source{event.DLC, event.PAIFlow, ""}[int(flags>>2)%3],
			JobName: name, JobID: id, Status: status, WorkspaceName: ws, WorkspaceID: id,
			CreatorName: creator, CreatorID: code, ReasonCode: code, ReasonMessage: reason,
			EventLabel: msg, EventMessage: msg, PipelineName: name, JobType: ws, Region: creator,
			ConsoleURL: url,
			Created:    time.Unix(int64(len(name))*1e6, 0), Duration: time.Duration(len(reason)) * time.Second,
		}
		o := Options{}
		if flags&1 != 0 {
			o.Lang = "en"
		}
		if flags&2 != 0 {
			o.Format = "actionCard"
		}
		m := render(task, o)
		checkWire(t, m)
		if strings.Contains(m.Text, "@") {
			t.Fatalf("event text produced an @ with no mentions configured: %q", m.Text)
		}
		if n := strings.Count(m.Text, "]("); n > 1 {
			t.Fatalf("event text produced a link: %q", m.Text)
		}
		for _, line := range strings.Split(m.Text, "\n") {
			if line != "" && !strings.HasPrefix(line, "#### <font ") && !strings.HasPrefix(line, "**") && !strings.HasPrefix(line, "[") {
				t.Fatalf("line not written by the renderer: %q", line)
			}
		}
		for _, dm := range digestDT([]*event.Task{task, sampleD(), task}, o) {
			checkWire(t, dm)
			if strings.Contains(dm.Text, "@") {
				t.Fatalf("event text produced an @ in a digest: %q", dm.Text)
			}
		}
		checkWire(t, testMsg(o, reason, task.Created))
	})
}
