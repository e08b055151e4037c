package event

import (
	"fmt"

	"github.com/tidwall/gjson"
)

// smKind says which SageMaker event a Task came from, so that its status is
// told in the words the other sources use and its console link points at
// the right page.
type smKind uint8

const (
	notSageMaker smKind = iota
	smTraining
	smPipeline
)

// The SageMaker detail-types read
// (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
// Both are source sagemaker: a rule for dlc or paiflow never fires on them.
const (
	smTrainingType = "SageMaker Training Job State Change"
	smPipelineType = "SageMaker Model Building Pipeline Execution Status Change"
)

var (
	smTrainingStatus = map[string]string{
		"Completed": "Succeeded", "Failed": "Failed", "Stopped": "Stopped",
		"InProgress": "Running", "Stopping": "Stopping",
	}
	smPipelineStatus = map[string]string{
		"Executing": "Running", "Succeeded": "Succeeded", "Failed": "Failed",
		"Stopped": "Stopped", "Stopping": "Stopping",
	}
)

// status translates a SageMaker status; one it does not know is kept as sent.
func (k smKind) status(s string) string {
	m := smTrainingStatus
	if k == smPipeline {
		m = smPipelineStatus
	}
	if pai, ok := m[s]; ok {
		return pai
	}
	return s
}

// sagemaker reads a native aws.sagemaker event. Its detail keys are
// documented and fixed, so they are read by name, not by synonym.
func (st *state) sagemaker(v gjson.Result, env *envelope) {
	d := env.detail
	var r record
	var (
		src  Source
		kind smKind
	)
	switch env.typ {
	case smTrainingType:
		src, kind = SageMaker, smTraining
		r.read(d, smTrainingKeys[:])
	case smPipelineType:
		src, kind = SageMaker, smPipeline
		r.read(d, smPipelineKeys[:])
	default:
		st.skip(env.id, fmt.Sprintf("SageMaker detail-type %q is not a training job or pipeline execution", env.typ))
		return
	}
	st.finish(v, env, &r, src, kind)
}

// smKey is a field and the documented detail key it is read from.
type smKey struct {
	f   field
	key string
}

var (
	smTrainingKeys = [...]smKey{{fJobID, "TrainingJobName"}, {fJobName, "TrainingJobName"}, {fStatus, "TrainingJobStatus"},
		{fReasonMessage, "FailureReason"}, {fCreated, "CreationTime"}, {fStarted, "TrainingStartTime"}, {fFinished, "TrainingEndTime"}}
	smPipelineKeys = [...]smKey{{fRunID, "pipelineExecutionArn"}, {fJobName, "pipelineExecutionDisplayName"},
		{fStatus, "currentPipelineExecutionStatus"}, {fPipelineID, "pipelineArn"}, {fStarted, "executionStartTime"},
		{fFinished, "executionEndTime"}, {fReasonMessage, "failureReason"}}
)

// read sets each field from its fixed key of detail.
func (r *record) read(detail gjson.Result, keys []smKey) {
	for _, k := range keys {
		if r.set(k.f, detail.Get(k.key), "detail") {
			r.key[k.f] = k.key
		}
	}
}
