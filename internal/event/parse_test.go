package event

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, p *Parser, body string) Batch {
	t.Helper()
	b, err := p.Parse([]byte(body), received)
	if err != nil {
		t.Fatalf("Parse(%.80s): %v", body, err)
	}
	return b
}

func readSample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// inRecord is t as read from the SQS record id.
func inRecord(t Task, id string) Task { t.SQSMessageID = id; return t }

// mns is an MNS message as FC's event-streaming trigger delivers it with the
// CloudEvents schema (aliyun/fc-runtime-go-sdk events.MnsQueueEvent), its
// body holding body.
func mns(id, body string) string {
	return `{"id":"` + id + `","source":"acs.mns","specversion":"1.0","type":"mns:Queue:SendMessage",` +
		`"subject":"acs:mns:cn-hangzhou:1234567890123456:queues/pai-notifier-events","aliyunregionid":"cn-hangzhou",` +
		`"data":{"requestId":"606EA3074344430D4C81AAAA","messageId":"C6DB60D1574661357FA22727744` + id + `","messageBody":` + quote(body) + `}}`
}

// rocketmq is a RocketMQ message as an event-streaming trigger delivers it
// (aliyun/fc-runtime-go-sdk events/README_RocketMQ.md).
func rocketmq(id, body string) string {
	return `{"id":"` + id + `","source":"acs.rocketmq","specversion":"1.0","type":"mq:Topic:SendMessage",` +
		`"data":{"topic":"pai-notifier-events","systemProperties":{"MSG_REGION":"cn-hangzhou"},"userProperties":{},"body":` + quote(body) + `}}`
}

