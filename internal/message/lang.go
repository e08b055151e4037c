package message

import (
	"strconv"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// lang is everything that differs between the Chinese and English messages.
// The Chinese labels are the ones PAI itself uses in its notifications (as
// captured in github.com/gali-leilei/bullet, tests/artifacts/aliyun.jsonl),
// so a message reads like PAI's own.
type lang struct {
	en bool

	// Times are shown in one fixed zone per language so a message (and a
	// golden file) never depends on the machine's TZ: UTC+8 for Chinese
	// readers (China has no DST, and PAI writes +08:00 itself), UTC for
	// English. A fixed zone also needs no tzdata in the function image.
	zone     *time.Location
	zoneNote string

	sep string // between a label and its value

	jobName, jobID, jobType, status, workspace, region, creator, pipeline string
	created, started, finished, duration, failReason, reason              string
	eventLabel, eventMessage, console, button, truncated                  string
}

var zh = &lang{
	zone:     time.FixedZone("UTC+8", 8*60*60),
	zoneNote: " (UTC+8)",
	sep:      "：",
	jobName:  "任务名称", jobID: "任务ID", jobType: "任务类型", status: "任务状态",
	workspace: "工作空间", region: "所属区域", creator: "创建者", pipeline: "流水线",
	created: "创建时间", started: "开始时间", finished: "结束时间", duration: "运行时长",
	failReason: "失败原因", reason: "状态详情",
	eventLabel: "相关事件", eventMessage: "消息内容",
	console: "在控制台查看", button: "查看详情", truncated: "…(已截断)",
}

var en = &lang{
	en:       true,
	zone:     time.UTC,
	zoneNote: " UTC",
	sep:      ": ",
	jobName:  "Job name", jobID: "Job ID", jobType: "Job type", status: "Status",
	workspace: "Workspace", region: "Region", creator: "Creator", pipeline: "Pipeline",
	created: "Created", started: "Started", finished: "Finished", duration: "Duration",
	failReason: "Failure reason", reason: "Reason",
	eventLabel: "Event", eventMessage: "Message",
	console: "Open in console", button: "View details", truncated: "…(truncated)",
}

func pickLang(s string) *lang {
	if strings.EqualFold(s, "en") {
		return en
	}
	return zh
}

// statusWord is the human word for a PAI status; an unknown status is shown
// as PAI sent it.
func (l *lang) statusWord(status string) string {
	type pair struct{ zh, en string }
	words := [...]struct {
		status string
		pair
	}{
		{"Failed", pair{"失败", "failed"}},
		{"Succeeded", pair{"成功", "succeeded"}},
		{"Stopped", pair{"已停止", "stopped"}},
		{"Terminated", pair{"已终止", "terminated"}},
		{"Running", pair{"运行中", "running"}},
	}
	for _, w := range words {
		if strings.EqualFold(w.status, status) {
			if l.en {
				return w.en
			}
			return w.zh
		}
	}
	return status
}

// colour is the <font> colour for a status: red for failure, green for
// success, orange for a job someone ended, blue for progress. Six-digit hex,
// since named colours reportedly render only on the PC client.
func colour(status string) string {
	switch {
	case event.Failed(status):
		return "#FF0000"
	case event.Succeeded(status):
		return "#00B42A"
	case strings.EqualFold(status, "Stopped"), strings.EqualFold(status, "Terminated"):
		return "#FF7D00"
	default:
		return "#1677FF"
	}
}

// fontTag opens a <font> in a status's colour.
func fontTag(status string) string { return `<font color="` + colour(status) + `">` }

// product names the PAI product in titles.
func product(s event.Source) string {
	switch s {
	case event.DLC:
		return "DLC"
	case event.PAIFlow:
		return "PAIFlow"
	default:
		return "PAI"
	}
}

// noun is what the English title calls one task of a source.
func noun(s event.Source) string {
	if s == event.PAIFlow {
		return "run"
	}
	return "job"
}

func (l *lang) fmtTime(t time.Time) string {
	return t.In(l.zone).Format(time.DateTime) + l.zoneNote
}

// fmtDuration writes d as 1小时2分3秒 / 1h2m3s, whole seconds, zero units left
// out, days spelled out for long runs.
func (l *lang) fmtDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		if l.en {
			return "<1s"
		}
		return "不足1秒"
	}
	units := [...]struct {
		size   time.Duration
		zh, en string
	}{
		{24 * time.Hour, "天", "d"},
		{time.Hour, "小时", "h"},
		{time.Minute, "分", "m"},
		{time.Second, "秒", "s"},
	}
	var b []byte
	for _, u := range units {
		n := d / u.size
		d -= n * u.size
		if n == 0 {
			continue
		}
		b = strconv.AppendInt(b, int64(n), 10)
		if l.en {
			b = append(b, u.en...)
		} else {
			b = append(b, u.zh...)
		}
	}
	return string(b)
}
