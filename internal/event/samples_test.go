package event

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/golden"
)

// received is the receive time every test passes; a Task's EventTime equals
// it only when the event's own time was unreadable.
var received = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	dlcURLBase = "https://pai.console.aliyun.com/?regionId=ap-southeast-1&workspaceId=249407#/job/detail?jobId="
	overview   = "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=249407#/workspace/overview"
)

// sampleC is the Task of events/dlc-failed.json (sample C); the AWS-forwarded
// and SQS samples carry the same job.
var sampleC = Task{
	EventID: "6f1e2d3c-0000-4a5b-9c8d-000000000001", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged",
	EventTime: ts("2026-01-06T16:02:11+08:00"),
	Source:    DLC, JobID: "dlc1gbd4p5lft9tx", JobName: "debug-webhook_clone", JobType: "PyTorchJob", Status: "Failed",
	WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "ap-southeast-1",
	CreatorID: "211790764591639068", CreatorName: "leilei",
	ReasonCode: "JobFailed", ReasonMessage: "Job failed: worker-0 exited with code 1",
	EventLabel: "任务失败", EventMessage: "任务已失败",
	Created: ts("2026-01-06T07:18:21Z"), Finished: ts("2026-01-06T08:02:10Z"),
	Duration:   43*time.Minute + 49*time.Second,
	ConsoleURL: dlcURLBase + "dlc1gbd4p5lft9tx&page=jobs",
}

// sampleSucceeded is the Task of events/dlc-succeeded.json.
var sampleSucceeded = Task{
	EventID: "6f1e2d3c-0000-4a5b-9c8d-000000000002", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged",
	EventTime: ts("2026-01-06T15:40:00+08:00"),
	Source:    DLC, JobID: "dlc1gbd4p5lft9tx", JobName: "debug-webhook_clone", Status: "Succeeded",
	WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "ap-southeast-1",
	CreatorID: "211790764591639068", CreatorName: "leilei",
	EventLabel: "任务成功", EventMessage: "任务已成功",
	Created: ts("2026-01-06T07:18:21Z"), Finished: ts("2026-01-06T07:40:00Z"),
	Duration:   1299 * time.Second,
	ConsoleURL: dlcURLBase + "dlc1gbd4p5lft9tx&page=jobs",
}

func with(t Task, edit func(*Task)) Task { edit(&t); return t }

func kinds(ks ...Kind) KindSet {
	var s KindSet
	for _, k := range ks {
		s |= kindBit(k)
	}
	return s
}

