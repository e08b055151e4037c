package message

import (
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// Tasks built by hand from the sample events in events/ (dlc-failed,
// dlc-succeeded, dlc-stopped, paiflow-*, fc-batch, the SageMaker ones), the
// way the event parser maps them, so these tests do not depend on the
// parser (TestSampleEventsGolden renders the parsed samples).

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

const console249407 = "https://pai.console.aliyun.com/?regionId=ap-southeast-1&workspaceId=249407#/job/detail?jobId="

// sampleC: DLC job Failed.
func sampleC() *event.Task {
	return &event.Task{
		EventID: "6f1e2d3c-0000-4a5b-9c8d-000000000001", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged",
		EventTime: at("2026-01-06T16:02:11+08:00"),
		Source:    event.DLC, JobID: "dlc1gbd4p5lft9tx", JobName: "debug-webhook_clone", JobType: "PyTorchJob",
		Status: "Failed", ReasonCode: "JobFailed", ReasonMessage: "Job failed: worker-0 exited with code 1",
		WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "ap-southeast-1",
		CreatorID: "211790764591639068", CreatorName: "leilei",
		Created: at("2026-01-06T07:18:21Z"), Finished: at("2026-01-06T08:02:10Z"),
		Duration:   43*time.Minute + 49*time.Second,
		EventLabel: "任务失败", EventMessage: "任务已失败",
		ConsoleURL: console249407 + "dlc1gbd4p5lft9tx&page=jobs",
	}
}

// sampleD: DLC job Succeeded.
func sampleD() *event.Task {
	return &event.Task{
		EventID: "6f1e2d3c-0000-4a5b-9c8d-000000000002", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged",
		EventTime: at("2026-01-06T15:40:00+08:00"),
		Source:    event.DLC, JobID: "dlc1gbd4p5lft9tx", JobName: "debug-webhook_clone", Status: "Succeeded",
		WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "ap-southeast-1",
		CreatorID: "211790764591639068", CreatorName: "leilei",
		Created: at("2026-01-06T07:18:21Z"), Finished: at("2026-01-06T07:40:00Z"), Duration: 1299 * time.Second,
		EventLabel: "任务成功", EventMessage: "任务已成功",
		ConsoleURL: console249407 + "dlc1gbd4p5lft9tx&page=jobs",
	}
}

// sampleE: DLC job Stopped by user.
func sampleE() *event.Task {
	return &event.Task{
		EventID: "6f1e2d3c-0000-4a5b-9c8d-000000000003", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged",
		EventTime: at("2026-01-07T10:11:12+08:00"),
		Source:    event.DLC, JobID: "dlc2abcde12345xy", JobName: "llm-sft-run-7", Status: "Stopped",
		ReasonCode: "StoppedByUser", ReasonMessage: "Job is stopped by user",
		WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "ap-southeast-1",
		CreatorID: "211790764591639068", CreatorName: "leilei",
		Created: at("2026-01-07T01:00:00Z"), Finished: at("2026-01-07T02:11:12Z"), Duration: time.Hour + 11*time.Minute + 12*time.Second,
		ConsoleURL: console249407 + "dlc2abcde12345xy&page=jobs",
	}
}

// sampleF: PAIFlow pipeline run Failed.
func sampleF() *event.Task {
	return &event.Task{
		EventID: "9a8b7c6d-0000-4e5f-8a9b-000000000004", EventSource: "acs.pai", EventType: "pai:PAIFlow:PipelineRunStatusChanged",
		EventTime: at("2026-01-08T09:30:05+08:00"),
		Source:    event.PAIFlow, JobID: "flow-abc123def456", JobName: "ctr-feature-pipeline", Status: "Failed",
		PipelineID:    "pipeline-0a1b2c3d",
		ReasonMessage: "node 'SQL Script-1' failed",
		WorkspaceID:   "249407", WorkspaceName: "pre_train", Region: "cn-hangzhou",
		CreatorID: "211790764591639068", CreatorName: "leilei",
		Created: at("2026-01-08T01:10:00Z"), Finished: at("2026-01-08T01:30:05Z"), Duration: 20*time.Minute + 5*time.Second,
		ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=249407#/workspace/overview",
	}
}

// sampleG: PAIFlow pipeline run Succeeded.
func sampleG() *event.Task {
	return &event.Task{
		EventID: "9a8b7c6d-0000-4e5f-8a9b-000000000005", EventSource: "acs.pai", EventType: "pai:PAIFlow:PipelineRunStatusChanged",
		EventTime: at("2026-01-08T11:00:00+08:00"),
		Source:    event.PAIFlow, JobID: "flow-xyz789", JobName: "ctr-feature-pipeline", Status: "Succeeded",
		WorkspaceID: "249407", WorkspaceName: "pre_train", Region: "cn-hangzhou",
		CreatorID: "211790764591639068", CreatorName: "leilei",
		Created: at("2026-01-08T02:00:00Z"), Finished: at("2026-01-08T03:00:00Z"), Duration: time.Hour,
		ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=249407#/workspace/overview",
	}
}

// sampleH: the two events of the batch delivery.
func sampleH() []*event.Task {
	return []*event.Task{
		{EventID: "b-1", Source: event.DLC, JobID: "dlcaaa111", JobName: "job-a", Status: "Failed", WorkspaceID: "249407",
			CreatorID: "2117...", Region: "cn-hangzhou",
			ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=249407#/job/detail?jobId=dlcaaa111&page=jobs"},
		{EventID: "b-2", Source: event.DLC, JobID: "dlcbbb222", JobName: "job-b", Status: "Succeeded", WorkspaceID: "249407",
			CreatorID: "2117...", Region: "cn-hangzhou",
			ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-hangzhou&workspaceId=249407#/job/detail?jobId=dlcbbb222&page=jobs"},
	}
}

// sampleI: AWS SageMaker training job Completed, told as Succeeded, linked to
// its region's SageMaker console.
func sampleI() *event.Task {
	ms := time.UnixMilli(1583831889050).UTC()
	return &event.Task{
		EventID: "844e2571-85d4-695f-b930-0153b71dcb42", EventSource: "aws.sagemaker", EventType: "SageMaker Training Job State Change",
		EventTime: at("2018-10-06T12:26:13Z"),
		Source:    event.SageMaker, JobID: "89c96cc8-dded-4739-afcc-6f1dc936701d", JobName: "89c96cc8-dded-4739-afcc-6f1dc936701d",
		Status: "Succeeded", Region: "us-east-1",
		Created: ms, Started: ms, Finished: ms,
		ConsoleURL: "https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1#/jobs/89c96cc8-dded-4739-afcc-6f1dc936701d",
	}
}

// sampleJ: AWS SageMaker pipeline execution Succeeded.
func sampleJ() *event.Task {
	return &event.Task{
		EventID: "315c1398-40ff-a850-213b-158f73kd93ir", EventSource: "aws.sagemaker",
		EventType: "SageMaker Model Building Pipeline Execution Status Change",
		EventTime: at("2021-03-15T16:10:11Z"),
		Source:    event.SageMaker, Status: "Succeeded", Region: "us-east-1",
		ConsoleURL: "https://us-east-1.console.aws.amazon.com/sagemaker/home?region=us-east-1",
		JobID:      "arn:aws:sagemaker:us-east-1:123456789012:pipeline/myPipeline-123/execution/p4jn9xou8a8s",
		JobName:    "SomeDisplayName",
		PipelineID: "arn:aws:sagemaker:us-east-1:123456789012:pipeline/myPipeline-123",
		Started:    at("2021-03-15T16:03:13Z"), Finished: at("2021-03-15T16:10:10Z"), Duration: 6*time.Minute + 57*time.Second,
	}
}

// fiveTasks is a mixed batch for digest goldens, deliberately not sorted
// by status.
func fiveTasks() []*event.Task {
	return []*event.Task{sampleD(), sampleC(), sampleG(), sampleE(), sampleF()}
}