// quote JSON-encodes s, as an FC batch or an SQS body carries an event.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestShapes(t *testing.T) {
	c := readSample(t, "dlc-failed.json")
	oss := readSample(t, "oss-object-created.json")
	aws := readSample(t, "aws-pai-forwarded.json")
	awsC := with(sampleC, func(t *Task) {
		t.EventID, t.EventTime = "0d7c3f3e-5a1b-4c2d-9e8f-000000000007", ts("2026-01-06T08:02:12Z")
	})
	ossSkip := func(i int) Skip {
		return Skip{Index: i, EventID: "1CF2B5AC9D5B4A6D8C1B2A3F4E5D6C7B", Reason: `source "acs.oss" is not PAI`}
	}
	tests := []struct {
		name  string
		body  string
		tasks []Task
		skips []Skip
	}{
		{"object", c, []Task{sampleC}, nil},
		{"array of objects", "[" + c + "," + oss + "," + c + "]", []Task{sampleC, sampleC}, []Skip{ossSkip(1)}},
		{"array of strings", "[" + quote(c) + "," + quote(oss) + "]", []Task{sampleC}, []Skip{ossSkip(1)}},
		{"mixed array", "[" + quote(c) + "," + c + "]", []Task{sampleC, sampleC}, nil},
		{"empty array", "[]", nil, nil},
		{"top-level JSON string", quote(c), []Task{sampleC}, nil},
		{"aws envelope", aws, []Task{awsC}, nil},
		{"aws in array", "[" + aws + "]", []Task{awsC}, nil},
		{"sqs body string", `{"Records":[{"messageId":"m1","body":` + quote(c) + `}]}`, []Task{inRecord(sampleC, "m1")}, nil},
		{"sqs body object", `{"Records":[{"messageId":"m1","body":` + c + `}]}`, []Task{inRecord(sampleC, "m1")}, nil},
		{"sqs body array", `{"Records":[{"messageId":"m1","body":` + quote("["+c+","+oss+"]") + `}]}`, []Task{inRecord(sampleC, "m1")}, []Skip{ossSkip(1)}},
		{"sqs body aws", `{"Records":[{"messageId":"m1","body":` + quote(aws) + `}]}`, []Task{inRecord(awsC, "m1")}, nil},
		{"sqs records keep their ids", `{"Records":[{"messageId":"m1","body":` + quote(c) + `},{"messageId":"m2","body":` + quote(aws) + `}]}`,
			[]Task{inRecord(sampleC, "m1"), inRecord(awsC, "m2")}, nil},
		// FC event-streaming triggers: MNS messages (CloudEvents schema, or
		// RawData: the data object alone) and RocketMQ messages, whose body
		// is the event the bus rule sent to the queue.
		{"mns cloudevents", "[" + mns("mns-1", c) + "," + mns("mns-2", oss) + "]", []Task{sampleC}, []Skip{ossSkip(1)}},
		{"mns raw data", `[{"requestId":"r1","messageId":"m1","messageBody":` + quote(c) + `}]`, []Task{sampleC}, nil},
		{"mns one message", mns("mns-1", c), []Task{sampleC}, nil},
		{"mns base64 body", `[{"requestId":"r1","messageId":"m1","messageBody":"` + base64.StdEncoding.EncodeToString([]byte(c)) + `"}]`, []Task{sampleC}, nil},
		{"mns body array", "[" + mns("mns-1", "["+c+","+aws+"]") + "]", []Task{sampleC, awsC}, nil},
		{"rocketmq", "[" + rocketmq("rmq-1", c) + "," + rocketmq("rmq-2", aws) + "]", []Task{sampleC, awsC}, nil},
		{"bad queue messages", "[" + mns("mns-1", "not json!") + "," + mns("mns-2", "12") + "," + rocketmq("rmq-3", "eyJ4Ijo=") + "]", nil, []Skip{
			{0, "mns-1", "queue message body is neither JSON nor base64 of JSON"},
			{1, "mns-2", "queue message body is a JSON number, not an event"},
			{2, "rmq-3", "queue message body is neither JSON nor base64 of JSON"},
		}},
		// A queue message inside a queue message is not unwrapped twice, nor
		// one inside an SQS body.
		{"mns in mns", mns("outer", mns("inner", c)), nil, []Skip{{0, "inner", `source "acs.mns" is not PAI`}}},
		{"mns in sqs", `{"Records":[{"messageId":"m1","body":` + quote(mns("inner", c)) + `}]}`, nil, []Skip{{0, "inner", `source "acs.mns" is not PAI`}}},
		{"sqs bad records", `{"Records":[7,{"messageId":"m2"},{"messageId":"m3","body":"{oops"},{"messageId":"m4","body":"12"},{"body":` + quote(c) + `}]}`,
			[]Task{sampleC}, []Skip{
				{0, "", "SQS record is a JSON number, not an object"},
				{1, "m2", "SQS record has no body"},
				{2, "m3", "SQS record body is not JSON"},
				{3, "m4", "SQS record body is a JSON number, not an event"},
			}},
		{"bad elements", `[1, "not json", "[1,2]", [` + c + `], null, ` + c + `]`, []Task{sampleC}, []Skip{
			{0, "", "element is a JSON number, not an event object"},
			{1, "", "element is a string that is not JSON"},
			{2, "", "element is a JSON-encoded array, not an event object"},
			{3, "", "element is a JSON array, not an event object"},
			{4, "", "element is a JSON null, not an event object"},
		}},
		{"scalar body", `42`, nil, []Skip{{0, "", "body is a JSON number, not an event object"}}},
		// Nesting is bounded: a string inside a string is not unwrapped twice,
		// and Records inside an SQS body are not read as SQS again.
		{"string in string", `[` + quote(quote(c)) + `]`, nil, []Skip{{0, "", "element is a JSON-encoded string, not an event object"}}},
		{"sqs in sqs", `{"Records":[{"body":` + quote(`{"Records":[{"body":`+quote(c)+`}]}`) + `}]}`, nil,
			[]Skip{{0, "", "event has no source and no PAI job or run id"}}},
		{"data as JSON string", `{"id":"x","source":"acs.pai","type":"pai:DLC:JobStatusChanged","data":` + quote(`{"JobId":"dlc1","Status":"Failed"}`) + `}`,
			[]Task{{EventID: "x", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged", EventTime: received, Source: DLC, JobID: "dlc1", Status: "Failed"}}, nil},
		{"raw data (RawData trigger schema)", `{"JobId":"dlc9","Status":"Running","WorkspaceId":"1","RegionId":"cn-beijing"}`,
			[]Task{{EventTime: received, Source: DLC, JobID: "dlc9", Status: "Running", WorkspaceID: "1", Region: "cn-beijing",
				ConsoleURL: "https://pai.console.aliyun.com/?regionId=cn-beijing&workspaceId=1#/job/detail?jobId=dlc9&page=jobs"}}, nil},
	}
	p := &Parser{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkBatch(t, mustParse(t, p, tt.body), tt.tasks, tt.skips)
		})
	}
}