// sampleWants is what every file in events/ must give. TestSamples fails
// for a sample file missing here, so a new sample cannot go unasserted.
var sampleWants = map[string]struct {
	tasks      []Task
	skips      []Skip
	unreadable []string // reasons
	brief      []string // "source jobId status kinds" per task, for samples whose every field samples.golden shows
}{
	"dlc-failed.json":    {tasks: []Task{sampleC}},
	"dlc-succeeded.json": {tasks: []Task{sampleSucceeded}},
	"dlc-stopped.json": {tasks: []Task{{
		EventID: "6f1e2d3c-0000-4a5b-9c8d-000000000003", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged",
		EventTime: ts("2026-01-07T10:11:12+08:00"),
		Source:    DLC, JobID: "dlc2abcde12345xy", JobName: "llm-sft-run-7", Status: "Stopped",
		WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "ap-southeast-1",
		CreatorID: "211790764591639068", CreatorName: "leilei",
		ReasonCode: "StoppedByUser", ReasonMessage: "Job is stopped by user",
		Created: ts("2026-01-07T01:00:00Z"), Finished: ts("2026-01-07T02:11:12Z"),
		Duration:   time.Hour + 11*time.Minute + 12*time.Second,
		ConsoleURL: dlcURLBase + "dlc2abcde12345xy&page=jobs",
	}}},
	"dlc-running.json": {tasks: []Task{{
		EventID: "6f1e2d3c-0000-4a5b-9c8d-000000000006", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged",
		EventTime: ts("2026-01-10T01:05:30.25Z"), // "2026-01-10T09:05:30.250PRC"
		Source:    DLC, JobID: "dlc3runningjob01", JobName: "qwen-lora-eval", JobType: "PyTorchJob", Status: "Running",
		WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "ap-southeast-1",
		CreatorID: "211790764591639068", CreatorName: "leilei",
		EventLabel: "开始运行", EventMessage: "任务已开始运行",
		Created: ts("2026-01-10T01:00:00Z"), Started: ts("2026-01-10T01:05:29Z"),
		ConsoleURL: dlcURLBase + "dlc3runningjob01&page=jobs",
	}}},
	"paiflow-failed.json": {tasks: []Task{{
		EventID: "9a8b7c6d-0000-4e5f-8a9b-000000000004", EventSource: "acs.pai", EventType: "pai:PAIFlow:PipelineRunStatusChanged",
		EventTime: ts("2026-01-08T09:30:05+08:00"),
		Source:    PAIFlow, JobID: "flow-abc123def456", JobName: "ctr-feature-pipeline", Status: "Failed",
		WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "cn-hangzhou",
		CreatorID: "211790764591639068", CreatorName: "leilei", PipelineID: "pipeline-0a1b2c3d", PipelineName: "ctr-feature-pipeline",
		ReasonMessage: "node 'SQL Script-1' failed", // Message without an Event label is the reason
		Created:       ts("2026-01-08T01:10:00Z"), Finished: ts("2026-01-08T01:30:05Z"),
		Duration:   20*time.Minute + 5*time.Second,
		ConsoleURL: overview,
	}}},
	"paiflow-succeeded.json": {tasks: []Task{{
		EventID: "9a8b7c6d-0000-4e5f-8a9b-000000000005", EventSource: "acs.pai", EventType: "pai:PAIFlow:PipelineRunStatusChanged",
		EventTime: ts("2026-01-08T11:00:00+08:00"),
		Source:    PAIFlow, JobID: "flow-xyz789", JobName: "ctr-feature-pipeline", Status: "Succeeded",
		WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "cn-hangzhou",
		CreatorID: "211790764591639068", CreatorName: "leilei", PipelineID: "pipeline-0a1b2c3d", PipelineName: "ctr-feature-pipeline",
		Created: ts("2026-01-08T02:00:00Z"), Finished: ts("2026-01-08T03:00:00Z"),
		Duration:   time.Hour,
		ConsoleURL: overview,
	}}},
	"fc-batch.json": {tasks: []Task{
		{
			EventID: "b-1", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged", EventTime: ts("2026-01-09T08:00:00+08:00"),
			Source: DLC, JobID: "dlcaaa111", JobName: "job-a", Status: "Failed",
			WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "cn-hangzhou", CreatorID: "2117...",
			ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=249407#/job/detail?jobId=dlcaaa111&page=jobs",
		},
		{
			EventID: "b-2", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged", EventTime: ts("2026-01-09T08:00:03+08:00"),
			Source: DLC, JobID: "dlcbbb222", JobName: "job-b", Status: "Succeeded",
			WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "cn-hangzhou", CreatorID: "2117...",
			ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=249407#/job/detail?jobId=dlcbbb222&page=jobs",
		},
	}},
	"fc-batch-strings.json": {tasks: []Task{
		{
			EventID: "s-1", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged", EventTime: ts("2026-01-09T08:10:00+08:00"),
			Source: DLC, JobID: "dlcccc333", JobName: "job-c", JobType: "TFJob", Status: "Failed",
			WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "cn-hangzhou", CreatorID: "211790764591639068",
			ReasonCode: "OOMKilled", ReasonMessage: "worker-1 was OOM killed",
			Created: ts("2026-01-09T00:00:00Z"), Finished: ts("2026-01-09T00:10:00Z"), Duration: 10 * time.Minute,
			ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=249407#/job/detail?jobId=dlcccc333&page=jobs",
		},
		{
			EventID: "s-2", EventSource: "acs.pai", EventType: "pai:PAIFlow:PipelineRunStatusChanged", EventTime: ts("2026-01-09T08:20:00+08:00"),
			Source: PAIFlow, JobID: "flow-def456", JobName: "ctr-feature-pipeline", Status: "Terminated",
			WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "cn-hangzhou", CreatorID: "211790764591639068",
			PipelineID: "pipeline-0a1b2c3d",
			Created:    ts("2026-01-09T00:15:00Z"), Finished: ts("2026-01-09T00:20:00Z"), Duration: 5 * time.Minute,
			ConsoleURL: overview,
		},
	}},
	"aws-sagemaker-training-failed.json": {tasks: []Task{{
		EventID: "844e2571-85d4-695f-b930-0153b71dcb42", EventSource: "aws.sagemaker", EventType: "SageMaker Training Job State Change",
		EventTime: ts("2018-10-06T12:26:13Z"),
		Source:    SageMaker, JobID: "89c96cc8-dded-4739-afcc-6f1dc936701d", JobName: "89c96cc8-dded-4739-afcc-6f1dc936701d",
		Status: "Failed", Region: "us-east-1", Kinds: kinds(KindFailed, KindEnded),
		ConsoleURL:    "https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/89c96cc8-dded-4739-afcc-6f1dc936701d",
		ReasonMessage: `AlgorithmError: ExecuteUserScriptError: Command "/usr/bin/python3 train.py" exited with code 1`,
		Created:       time.UnixMilli(1583831889050), Started: time.UnixMilli(1583831949050), Finished: time.UnixMilli(1583832549050),
		Duration: 10 * time.Minute,
	}}},
	"aws-pai-forwarded.json": {tasks: []Task{with(sampleC, func(t *Task) {
		t.EventID, t.EventTime = "0d7c3f3e-5a1b-4c2d-9e8f-000000000007", ts("2026-01-06T08:02:12Z")
	})}},
	// FC event-streaming triggers fed by a queue the bus rule targets: the
	// same two DLC events inside MNS and RocketMQ message bodies.
	"fc-mns-batch.json":      {tasks: []Task{sampleC, sampleSucceeded}},
	"fc-rocketmq-batch.json": {tasks: []Task{sampleC, sampleSucceeded}},
	"sqs-records.json": {tasks: []Task{inRecord(sampleC, "059f36b4-87a3-44ab-83d2-661975830a7d"), {
		SQSMessageID: "2e1424d4-f796-459a-8184-9c92662be6da",
		EventID:      "315c1398-40ff-a850-213b-158f73kd93ir", EventSource: "aws.sagemaker",
		EventType: "SageMaker Model Building Pipeline Execution Status Change", EventTime: ts("2021-03-15T16:10:11Z"),
		Source: SageMaker, JobID: "arn:aws:sagemaker:us-east-1:123456789012:pipeline/myPipeline-123/execution/p4jn9xou8a8s",
		JobName: "SomeDisplayName", Status: "Succeeded", Region: "us-east-1", Kinds: kinds(KindSucceeded, KindEnded),
		ConsoleURL:   "https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1",
		PipelineID:   "arn:aws:sagemaker:us-east-1:123456789012:pipeline/myPipeline-123",
		PipelineName: "myPipeline-123",
		Started:      ts("2021-03-15T16:03:13Z"), Finished: ts("2021-03-15T16:10:10Z"), Duration: 6*time.Minute + 57*time.Second,
	}}},
	// PAI's notification kinds (reconstructed events).
	"dlc-queuing.json":          {brief: []string{"dlc dlc4queuing00001 Queuing queued"}},
	"dlc-bidding.json":          {brief: []string{"dlc dlc4bidding00001 Bidding bidding"}},
	"dlc-env-preparing.json":    {brief: []string{"dlc dlc1gbd4p5lft9tx EnvPreparing preparing"}},
	"dlc-failed-reserving.json": {brief: []string{"dlc dlc4reserve00001 FailedReserving retained"}},
	"dlc-preempted.json":        {brief: []string{"dlc dlc4preempt00001 Restarting preempted"}},
	"dlc-queue-timeout.json":    {brief: []string{"dlc dlc4timeout00001 Stopped timeout,stopped,ended"}},
	"dlc-fault-tolerance.json":  {brief: []string{"dlc dlc4faulttol0001 Restarting faultTolerance"}},
	// The fallbacks: status only in the type; keys nested, lower case, padded.
	"dlc-status-in-type.json": {brief: []string{"dlc dlc4typeonly0001 Failed failed,ended"}},
	"dlc-nested-keys.json":    {brief: []string{"dlc dlc4nested000001 Failed failed,ended"}},
	// The other sources.
	"dsw-stopped.json":            {brief: []string{"dsw dsw-7b6c5d4e3f2a1b0c Stopped stopped,ended"}},
	"model-version-approved.json": {brief: []string{"model model-3f2e1d0c9b8a Approved ended"}},
	// A PAI event whose keys the parser does not know: loud, never a skip.
	"pai-unknown-keys.json":   {unreadable: []string{`PAI event of no known product (dlc, paiflow, dsw or model; type "pai:Job:StateChanged")`}},
	"oss-object-created.json": {skips: []Skip{{Index: 0, EventID: "1CF2B5AC9D5B4A6D8C1B2A3F4E5D6C7B", Reason: `source "acs.oss" is not PAI`}}},
}

func sampleFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events found: %v", err)
	}
	return files
}

func TestSamples(t *testing.T) {
	p, err := NewParser(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range sampleFiles(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			want, ok := sampleWants[name]
			if !ok {
				t.Fatalf("events/%s has no expectation in sampleWants", name)
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			b, err := p.Parse(body, received)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if want.brief != nil {
				var got []string
				for _, task := range b.Tasks {
					got = append(got, fmt.Sprintf("%s %s %s %s", task.Source, task.JobID, task.Status, task.Kinds))
				}
				if !slices.Equal(got, want.brief) {
					t.Errorf("got %q, want %q", got, want.brief)
				}
			} else {
				checkBatch(t, b, want.tasks, want.skips)
			}
			var reasons []string
			for _, u := range b.Unreadable {
				reasons = append(reasons, u.Reason)
			}
			if !slices.Equal(reasons, want.unreadable) {
				t.Errorf("unreadable = %q, want %q", reasons, want.unreadable)
			}
		})
	}
}

func checkBatch(t *testing.T, b Batch, tasks []Task, skips []Skip) {
	t.Helper()
	if len(b.Tasks) != len(tasks) {
		t.Fatalf("got %d tasks, want %d: %+v (skipped %+v)", len(b.Tasks), len(tasks), b.Tasks, b.Skipped)
	}
	for i := range tasks {
		for _, d := range diffTask(b.Tasks[i], tasks[i]) {
			t.Errorf("task %d: %s", i, d)
		}
	}
	if !reflect.DeepEqual(b.Skipped, skips) && (len(b.Skipped) != 0 || len(skips) != 0) {
		t.Errorf("skipped = %+v\nwant      %+v", b.Skipped, skips)
	}
}

