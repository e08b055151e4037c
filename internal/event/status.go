package event

import (
	"strings"
	"unicode"
)

// Status vocabularies, each from its product's official SDK or docs:
//   - DLC: the pai-dlc-20201203 GetJob/ListJobs API (e.g.
//     github.com/aliyun/alibabacloud-java-async-sdk, pai-dlc-20201203
//     GetJobResponseBody), plus extras seen in public code (Dequeued,
//     Deleted, SubmitFailed) so a rule naming them is not rejected;
//   - PAIFlow: PipelineRunStatus in github.com/aliyun/pai-python-sdk
//     (pai/pipeline/run.py), plus Terminating seen in public code;
//   - DSW: the pai-dsw-20220101 API's instance statuses
//     (github.com/aliyun/alibabacloud-csharp-sdk, pai-dsw-20220101
//     GetLifecycleResponseBody);
//   - model versions: the approval statuses of
//     https://www.alibabacloud.com/help/en/pai/user-guide/model-version-approval-status-and-events;
//   - SageMaker: training job and pipeline execution statuses
//     (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html),
//     told in the words the others use (Completed and Executing become
//     Succeeded and Running; see sagemaker.go).
var statuses = map[Source][]string{
	DLC: {
		"Creating", "Queuing", "Dequeued", "Bidding", "EnvPreparing", "SanityChecking",
		"Running", "Restarting", "Stopping", "SucceededReserving", "FailedReserving",
		"Succeeded", "Failed", "Stopped", "Deleted", "SubmitFailed",
	},
	PAIFlow: {
		"Initialized", "ReadyToSchedule", "Starting", "Running", "WorkflowServiceStarting",
		"Suspended", "Terminating", "Succeeded", "Terminated", "Unknown", "Skipped", "Failed",
	},
	DSW: {
		"Creating", "Queuing", "ResourceAllocating", "EnvPreparing", "Starting", "Running",
		"Updating", "Saving", "Saved", "SaveFailed", "Stopping", "Stopped", "Failed",
		"Recovering", "ArrearStopping", "Arrearge",
	},
	Model: {"Pending", "Approved", "Rejected"},
	SageMaker: {
		"Running", "Stopping", "Stopped", "Succeeded", "Failed",
	},
}

// Statuses returns the known statuses of a source.
func Statuses(s Source) []string { return statuses[s] }

// CanonicalStatus returns the known spelling of status for source s, matched
// case-insensitively after trimming spaces, newlines and a byte-order mark,
// and whether it is known; an unknown status comes back trimmed. With s
// empty any source's vocabulary is searched. It is the one place status
// names are made canonical: the parser applies it to every Task, the rules
// to every status a document names.
func CanonicalStatus(s Source, status string) (string, bool) {
	status = TrimStatus(status)
	for _, src := range Sources {
		if s != "" && s != src {
			continue
		}
		for _, known := range statuses[src] {
			if strings.EqualFold(known, status) {
				return known, true
			}
		}
	}
	return status, false
}

// Failed reports whether status is the failure status ("job failed").
func Failed(status string) bool { c, _ := CanonicalStatus("", status); return c == "Failed" }

// Succeeded reports whether status is the success status.
func Succeeded(status string) bool { c, _ := CanonicalStatus("", status); return c == "Succeeded" }

// TrimStatus removes the spaces, newlines and byte-order marks a hand-made
// or re-encoded event may wrap a status in ("FAILED\n", "\ufeffFailed").
func TrimStatus(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' })
}