// The same event written with PascalCase, camelCase, snake_case or
// kebab-case keys, and with synonyms in any order, gives the same Task.
func TestKeyCasing(t *testing.T) {
	const env = `{"id":"e1","source":"acs.pai","type":"pai:DLC:JobStatusChanged","time":"2026-01-06T16:02:11+08:00",` +
		`"aliyuneventbusname":"pai-system-pre_train","aliyunregionid":"ap-southeast-1","data":%s}`
	variants := map[string]string{
		"Pascal": `{"JobId":"dlc1gbd4p5lft9tx","DisplayName":"job","JobType":"PyTorchJob","Status":"Failed","ReasonCode":"C","ReasonMessage":"R",` +
			`"WorkspaceId":"249407","WorkspaceName":"ws","RegionId":"ap-southeast-1","UserId":"u1","UserName":"leilei",` +
			`"GmtCreateTime":"2026-01-06T07:18:21Z","GmtFinishTime":"2026-01-06T08:02:10Z","Event":"任务失败","Message":"任务已失败"}`,
		"camel": `{"jobId":"dlc1gbd4p5lft9tx","displayName":"job","jobType":"PyTorchJob","status":"Failed","reasonCode":"C","reasonMessage":"R",` +
			`"workspaceId":"249407","workspaceName":"ws","regionId":"ap-southeast-1","userId":"u1","userName":"leilei",` +
			`"gmtCreateTime":"2026-01-06T07:18:21Z","gmtFinishTime":"2026-01-06T08:02:10Z","event":"任务失败","message":"任务已失败"}`,
		"snake": `{"job_id":"dlc1gbd4p5lft9tx","display_name":"job","job_type":"PyTorchJob","status":"Failed","reason_code":"C","reason_message":"R",` +
			`"workspace_id":"249407","workspace_name":"ws","region_id":"ap-southeast-1","user_id":"u1","user_name":"leilei",` +
			`"gmt_create_time":"2026-01-06T07:18:21Z","gmt_finish_time":"2026-01-06T08:02:10Z","event":"任务失败","message":"任务已失败"}`,
		"kebab and upper": `{"JOB-ID":"dlc1gbd4p5lft9tx","display-name":"job","JOB_TYPE":"PyTorchJob","STATUS":"Failed","reason-code":"C","reason-message":"R",` +
			`"workspace-id":"249407","workspace-name":"ws","region-id":"ap-southeast-1","user-id":"u1","user-name":"leilei",` +
			`"gmt-create-time":"2026-01-06T07:18:21Z","gmt-finish-time":"2026-01-06T08:02:10Z","EVENT":"任务失败","MESSAGE":"任务已失败"}`,
		// Weaker synonyms first: the stronger key must still win.
		"synonyms, weak first": `{"Name":"other","State":"Running","Id":"x","Creator":"u9","Region":"cn-hangzhou","ErrorMessage":"E",` +
			`"JobId":"dlc1gbd4p5lft9tx","DisplayName":"job","JobType":"PyTorchJob","Status":"Failed","ReasonCode":"C","ReasonMessage":"R",` +
			`"WorkspaceId":"249407","WorkspaceName":"ws","RegionId":"ap-southeast-1","UserId":"u1","UserName":"leilei",` +
			`"GmtCreateTime":"2026-01-06T07:18:21Z","GmtFinishTime":"2026-01-06T08:02:10Z","Event":"任务失败","Message":"任务已失败","ConsoleUrl":""}`,
	}
	want := Task{
		EventID: "e1", EventSource: "acs.pai", EventType: "pai:DLC:JobStatusChanged", EventTime: ts("2026-01-06T08:02:11Z"),
		Source: DLC, JobID: "dlc1gbd4p5lft9tx", JobName: "job", JobType: "PyTorchJob", Status: "Failed",
		WorkspaceID: "249407", WorkspaceName: "ws", Region: "ap-southeast-1", CreatorID: "u1", CreatorName: "leilei",
		ReasonCode: "C", ReasonMessage: "R", EventLabel: "任务失败", EventMessage: "任务已失败",
		Created: ts("2026-01-06T07:18:21Z"), Finished: ts("2026-01-06T08:02:10Z"), Duration: 43*time.Minute + 49*time.Second,
		ConsoleURL: dlcURLBase + "dlc1gbd4p5lft9tx&page=jobs",
	}
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(env, "%s", data, 1)
			checkBatch(t, mustParse(t, &Parser{}, body), []Task{want}, nil)
		})
	}
}

