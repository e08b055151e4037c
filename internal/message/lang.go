package message

import (
	"strconv"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// lang is everything that differs between the Chinese and English messages.
// The Chinese labels and event words are the ones PAI itself uses in its
// notifications (任务名称, 相关事件: 进入排队, 开始运行 ... as in a DLC
// notification PAI sent, captured in github.com/gali-leilei/bullet
// tests/artifacts/aliyun.jsonl), so a message reads like PAI's own.
type lang struct {
	en bool

	// Times are told in the rule's zone (timezone:, NOTIFY_TIMEZONE,
	// default Asia/Shanghai as PAI shows them) with the offset always
	// written, so a reader in another zone is never misled.
	loc *time.Location

	sep string // between a label and its value

	jobType, workspace, region, creator, pipeline, version   string
	created, started, finished, duration, failReason, reason string
	eventLabel, eventMessage, console, truncated             string
}

var zh = lang{
	sep:     "：",
	jobType: "任务类型", workspace: "工作空间", region: "所属区域", creator: "创建者", pipeline: "流水线", version: "版本",
	created: "创建时间", started: "开始时间", finished: "结束时间", duration: "运行时长",
	failReason: "失败原因", reason: "状态详情",
	eventLabel: "相关事件", eventMessage: "消息内容",
	console: "在控制台查看", truncated: "…(已截断)",
}

var en = lang{
	en:      true,
	sep:     ": ",
	jobType: "Job type", workspace: "Workspace", region: "Region", creator: "Creator", pipeline: "Pipeline", version: "Version",
	created: "Created", started: "Started", finished: "Finished", duration: "Duration",
	failReason: "Failure reason", reason: "Reason",
	eventLabel: "Event", eventMessage: "Message",
	console: "Open in console", truncated: "…(truncated)",
}

// defaultZone is event.DefaultZone, loaded once.
var defaultZone = func() *time.Location {
	loc, err := event.LoadZone(event.DefaultZone)
	if err != nil {
		return time.FixedZone("UTC+8", 8*3600) // Asia/Shanghai has had no DST since 1991
	}
	return loc
}()

// pickLang returns the words of o.Lang, telling times in o.Location.
func pickLang(o Options) *lang {
	l := zh
	if strings.EqualFold(o.Lang, "en") {
		l = en
	}
	l.loc = o.Location
	if l.loc == nil {
		l.loc = defaultZone
	}
	return &l
}

// thing is what a source's tasks are called: in titles, in the labels of
// their name, id and status, and in event messages.
type thing struct {
	zhTitle, enTitle       string // DLC任务通知 / DLC job
	zhNoun                 string // 任务, 实例, 模型版本
	zhName, zhID, zhStatus string
	enName, enID, enStatus string
}

var things = map[event.Source]thing{
	event.DLC:       {"DLC任务通知", "DLC job", "任务", "任务名称", "任务ID", "任务状态", "Job name", "Job ID", "Status"},
	event.PAIFlow:   {"PAIFlow任务通知", "PAIFlow run", "任务", "任务名称", "任务ID", "任务状态", "Run name", "Run ID", "Status"},
	event.DSW:       {"DSW实例通知", "DSW instance", "实例", "实例名称", "实例ID", "实例状态", "Instance name", "Instance ID", "Status"},
	event.Model:     {"模型版本通知", "Model version", "模型版本", "模型名称", "模型ID", "审批状态", "Model name", "Model ID", "Approval status"},
	event.SageMaker: {"SageMaker任务通知", "SageMaker job", "任务", "任务名称", "任务ID", "任务状态", "Job name", "Job ID", "Status"},
}

var unknownThing = thing{"PAI任务通知", "PAI job", "任务", "任务名称", "任务ID", "任务状态", "Job name", "Job ID", "Status"}

func thingOf(t *event.Task) thing {
	th, ok := things[t.Source]
	if !ok {
		return unknownThing
	}
	if t.Source == event.SageMaker && t.PipelineID != "" {
		th.zhTitle, th.enTitle = "SageMaker流水线通知", "SageMaker pipeline execution"
		th.enName, th.enID = "Execution name", "Execution ARN"
	}
	return th
}

// subject opens every title and heading: DLC任务通知 / DLC job.
func (l *lang) subject(t *event.Task) string {
	if l.en {
		return thingOf(t).enTitle
	}
	return thingOf(t).zhTitle
}

// labels are the labels of a task's name, id and status.
func (l *lang) labels(t *event.Task) (name, id, status string) {
	th := thingOf(t)
	if l.en {
		return th.enName, th.enID, th.enStatus
	}
	return th.zhName, th.zhID, th.zhStatus
}

// statusWords are the human words for statuses of every source; an unknown
// status is shown as sent.
var statusWords = map[string][2]string{ // status -> zh, en
	"Failed": {"失败", "failed"}, "Succeeded": {"成功", "succeeded"}, "Stopped": {"已停止", "stopped"},
	"Terminated": {"已终止", "terminated"}, "Running": {"运行中", "running"}, "Queuing": {"排队中", "queuing"},
	"Bidding": {"竞价中", "bidding"}, "EnvPreparing": {"环境准备中", "preparing the environment"},
	"SucceededReserving": {"成功后保留", "retained after success"}, "FailedReserving": {"失败后保留", "retained after failure"},
	"Restarting": {"重启中", "restarting"}, "Stopping": {"停止中", "stopping"}, "Creating": {"创建中", "creating"},
	"SubmitFailed": {"提交失败", "submit failed"}, "ResourceAllocating": {"资源准备中", "allocating resources"},
	"Starting": {"启动中", "starting"}, "Saving": {"保存中", "saving"}, "Saved": {"已保存", "saved"},
	"SaveFailed": {"保存失败", "save failed"}, "Recovering": {"恢复中", "recovering"},
	"Pending": {"待审批", "pending approval"}, "Approved": {"审批通过", "approved"}, "Rejected": {"审批拒绝", "rejected"},
}

// statusWord is the human word for a status; an unknown status is shown as
// sent.
func (l *lang) statusWord(status string) string {
	canonical, _ := event.CanonicalStatus("", status) // event owns the spelling of statuses
	w, ok := statusWords[canonical]
	switch {
	case !ok:
		return status
	case l.en:
		return w[1]
	}
	return w[0]
}

// kindWords say what happened, for each kind, in PAI's words: the 相关事件
// PAI's own notifications carry (进入排队, 开始准备环境, 开始运行, 任务成功 are
// verbatim; the others follow their pattern and PAI's event names).
var kindWords = map[event.Kind][2]string{ // kind -> zh, en
	event.KindQueued:         {"进入排队", "Entered the queue"},
	event.KindBidding:        {"开始竞价", "Started bidding"},
	event.KindPreparing:      {"开始准备环境", "Started preparing the environment"},
	event.KindRunning:        {"开始运行", "Started running"},
	event.KindSucceeded:      {"%s成功", "Succeeded"},
	event.KindFailed:         {"%s失败", "Failed"},
	event.KindStopped:        {"%s停止", "Stopped"},
	event.KindFaultTolerance: {"自动容错", "Automatic fault tolerance"},
	event.KindTimeout:        {"%s超时", "Timed out"},
	event.KindPreempted:      {"%s被抢占", "Preempted"},
}

// happened is the 相关事件 of a task whose event carries none: what its
// main kind says, in PAI's words. Retained tells success from failure;
// model versions say approved or rejected; "" when nothing is known.
func (l *lang) happened(t *event.Task) string {
	return l.kindWord(t, thingOf(t).zhNoun)
}

// kindWord is happened with zhNoun as the Chinese subject (任务失败), or
// none (失败) in a title that already names it.
func (l *lang) kindWord(t *event.Task, zhNoun string) string {
	status, _ := event.CanonicalStatus(t.Source, t.Status)
	kinds := t.Kinds | event.StatusKinds(t.Source, status)
	k := kinds.Main()
	switch {
	case k == event.KindRetained, t.Source == event.Model && k == event.KindEnded:
		return l.statusWord(status)
	case k == event.KindEnded:
		k = event.KindStopped
	}
	w, ok := kindWords[k]
	switch {
	case !ok:
		return ""
	case l.en:
		return w[1]
	}
	return strings.Replace(w[0], "%s", zhNoun, 1)
}

// headline is the word a title ends with: what happened for the kinds told
// by words (被抢占, 超时, 自动容错), else the status word.
func (l *lang) headline(t *event.Task) string {
	status, _ := event.CanonicalStatus(t.Source, t.Status)
	if k := (t.Kinds | event.StatusKinds(t.Source, status)).Main(); k.ByWords() {
		w := l.kindWord(t, "")
		if l.en && w != "" {
			w = strings.ToLower(w[:1]) + w[1:] // mid-title: "DLC job x timed out"
		}
		return w
	}
	return l.statusWord(t.Status)
}

// fmtTime writes t in the rule's zone with its offset: 2026-01-06 15:18:21
// (UTC+8), (UTC-5), (UTC+5:30), (UTC+0).
func (l *lang) fmtTime(t time.Time) string {
	t = t.In(l.loc)
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	zone := "UTC" + sign + strconv.Itoa(off/3600)
	if m := off % 3600 / 60; m != 0 {
		zone += ":" + strconv.Itoa(m/10) + strconv.Itoa(m%10)
	}
	return t.Format(time.DateTime) + " (" + zone + ")"
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
	var b strings.Builder
	for _, u := range units {
		n := d / u.size
		d -= n * u.size
		if n == 0 {
			continue
		}
		b.WriteString(strconv.FormatInt(int64(n), 10))
		if l.en {
			b.WriteString(u.en)
		} else {
			b.WriteString(u.zh)
		}
	}
	return b.String()
}