// diffTask compares every field, times by instant (the zone they were
// written in does not matter).
func diffTask(got, want Task) []string {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	var d []string
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if name == "Kinds" && w == KindSet(0) {
			continue // hand-written expectations leave kinds to TestKinds
		}
		if gt, ok := g.(time.Time); ok {
			if !gt.Equal(w.(time.Time)) {
				d = append(d, fmt.Sprintf("%s = %v, want %v", name, gt, w))
			}
			continue
		}
		if g != w {
			d = append(d, fmt.Sprintf("%s = %q, want %q", name, fmt.Sprint(g), fmt.Sprint(w)))
		}
	}
	return d
}

// TestSamplesGolden keeps a readable dump of what every sample gives, so a
// change in any field shows up in review as a diff of testdata/samples.golden.
func TestSamplesGolden(t *testing.T) {
	var out bytes.Buffer
	for _, file := range sampleFiles(t) {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		b, err := (&Parser{}).Traced().Parse(body, received)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		fmt.Fprintf(&out, "== %s\n", filepath.Base(file))
		for _, task := range b.Tasks {
			dumpTask(&out, task)
		}
		for _, s := range b.Skipped {
			fmt.Fprintf(&out, "skip %d %q: %s\n", s.Index, s.EventID, s.Reason)
		}
		for _, u := range b.Unreadable {
			fmt.Fprintf(&out, "unreadable %d %q: %s\n  paths %s\n", u.Index, u.EventID, u.Reason, strings.Join(u.Paths, " "))
		}
	}
	golden.Check(t, "samples", out.Bytes())
}

func dumpTask(w *bytes.Buffer, task Task) {
	v := reflect.ValueOf(task)
	w.WriteString("task\n")
	for i := range v.NumField() {
		f := v.Field(i).Interface()
		switch x := f.(type) {
		case time.Time:
			if x.IsZero() {
				continue
			}
			f = x.UTC().Format(time.RFC3339Nano)
		case string:
			if x == "" {
				continue
			}
		case time.Duration:
			if x == 0 {
				continue
			}
		case KindSet:
			f = x.String()
		case *Origins:
			// Where each field was read, in FieldNames order.
			for _, name := range FieldNames {
				if p := x.Path(name); p != "" {
					fmt.Fprintf(w, "  from %-13s %s\n", name, p)
				}
			}
			continue
		}
		fmt.Fprintf(w, "  %-13s %v\n", v.Type().Field(i).Name, f)
	}
}

func TestSampleFilesArePrettyJSON(t *testing.T) {
	for _, file := range sampleFiles(t) {
		body, _ := os.ReadFile(file)
		if !strings.HasPrefix(string(body), "{\n") && !strings.HasPrefix(string(body), "[\n") {
			t.Errorf("%s: want pretty JSON (one key per line)", file)
		}
	}
}