func TestSynonyms(t *testing.T) {
	tests := []struct {
		name, data string
		check      func(Task) string
	}{
		{"JobName beats Name", `{"Name":"n","JobName":"j"}`, func(t Task) string { return t.JobName }},
		{"RunName", `{"RunName":"r"}`, func(t Task) string { return t.JobName }},
		{"JobStatus", `{"JobStatus":"Queuing"}`, func(t Task) string { return t.Status }},
		{"NewStatus beats State", `{"State":"Running","NewStatus":"Failed"}`, func(t Task) string { return t.Status }},
		{"CreatorId", `{"CreatorId":"c"}`, func(t Task) string { return t.CreatorID }},
		{"OwnerId", `{"OwnerId":"o"}`, func(t Task) string { return t.CreatorID }},
		{"numeric UserId keeps every digit", `{"UserId":211790764591639068}`, func(t Task) string { return t.CreatorID }},
		{"Nickname", `{"Nickname":"nick"}`, func(t Task) string { return t.CreatorName }},
		{"ErrorCode", `{"ErrorCode":"E1"}`, func(t Task) string { return t.ReasonCode }},
		{"FailedReason beats Reason", `{"Reason":"r","FailedReason":"f"}`, func(t Task) string { return t.ReasonMessage }},
		{"EventName", `{"EventName":"l"}`, func(t Task) string { return t.EventLabel }},
		{"JobUrl", `{"JobUrl":"https://pai.console.aliyun.com/x"}`, func(t Task) string { return t.ConsoleURL }},
		{"Region beats subject", `{"Region":"cn-beijing"}`, func(t Task) string { return t.Region }},
		{"null and empty are absent", `{"DisplayName":null,"JobName":"","Name":"n"}`, func(t Task) string { return t.JobName }},
		{"objects are not text", `{"DisplayName":{"a":1},"Name":"n"}`, func(t Task) string { return t.JobName }},
		{"Message with Event is the label", `{"Event":"任务失败","Message":"任务已失败"}`, func(t Task) string { return t.EventMessage + "|" + t.ReasonMessage }},
		{"Message alone is the reason", `{"Message":"node failed"}`, func(t Task) string { return t.EventMessage + "|" + t.ReasonMessage }},
		{"Message beside a reason stays the message", `{"Message":"m","ReasonMessage":"r"}`, func(t Task) string { return t.EventMessage + "|" + t.ReasonMessage }},
		{"unknown status kept raw", `{"Status":"Exploded"}`, func(t Task) string { return t.Status }},
		{"status canonicalised", `{"Status":"FAILED"}`, func(t Task) string { return t.Status }},
	}
	want := []string{"j", "r", "Queuing", "Failed", "c", "o", "211790764591639068", "nick", "E1", "f", "l", "https://pai.console.aliyun.com/x",
		"cn-beijing", "n", "n", "任务已失败|", "|node failed", "m|r", "Exploded", "Failed"}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if !strings.Contains(data, "Status") {
				data = strings.Replace(data, "{", `{"Status":"Failed",`, 1)
			}
			data = strings.Replace(data, "{", `{"JobId":"dlc0",`, 1)
			body := `{"id":"e","source":"acs.pai","type":"pai:DLC:X","subject":"acs.pai:cn-shanghai:1:x","data":` + data + `}`
			b := mustParse(t, &Parser{}, body)
			if len(b.Tasks) != 1 {
				t.Fatalf("got %+v", b)
			}
			if got := tt.check(b.Tasks[0]); got != want[i] {
				t.Errorf("got %q, want %q", got, want[i])
			}
		})
	}
}

