package event

import (
	"strings"
	"unicode"
)

// Status vocabularies from the official SDKs: DLC's from the pai-dlc-20201203
// GetJob/ListJobs API (e.g. github.com/aliyun/alibabacloud-java-async-sdk,
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

// Ended reports whether status is terminal for source s ("job ended").
func Ended(s Source, status string) bool {
	for _, t := range terminal[s] {
		if strings.EqualFold(t, status) {
			return true
		}
	}
	return false
}

// Failed reports whether status is the failure status ("job failed").
func Failed(status string) bool { return strings.EqualFold(status, "Failed") }

// Succeeded reports whether status is the success status.
func Succeeded(status string) bool { return strings.EqualFold(status, "Succeeded") }

// EndedStatuses returns the terminal statuses of a source.
func EndedStatuses(s Source) []string { return terminal[s] }

// TrimStatus removes the spaces, newlines and byte-order marks a hand-made
// or re-encoded event may wrap a status in ("FAILED\n", "\ufeffFailed").
func TrimStatus(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' })
}
