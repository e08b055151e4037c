package event

import "strings"

// Status vocabularies from the official SDKs: DLC's from the pai-dlc-20201203
// GetJob/ListJobs status comments (e.g. github.com/aliyun/alibabacloud-java-sdk,
// pai-dlc-20201203 GetJobResponseBody), PAIFlow's from PipelineRunStatus in
// github.com/aliyun/pai-python-sdk (pai/pipeline/run.py). Unofficial extras
// seen in public code are accepted so that a rule naming them is not rejected.
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
}

// terminal is the "job ended" set of the PAI console rule.
var terminal = map[Source][]string{
	DLC:     {"Succeeded", "Failed", "Stopped"},
	PAIFlow: {"Succeeded", "Failed", "Terminated"},
}

// Statuses returns the known statuses of a source.
func Statuses(s Source) []string { return statuses[s] }

// CanonicalStatus returns the known spelling of status for source s, matched
// case-insensitively, and whether it is known. With s empty any source's
// vocabulary is searched.
func CanonicalStatus(s Source, status string) (string, bool) {
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
func Failed(status string) bool { return strings.EqualFold(status, "Failed") }

// Succeeded reports whether status is the success status.
func Succeeded(status string) bool { return strings.EqualFold(status, "Succeeded") }

// EndedStatuses returns the terminal statuses of a source.
func EndedStatuses(s Source) []string { return terminal[s] }