func TestRecognition(t *testing.T) {
	tests := []struct {
		name, body string
		src        Source
		reason     string // a skip
		unreadable string // an event from PAI that gave no Task
	}{
		{"type says DLC", `{"source":"acs.pai","type":"pai:DLC:JobStatusChanged","data":{"Id":"j1","Status":"Failed"}}`, DLC, "", ""},
		{"type says PAIFlow", `{"source":"acs.pai","type":"pai:PAIFlow:X","data":{"JobId":"j1","Status":"Failed"}}`, PAIFlow, "", ""},
		{"type says pipeline", `{"source":"acs.pai","type":"pai:Pipeline:X","data":{"Id":"j1","Status":"Failed"}}`, PAIFlow, "", ""},
		{"source says dlc", `{"source":"acs.pai.DLC","type":"StatusChanged","data":{"Id":"j1","Status":"Failed"}}`, DLC, "", ""},
		{"subject says dlc", `{"source":"acs.pai","type":"x","subject":"acs.pai:cn-hangzhou:1:job/dlcabc","data":{"Id":"j1","Status":"Failed"}}`, DLC, "", ""},
		{"data: job id", `{"source":"acs.pai","type":"x","data":{"JobId":"j1","Status":"Failed"}}`, DLC, "", ""},
		{"data: dlc-looking Id", `{"source":"acs.pai","type":"x","data":{"Id":"dlc123","Status":"Failed"}}`, DLC, "", ""},
		{"data: run id", `{"source":"acs.pai","type":"x","data":{"run_id":"r1","Status":"Failed"}}`, PAIFlow, "", ""},
		{"data: pipeline id", `{"source":"acs.pai","type":"x","data":{"Id":"r1","PipelineId":"p1","Status":"Failed"}}`, PAIFlow, "", ""},
		{"data: id in a job object", `{"source":"acs.pai","data":{"job":{"identifier":"x1","state":"FAILED"}}}`, DLC, "", ""},
		{"bus name says PAI", `{"source":"custom","type":"x","aliyuneventbusname":"pai-system-ws","data":{"PipelineRunId":"r","Status":"Failed"}}`, PAIFlow, "", ""},
		{"job id alone makes it PAI", `{"source":"custom.forwarder","type":"x","data":{"JobId":"j1","Status":"Failed"}}`, DLC, "", ""},
		{"not PAI", `{"id":"o1","source":"acs.oss","type":"oss:ObjectCreated:PutObject","data":{"Status":"Failed","Id":"x"}}`, "", `source "acs.oss" is not PAI`, ""},
		{"not PAI despite flow words", `{"id":"o1","source":"acs.dataworks","type":"dataworks:Flow:Done","data":{"Status":"Failed"}}`, "", `source "acs.dataworks" is not PAI`, ""},
		{"no source, no id", `{"Status":"Failed"}`, "", "event has no source and no PAI job or run id", ""},
		{"PAI but another product", `{"id":"d1","source":"acs.pai","type":"pai:EAS:ServiceStatusChanged","data":{"ServiceId":"s","Status":"Running"}}`, "", "",
			`PAI event of no known product (dlc, paiflow, dsw or model; type "pai:EAS:ServiceStatusChanged")`},
		{"type says DSW", `{"source":"acs.pai","type":"pai:DSW:InstanceStatusChanged","data":{"InstanceId":"i1","Status":"Running"}}`, DSW, "", ""},
		{"data: dsw instance id", `{"source":"acs.pai","type":"x","data":{"InstanceId":"dsw-1a2b","Status":"Stopped"}}`, DSW, "", ""},
		{"data: instance id key", `{"source":"acs.pai","data":{"InstanceId":"i-1","Status":"Stopped"}}`, DSW, "", ""},
		{"type says model", `{"source":"acs.pai","type":"pai:ModelManagement:ModelVersionStatusChanged","data":{"ModelId":"m1","ApprovalStatus":"Approved"}}`, Model, "", ""},
		{"data: model id and approval status", `{"source":"acs.pai","data":{"ModelId":"m1","ApprovalStatus":"Rejected"}}`, Model, "", ""},
		{"no status", `{"id":"n1","source":"acs.pai","type":"pai:DLC:X","data":{"JobId":"dlc1"}}`, "", "", "no status field"},
		{"no job id", `{"id":"n1","source":"acs.pai","type":"pai:DLC:X","data":{"Status":"Failed"}}`, "", "", "no job id field"},
		{"no data", `{"id":"n1","source":"acs.pai","type":"pai:DLC:X"}`, "", "", "no job id and no status field"},
		{"unknown keys on the PAI bus", `{"id":"n2","source":"custom","aliyuneventbusname":"pai-system-ws","data":{"x":{"y":"Failed"}}}`, "", "",
			`PAI event of no known product (dlc, paiflow, dsw or model; type "")`},
		{"aws not PAI", `{"version":"0","id":"a1","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"state":"running"}}`, "",
			`source "aws.ec2" is not PAI`, ""},
		{"sagemaker other detail-type", `{"id":"a2","detail-type":"SageMaker Endpoint State Change","source":"aws.sagemaker","detail":{"EndpointStatus":"InService"}}`, "",
			`SageMaker detail-type "SageMaker Endpoint State Change" is not a training job or pipeline execution`, ""},
		{"sagemaker without status", `{"id":"a3","detail-type":"SageMaker Training Job State Change","source":"aws.sagemaker","detail":{"TrainingJobName":"x"}}`, "", "",
			"no status field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustParse(t, &Parser{}, tt.body)
			switch {
			case tt.reason != "":
				if len(b.Tasks) != 0 || len(b.Unreadable) != 0 || len(b.Skipped) != 1 || b.Skipped[0].Reason != tt.reason {
					t.Fatalf("got %+v, want one skip %q", b, tt.reason)
				}
			case tt.unreadable != "":
				if len(b.Tasks) != 0 || len(b.Skipped) != 0 || len(b.Unreadable) != 1 || b.Unreadable[0].Reason != tt.unreadable {
					t.Fatalf("got %+v, want one unreadable %q", b, tt.unreadable)
				}
			default:
				if len(b.Tasks) != 1 || b.Tasks[0].Source != tt.src {
					t.Fatalf("got %+v, want one %s task", b, tt.src)
				}
			}
		})
	}
}

