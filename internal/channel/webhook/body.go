package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// EventType is the payload's "type": a PAI task changed state.
const EventType = "pai.task.state"

// MaxBodyBytes bounds a request body. Standard Webhooks has no hard limit
// but recommends payloads under 20 kB; a digest is fitted under it.
const MaxBodyBytes = 20000

// The payload is the spec's recommended shape,
// {"type":"pai.task.state","timestamp":"<RFC 3339>","data":{…}}, written by
// encode around the data object so that the id can hash data alone.
// data carries the message as people read it (title, tone, fields, items,
// link, footer) and, in tasks, the tasks as data for programs.
type (
	wireData struct {
		Title        string      `json:"title"`
		Tone         string      `json:"tone"`
		Fields       []wireField `json:"fields,omitempty"`
		Items        []wireItem  `json:"items,omitempty"`
		ItemsOmitted int         `json:"itemsOmitted,omitempty"`
		Link         *wireLink   `json:"link,omitempty"`
		Footer       string      `json:"footer,omitempty"`
		Tasks        []wireTask  `json:"tasks,omitempty"`
		TasksOmitted int         `json:"tasksOmitted,omitempty"`
	}
	wireField struct {
		Label string `json:"label"`
		Value string `json:"value"`
	}
	wireItem struct {
		Text string `json:"text"`
		URL  string `json:"url,omitempty"`
		Tone string `json:"tone"`
	}
	wireLink struct {
		Text string `json:"text,omitempty"`
		URL  string `json:"url"`
	}
	wireTask struct {
		Source     string     `json:"source,omitempty"`
		EventID    string     `json:"eventId,omitempty"`
		EventTime  stamp      `json:"eventTime,omitzero"`
		JobID      string     `json:"jobId,omitempty"`
		JobName    string     `json:"jobName,omitempty"`
		JobType    string     `json:"jobType,omitempty"`
		Status     string     `json:"status,omitempty"`
		Workspace  wireNamed  `json:"workspace,omitzero"`
		Region     string     `json:"region,omitempty"`
		Owner      wireNamed  `json:"owner,omitzero"`
		Times      wireTimes  `json:"times,omitzero"`
		Reason     wireReason `json:"reason,omitzero"`
		ConsoleURL string     `json:"consoleUrl,omitempty"`
	}
	wireNamed struct {
		ID   string `json:"id,omitempty"`
		Name string `json:"name,omitempty"`
	}
	wireTimes struct {
		Created         stamp   `json:"created,omitzero"`
		Started         stamp   `json:"started,omitzero"`
		Finished        stamp   `json:"finished,omitzero"`
		DurationSeconds float64 `json:"durationSeconds,omitempty"`
	}
	wireReason struct {
		Code    string `json:"code,omitempty"`
		Message string `json:"message,omitempty"`
	}
)

// stamp is a time written as RFC 3339 in UTC.
type stamp time.Time

func (s stamp) IsZero() bool { return time.Time(s).IsZero() }

func (s stamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(s).UTC().Format(time.RFC3339Nano) + `"`), nil
}

func toneName(t channel.Tone) string {
	switch t {
	case channel.ToneGood:
		return "good"
	case channel.ToneBad:
		return "bad"
	}
	return "info"
}

func task(t *channel.Task) wireTask {
	return wireTask{
		Source: t.Source, EventID: t.EventID, EventTime: stamp(t.EventTime),
		JobID: t.JobID, JobName: t.JobName, JobType: t.JobType, Status: t.Status,
		Workspace: wireNamed{ID: t.WorkspaceID, Name: t.WorkspaceName},
		Region:    t.Region,
		Owner:     wireNamed{ID: t.OwnerID, Name: t.OwnerName},
		Times: wireTimes{Created: stamp(t.Created), Started: stamp(t.Started), Finished: stamp(t.Finished),
			DurationSeconds: t.Duration.Seconds()},
		Reason:     wireReason{Code: t.ReasonCode, Message: t.ReasonMessage},
		ConsoleURL: t.ConsoleURL,
	}
}

// data lays out m with at most n items and n tasks.
func data(m *channel.Message, n int) wireData {
	d := wireData{Title: m.Title, Tone: toneName(m.Tone), Footer: m.Footer}
	for _, f := range m.Fields {
		d.Fields = append(d.Fields, wireField{Label: f.Label, Value: f.Value})
	}
	for _, it := range m.Items[:min(n, len(m.Items))] {
		d.Items = append(d.Items, wireItem{Text: it.Text, URL: it.URL, Tone: toneName(it.Tone)})
	}
	d.ItemsOmitted = len(m.Items) - len(d.Items)
	for i := range m.Tasks[:min(n, len(m.Tasks))] {
		d.Tasks = append(d.Tasks, task(&m.Tasks[i]))
	}
	d.TasksOmitted = len(m.Tasks) - len(d.Tasks)
	if m.LinkURL != "" {
		d.Link = &wireLink{Text: m.LinkText, URL: m.LinkURL}
	}
	return d
}

// eventTime is when the message's latest task changed state, or now for a
// message about no task (a test message).
func eventTime(m *channel.Message, now time.Time) time.Time {
	var t time.Time
	for i := range m.Tasks {
		if m.Tasks[i].EventTime.After(t) {
			t = m.Tasks[i].EventTime
		}
	}
	if t.IsZero() {
		return now
	}
	return t
}

// Body returns the exact JSON a receiver gets for m, and the message's
// webhook-id. The payload's timestamp is the time of the latest task's
// event (so a retry sends the same bytes), or now when m holds no task.
//
// The id is "msg_" and the base32 of the first 20 bytes of SHA-256 over
// the encoded "data" object: the same message gives the same id on every
// retry, as the spec requires of webhook-id, and a different message (any
// other task, status or event id) a different one. Two sends of an
// identical message, such as the same test message twice, share an id and
// a deduplicating receiver keeps one: the sender's retries and a person's
// repeat look the same from the content.
//
// A digest that does not fit MaxBodyBytes keeps its first items and tasks
// and counts the rest in itemsOmitted and tasksOmitted. Mentions and the
// keyword have no meaning for a program and are not sent.
func Body(m channel.Message, now time.Time) (body []byte, id string, err error) {
	ts := eventTime(&m, now).UTC().Format(time.RFC3339Nano)
	n := max(len(m.Items), len(m.Tasks))
	body, id, err = encode(data(&m, n), ts)
	if err != nil || len(body) <= MaxBodyBytes || n == 0 {
		return body, id, err
	}
	lo, hi := 0, n-1
	for lo < hi { // the most items and tasks that fit
		mid := (lo + hi + 1) / 2
		b, _, err := encode(data(&m, mid), ts)
		if err != nil {
			return nil, "", err
		}
		if len(b) <= MaxBodyBytes {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return encode(data(&m, lo), ts)
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func encode(d wireData, ts string) ([]byte, string, error) {
	dataJSON, err := channel.JSON(d)
	if err != nil {
		return nil, "", fmt.Errorf("webhook: encode data: %w", err)
	}
	sum := sha256.Sum256(dataJSON)
	id := "msg_" + idEncoding.EncodeToString(sum[:20])

	var out bytes.Buffer
	out.Grow(len(dataJSON) + 80)
	out.WriteString(`{"type":"` + EventType + `","timestamp":"` + ts + `","data":`)
	out.Write(dataJSON)
	out.WriteByte('}')
	return out.Bytes(), id, nil
}
