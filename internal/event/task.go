// Package event turns whatever a trigger delivers (one CloudEvent, an FC
// batch, an AWS EventBridge envelope, SQS records, MNS or RocketMQ messages
// from an event-streaming trigger) into Task values: what
// happened to which PAI job. It knows PAI's status vocabulary; it knows
// nothing of rules, messages or targets.
package event

import (
	"encoding/json"
	"slices"
	"time"
)

// Source is the PAI product an event is about.
type Source string

// The sources pai-notifier understands.
const (
	DLC       Source = "dlc"       // DLC training jobs
	PAIFlow   Source = "paiflow"   // PAIFlow (Designer) pipeline runs
	DSW       Source = "dsw"       // DSW notebook instances
	Model     Source = "model"     // model versions in PAI's model registry
	SageMaker Source = "sagemaker" // AWS SageMaker training jobs and pipeline executions
)

// Sources lists every known source, in a stable order.
var Sources = []Source{DLC, PAIFlow, DSW, Model, SageMaker}

// Valid reports whether s is a known source.
func (s Source) Valid() bool { return slices.Contains(Sources, s) }

// Task is one state change of one DLC job, PAIFlow pipeline run, DSW
// instance, model version or SageMaker job.
// Text fields are empty when the event did not carry them; time fields are
// zero when absent or unreadable.
type Task struct {
	// Envelope.
	EventID     string    // CloudEvents id (AWS: id); dedupe key together with EventSource
	EventSource string    // CloudEvents source, e.g. "acs.pai"
	EventType   string    // CloudEvents type / AWS detail-type
	EventTime   time.Time // envelope time; the receive time when unreadable

	// SQSMessageID is the messageId of the SQS record that carried the
	// event, "" for any other delivery. A Lambda fed by SQS names it in its
	// partial batch response, so that only the records not delivered come
	// back (FC's queue triggers have no such response: a batch fails whole).
	SQSMessageID string

	Source  Source  // dlc, paiflow, dsw, model or sagemaker
	JobID   string  // DLC job id, PAIFlow run id, DSW instance id, model id, SageMaker job name or execution ARN
	JobName string  // display name (a model's name)
	JobType string  // DLC job type, e.g. PyTorchJob
	Version string  // model version
	Status  string  // status, canonical for the source (CanonicalStatus), e.g. "Failed"
	Kinds   KindSet // what happened: every kind the event is (failed, ended, preempted ...)

	WorkspaceID   string
	WorkspaceName string
	Region        string
	CreatorID     string // creator's UID
	CreatorName   string

	PipelineID   string // PAIFlow only
	PipelineName string // PAIFlow only

	ReasonCode    string
	ReasonMessage string
	EventLabel    string // PAI's 相关事件, e.g. 任务失败
	EventMessage  string // PAI's 消息内容, e.g. 任务已失败

	Created  time.Time
	Started  time.Time
	Finished time.Time
	Duration time.Duration // from the event, else Finished-Started (or -Created)

	ConsoleURL string // from the event when it is a PAI or AWS console link, else built from region, workspace and id

	From *Origins // where each field was read; nil unless the Parser is Traced
}

// Origins says where each field of a Task was read: a gjson path evaluated
// against the event object (the one a `fields:` override takes), or "type"
// for a status read from the event type. Only a Parser made with Traced
// records them; it is what `-explain` and `-inspect` show.
type Origins struct {
	paths [numFields]string
}

// Path returns where the field named name (one of FieldNames) was read, or "".
func (o *Origins) Path(name string) string {
	if o == nil {
		return ""
	}
	if f, ok := fieldByName[name]; ok {
		return o.paths[f]
	}
	return ""
}

// Map returns field name -> path for every field that was read.
func (o *Origins) Map() map[string]string {
	if o == nil {
		return nil
	}
	m := map[string]string{}
	for f, p := range o.paths {
		if p != "" {
			m[fieldSpecs[f].name] = p
		}
	}
	return m
}

// MarshalJSON writes Map.
func (o *Origins) MarshalJSON() ([]byte, error) { return json.Marshal(o.Map()) }