func TestSageMakerStatus(t *testing.T) {
	training := map[string]string{"Completed": "Succeeded", "Failed": "Failed", "Stopped": "Stopped",
		"InProgress": "Running", "Stopping": "Stopping", "Weird": "Weird"}
	pipeline := map[string]string{"Executing": "Running", "Succeeded": "Succeeded", "Failed": "Failed",
		"Stopped": "Stopped", "Stopping": "Stopping"}
	for in, want := range training {
		body := `{"id":"a","detail-type":"SageMaker Training Job State Change","source":"aws.sagemaker","detail":{"TrainingJobName":"j","TrainingJobStatus":"` + in + `"}}`
		b := mustParse(t, &Parser{}, body)
		if len(b.Tasks) != 1 || b.Tasks[0].Status != want || b.Tasks[0].Source != SageMaker {
			t.Errorf("training %s: got %+v, want %s", in, b, want)
		}
	}
	for in, want := range pipeline {
		body := `{"id":"a","detail-type":"SageMaker Model Building Pipeline Execution Status Change","source":"aws.sagemaker","detail":{"pipelineExecutionArn":"e","currentPipelineExecutionStatus":"` + in + `"}}`
		b := mustParse(t, &Parser{}, body)
		if len(b.Tasks) != 1 || b.Tasks[0].Status != want || b.Tasks[0].Source != SageMaker {
			t.Errorf("pipeline %s: got %+v, want %s", in, b, want)
		}
	}
}

func TestDerived(t *testing.T) {
	base := `{"id":"e","source":"acs.pai","type":"pai:%s:X","time":"%s","aliyuneventbusname":"%s","aliyunregionid":"%s","subject":"%s","data":{"Status":"Failed","Id":"x0"%s}}`
	build := func(product, tm, bus, region, subject, data string) string {
		parts := []string{product, tm, bus, region, subject, data}
		out := base
		for _, p := range parts {
			out = strings.Replace(out, "%s", p, 1)
		}
		return out
	}
	tests := []struct {
		name string
		body string
		want func(Task) bool
	}{
		{"duration from event, as string", build("DLC", "", "", "", "", `,"Duration":"90"`), func(t Task) bool { return t.Duration == 90*time.Second }},
		{"duration fractional", build("DLC", "", "", "", "", `,"Duration":1.5`), func(t Task) bool { return t.Duration == 1500*time.Millisecond }},
		{"duration started->finished beats created",
			build("DLC", "", "", "", "", `,"GmtCreateTime":"2026-01-01T00:00:00Z","GmtRunningTime":"2026-01-01T00:10:00Z","GmtFinishTime":"2026-01-01T01:00:00Z"`),
			func(t Task) bool { return t.Duration == 50*time.Minute }},
		{"no duration when finished before started",
			build("DLC", "", "", "", "", `,"GmtRunningTime":"2026-01-01T02:00:00Z","GmtFinishTime":"2026-01-01T01:00:00Z"`),
			func(t Task) bool { return t.Duration == 0 }},
		{"negative duration ignored", build("DLC", "", "", "", "", `,"Duration":-5`), func(t Task) bool { return t.Duration == 0 }},
		{"event time falls back to publish time", strings.Replace(build("DLC", "garbage", "", "", "", ""), `"time"`, `"aliyunpublishtime":"2020-11-19T21:04:42.179PRC","time"`, 1),
			func(t Task) bool { return t.EventTime.Equal(ts("2020-11-19T13:04:42.179Z")) }},
		{"event time falls back to received", build("DLC", "garbage", "", "", "", ""), func(t Task) bool { return t.EventTime.Equal(received) }},
		{"workspace name from bus", build("DLC", "", "pai-system-my_ws", "", "", ""), func(t Task) bool { return t.WorkspaceName == "my_ws" }},
		{"no workspace name from other bus", build("DLC", "", "default", "", "", ""), func(t Task) bool { return t.WorkspaceName == "" }},
		{"region from envelope", build("DLC", "", "", "cn-shanghai", "", ""), func(t Task) bool { return t.Region == "cn-shanghai" }},
		{"region from subject", build("DLC", "", "", "", "acs.pai:cn-shenzhen:123:job/x", ""), func(t Task) bool { return t.Region == "cn-shenzhen" }},
		{"no region from odd subject", build("DLC", "", "", "", "acs.pai:{AccountId}:x", ""), func(t Task) bool { return t.Region == "" }},
		{"dlc url needs workspace", build("DLC", "", "", "cn-shanghai", "", `,"JobId":"dlc1"`), func(t Task) bool { return t.ConsoleURL == "" }},
		{"dlc url escapes", build("DLC", "", "", "cn-shanghai", "", `,"WorkspaceId":"1&x=y","JobId":"dlc#1"`), func(t Task) bool {
			return t.ConsoleURL == "https://pai.console.aliyun.com/?regionId=cn-shanghai&workspaceId=1%26x%3Dy#/job/detail?jobId=dlc%231&page=jobs"
		}},
		{"paiflow url is the workspace overview", build("PAIFlow", "", "", "cn-shanghai", "", `,"WorkspaceId":"7","RunId":"r"`), func(t Task) bool {
			return t.ConsoleURL == "https://pai.console.aliyun.com/?regionId=cn-shanghai&workspaceId=7#/workspace/overview"
		}},
		{"event url wins", build("DLC", "", "", "cn-shanghai", "", `,"WorkspaceId":"1","JobId":"dlc1","ConsoleUrl":"https://pai.console.aliyun.com/#/x"`),
			func(t Task) bool { return t.ConsoleURL == "https://pai.console.aliyun.com/#/x" }},
		{"event url on another host is replaced", build("DLC", "", "", "cn-shanghai", "", `,"WorkspaceId":"1","JobId":"dlc1","ConsoleUrl":"https://evil.example/pai.console.aliyun.com"`),
			func(t Task) bool {
				return t.ConsoleURL == "https://pai.console.aliyun.com/?regionId=cn-shanghai&workspaceId=1#/job/detail?jobId=dlc1&page=jobs"
			}},
		{"event url over http is dropped", build("DLC", "", "", "", "", `,"ConsoleUrl":"http://pai.console.aliyun.com/x"`), func(t Task) bool { return t.ConsoleURL == "" }},
		{"paiflow run id beats job id", build("PAIFlow", "", "", "", "", `,"JobId":"j","RunId":"r"`), func(t Task) bool { return t.JobID == "r" }},
		{"dlc job id beats run id", build("DLC", "", "", "", "", `,"RunId":"r","JobId":"j"`), func(t Task) bool { return t.JobID == "j" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustParse(t, &Parser{}, tt.body)
			if len(b.Tasks) != 1 || !tt.want(b.Tasks[0]) {
				t.Errorf("got %+v", b)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	nested := `{"id":"n","source":"acs.pai","type":"pai:DLC:X","data":{"detail":{"JobId":"dlcdeep","Status":"Failed","Who":{"Uid":"42"}},"Status":"Running"}}`
	p, err := NewParser(map[Source]map[string]string{
		DLC:     {"jobId": "data.detail.JobId", "status": "data.detail.Status", "creatorId": "data.detail.Who.Uid", "jobName": "data.missing"},
		PAIFlow: {"runId": "data.Execution.Id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := mustParse(t, p, nested)
	if len(b.Tasks) != 1 {
		t.Fatalf("got %+v", b)
	}
	got := b.Tasks[0]
	if got.JobID != "dlcdeep" || got.Status != "Failed" || got.CreatorID != "42" || got.JobName != "" {
		t.Errorf("overrides not applied: %+v", got)
	}

	// A path that finds nothing leaves the default reading in place.
	b = mustParse(t, p, readSample(t, "dlc-failed.json"))
	if len(b.Tasks) != 1 || b.Tasks[0].JobID != "dlc1gbd4p5lft9tx" || b.Tasks[0].Status != "Failed" {
		t.Errorf("defaults lost: %+v", b)
	}

	// An id found only by an override makes an otherwise unknown event PAI.
	b = mustParse(t, p, `{"id":"u","source":"custom.bridge","type":"x","data":{"Execution":{"Id":"run-7"},"State":"Succeeded"}}`)
	if len(b.Tasks) != 1 || b.Tasks[0].Source != PAIFlow || b.Tasks[0].JobID != "run-7" || b.Tasks[0].Status != "Succeeded" {
		t.Errorf("override id not recognised: %+v", b)
	}

	// Overrides of the other source do not apply.
	b = mustParse(t, p, `{"id":"f","source":"acs.pai","type":"pai:PAIFlow:X","data":{"RunId":"r1","Status":"Failed","detail":{"JobId":"dlcdeep"}}}`)
	if len(b.Tasks) != 1 || b.Tasks[0].JobID != "r1" {
		t.Errorf("dlc override leaked into paiflow: %+v", b)
	}

	// Time and duration overrides are read like the defaults; an
	// eventMessage override is kept as the message.
	p, err = NewParser(map[Source]map[string]string{DLC: {
		"finished": "data.x.end", "started": "data.x.start", "eventMessage": "data.x.msg", "duration": "data.x.secs",
	}})
	if err != nil {
		t.Fatal(err)
	}
	b = mustParse(t, p, `{"source":"acs.pai","type":"pai:DLC:X","data":{"JobId":"dlc1","Status":"Failed","x":{"start":1700000000,"end":"1700000600000","msg":"m","secs":"5"}}}`)
	if len(b.Tasks) != 1 {
		t.Fatalf("got %+v", b)
	}
	got = b.Tasks[0]
	if !got.Started.Equal(time.Unix(1700000000, 0)) || !got.Finished.Equal(time.Unix(1700000600, 0)) || got.EventMessage != "m" || got.ReasonMessage != "" || got.Duration != 5*time.Second {
		t.Errorf("time overrides: %+v", got)
	}
}

func TestNewParserErrors(t *testing.T) {
	tests := []struct {
		name string
		in   map[Source]map[string]string
		want []string
	}{
		{"unknown field", map[Source]map[string]string{DLC: {"jobID": "data.x"}},
			[]string{"fields.dlc.jobID: unknown field (known: jobId, runId, jobName, "}},
		{"unknown source", map[Source]map[string]string{"dlcc": {"jobId": "data.x"}},
			[]string{"fields.dlcc: unknown source (want dlc, paiflow, dsw, model or sagemaker)"}},
		{"empty path", map[Source]map[string]string{PAIFlow: {"runId": "  "}},
			[]string{"fields.paiflow.runId: empty path"}},
		{"all reported", map[Source]map[string]string{DLC: {"bogus": "x", "status": ""}, "x": {}},
			[]string{"fields.dlc.bogus: unknown field", "fields.dlc.status: empty path", "fields.x: unknown source"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewParser(tt.in)
			if err == nil || p != nil {
				t.Fatalf("NewParser = %v, %v; want an error", p, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	for _, ok := range []map[Source]map[string]string{nil, {}, {DLC: {}}, {DLC: {"jobId": "data.a"}, PAIFlow: {"consoleUrl": "data.u"}}} {
		if _, err := NewParser(ok); err != nil {
			t.Errorf("NewParser(%v): %v", ok, err)
		}
	}
}

func TestBadBodies(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{"", "event: payload is empty"},
		{" \n\t", "event: payload is empty"},
		{`{"id": x}`, "event: payload is not JSON: invalid character 'x' looking for beginning of value at byte 8 of 9"},
		{`{"id": "a"`, "event: payload is not JSON: unexpected end of JSON input at byte 10 of 10"},
		{`hello`, "event: payload is not JSON: invalid character 'h' looking for beginning of value at byte 1 of 5"},
		{`{"a":1} {"b":2}`, "event: payload is not JSON: invalid character '{' after top-level value at byte 9 of 15"},
	}
	for _, tt := range tests {
		_, err := (&Parser{}).Parse([]byte(tt.body), received)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %q", tt.body, err, tt.want)
		}
	}
	// A nil *Parser reads with the defaults rather than panicking.
	var p *Parser
	if b, err := p.Parse([]byte(readSample(t, "dlc-failed.json")), received); err != nil || len(b.Tasks) != 1 {
		t.Errorf("nil parser: %+v, %v", b, err)
	}
}

func TestFieldTable(t *testing.T) {
	n := 0
	for f := range numFields {
		n += len(fieldSpecs[f].keys)
		if fieldSpecs[f].name == "" || len(fieldSpecs[f].keys) == 0 {
			t.Errorf("field %d has no name or keys", f)
		}
		for _, k := range fieldSpecs[f].keys {
			if len(k) > maxKey {
				t.Errorf("key %q longer than maxKey", k)
			}
		}
	}
	if len(keyIndex) != n {
		t.Errorf("%d keys normalise to %d entries: two fields share a key", n, len(keyIndex))
	}
	if len(FieldNames) != int(numFields) || len(fieldByName) != int(numFields) {
		t.Errorf("FieldNames = %v", FieldNames)
	}
}

// TestParseChunksAgreesWithParse: the chunks, joined, are Parse's Tasks,
// with the same skips, whatever the chunk size; no chunk is over the size.
func TestParseChunksAgreesWithParse(t *testing.T) {
	c := readSample(t, "dlc-failed.json")
	oss := readSample(t, "oss-object-created.json")
	var parts []string
	for i := range 7 {
		parts = append(parts, c, quote(c), "1")
		if i%3 == 0 {
			parts = append(parts, oss)
		}
	}
	body := []byte("[" + strings.Join(parts, ",") + "]")
	want, err := (&Parser{}).Parse(body, time.Unix(0, 0))
	if err != nil || len(want.Tasks) != 14 {
		t.Fatalf("Parse: %d tasks, %v", len(want.Tasks), err)
	}
	for _, size := range []int{0, 1, 2, 5, 14, 100} {
		var got []Task
		rest, err := (&Parser{}).ParseChunks(body, time.Unix(0, 0), size, func(ts []Task) {
			if len(ts) == 0 || len(ts) > max(size, 1) {
				t.Errorf("size %d: a chunk of %d", size, len(ts))
			}
			got = append(got, ts...)
		})
		if err != nil || !reflect.DeepEqual(got, want.Tasks) || !reflect.DeepEqual(rest.Skipped, want.Skipped) || rest.Tasks != nil {
			t.Errorf("size %d: %d tasks, skips %v, err %v; want Parse's %d and %v", size, len(got), rest.Skipped, err, len(want.Tasks), want.Skipped)
		}
	}
	if _, err := (&Parser{}).ParseChunks([]byte(" "), time.Time{}, 10, func([]Task) { t.Error("called") }); err == nil || err.Error() != "event: payload is empty" {
		t.Errorf("empty payload: %v", err)
	}
}
