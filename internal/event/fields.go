package event

import (
	"strings"

	"github.com/tidwall/gjson"
)

// field is one thing a Task is read from. Its lowerCamel name (FieldNames)
// is what a rules document's `fields:` section remaps.
type field uint8

const (
	fJobID field = iota
	fRunID
	fJobName
	fJobType
	fVersion
	fStatus
	fWorkspaceID
	fWorkspaceName
	fRegion
	fCreatorID
	fCreatorName
	fPipelineID
	fPipelineName
	fReasonCode
	fReasonMessage
	fEventLabel
	fEventMessage
	fCreated
	fStarted
	fFinished
	fDuration
	fConsoleURL
	numFields
)

// fieldSpec names a field and lists the data keys it is read from, best
// first. PAI's real keys are unpublished (PAI's docs describe the
// pai-system-<workspace> bus but never print an event), so the lists take
// the DLC GetJob API's names (JobId, DisplayName, GmtCreateTime ... in the
// official pai-dlc-20201203 SDKs), the names PAI shows in its own
// notifications (任务名称, 相关事件, 消息内容) and the obvious variants. Keys are
// matched after normalisation (lowercase, no '_' or '-'), so "JobId",
// "jobId", "job_id" and "JobID" are one key.
//
// Message is PAI's 消息内容 text ("任务已失败"), read into eventMessage; it
// becomes the reason only when the event carries no reason key and no
// Event label beside it (see finish in parse.go).
var fieldSpecs = [numFields]struct {
	name string
	keys []string
}{
	fJobID:         {"jobId", []string{"JobId", "InstanceId", "ModelId", "Id", "Identifier"}},
	fRunID:         {"runId", []string{"PipelineRunId", "RunId", "FlowRunId"}},
	fJobName:       {"jobName", []string{"DisplayName", "JobName", "RunName", "PipelineRunName", "InstanceName", "ModelName", "Name"}},
	fJobType:       {"jobType", []string{"JobType"}},
	fVersion:       {"version", []string{"VersionName", "ModelVersion", "Version"}},
	fStatus:        {"status", []string{"Status", "JobStatus", "RunStatus", "PipelineRunStatus", "InstanceStatus", "ApprovalStatus", "NewStatus", "State", "JobState", "Phase"}},
	fWorkspaceID:   {"workspaceId", []string{"WorkspaceId"}},
	fWorkspaceName: {"workspaceName", []string{"WorkspaceName"}},
	fRegion:        {"region", []string{"RegionId", "Region"}},
	fCreatorID:     {"creatorId", []string{"UserId", "CreatorId", "Creator", "OwnerId"}},
	fCreatorName:   {"creatorName", []string{"UserName", "CreatorName", "Nickname"}},
	fPipelineID:    {"pipelineId", []string{"PipelineId", "FlowId"}},
	fPipelineName:  {"pipelineName", []string{"PipelineName", "FlowName"}},
	fReasonCode:    {"reasonCode", []string{"ReasonCode", "ErrorCode"}},
	fReasonMessage: {"reasonMessage", []string{"ReasonMessage", "FailedReason", "FailureReason", "ErrorMessage", "Reason"}},
	fEventLabel:    {"eventLabel", []string{"Event", "EventName"}},
	fEventMessage:  {"eventMessage", []string{"Message"}},
	fCreated:       {"created", []string{"GmtCreateTime", "CreateTime", "CreatedAt", "CreationTime"}},
	fStarted:       {"started", []string{"GmtRunningTime", "GmtStartTime", "StartTime", "StartedAt"}},
	fFinished: {"finished", []string{"GmtFinishTime", "GmtFailedTime", "GmtStoppedTime", "GmtSuccessedTime",
		"GmtSucceededTime", "GmtEndTime", "EndTime", "FinishTime", "FinishedAt"}},
	fDuration:   {"duration", []string{"Duration"}},
	fConsoleURL: {"consoleUrl", []string{"ConsoleUrl", "JobUrl", "Url"}},
}

// FieldNames lists the field names a `fields:` override may remap, in a
// stable order.
var FieldNames = func() []string {
	names := make([]string, numFields)
	for f := range numFields {
		names[f] = fieldSpecs[f].name
	}
	return names
}()

// slot says which field a normalised data key fills and how strongly:
// a lower prio wins, whatever order the keys come in.
type slot struct {
	f    field
	prio uint8
}

var (
	keyIndex    = map[string]slot{}
	fieldByName = map[string]field{}
)

func init() {
	for f := range numFields {
		fieldByName[fieldSpecs[f].name] = f
		for i, k := range fieldSpecs[f].keys {
			keyIndex[strings.ToLower(k)] = slot{f, uint8(i)}
		}
	}
}

// maxKey bounds the keys worth normalising: no synonym is longer.
const maxKey = 32

// maxDepth bounds how deep under data the known keys are looked for: PAI's
// real layout is unpublished, so a key one or two objects down
// ({"job":{"state":...}}) is found, but a walk stays cheap and finite.
const maxDepth = 4

// numPrio is more than the synonyms of any field, so that a key's rank
// orders by depth first, then by synonym (TestFieldTable holds it).
const numPrio = 16

// noDescend are data keys holding configuration rather than the job's own
// state (the DLC GetJob API's Envs, Settings, JobSpecs, Pods ...): their
// inner "Name"s and "Status"es are not the job's.
var noDescend = map[string]bool{
	"envs": true, "settings": true, "jobspecs": true, "pods": true, "statushistory": true,
	"datasources": true, "codesource": true, "tags": true, "labels": true, "userdefined": true,
}

// record holds the best value seen so far for each field, and where it was
// read. Values are gjson results, so text stays a substring of the body
// until a Task is built.
type record struct {
	val  [numFields]gjson.Result
	rank [numFields]uint8 // 0: unset; else depth*numPrio + prio + 1 of the key that set it
	// Where each value was read: the object's path and the key in it (both
	// substrings or constants, so reading costs no allocation); pathOf
	// joins them when a path is wanted.
	dir, key [numFields]string
}

// pathOf is the gjson path field f was read from, "" when unset.
func (r *record) pathOf(f field) string {
	if r.key[f] == "" {
		return r.dir[f]
	}
	return join(r.dir[f], r.key[f])
}

// paths returns every field's path.
func (r *record) paths() [numFields]string {
	var out [numFields]string
	for f := range numFields {
		out[f] = r.pathOf(f)
	}
	return out
}

// normKey lower-cases key and drops '_' and '-' into buf; ok is false for a
// key too long to be a synonym.
func normKey(buf *[maxKey]byte, key string) (string, bool) {
	if len(key) > 2*maxKey {
		return "", false
	}
	n := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '_' || c == '-':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if n == len(buf) {
			return "", false
		}
		buf[n] = c
		n++
	}
	return string(buf[:n]), true
}

// walk offers every key of obj, and of the objects inside it down to
// maxDepth, to the record. prefix is obj's gjson path ("" for the root).
func (r *record) walk(obj gjson.Result, prefix string, depth int) {
	obj.ForEach(func(k, v gjson.Result) bool {
		if v.IsObject() {
			var buf [maxKey]byte
			if n, ok := normKey(&buf, k.Str); depth < maxDepth && !(ok && noDescend[n]) {
				r.walk(v, join(prefix, k.Str), depth+1)
			}
			return true
		}
		r.see(prefix, k.Str, v, depth)
		return true
	})
}

// join appends a key to a gjson path, escaping what gjson would read as syntax.
func join(prefix, key string) string {
	if prefix == "" {
		return gjson.Escape(key)
	}
	return prefix + "." + gjson.Escape(key)
}

// see offers one key (at path prefix, depth objects down) and its value.
func (r *record) see(prefix, key string, v gjson.Result, depth int) {
	if !usable(v) {
		return
	}
	var buf [maxKey]byte
	n, ok := normKey(&buf, key)
	if !ok {
		return
	}
	s, ok := keyIndex[n]
	if !ok {
		return
	}
	rank := uint8(depth*numPrio) + s.prio + 1
	if r.rank[s.f] == 0 || rank < r.rank[s.f] {
		r.val[s.f] = v
		r.rank[s.f] = rank
		r.dir[s.f], r.key[s.f] = prefix, key
	}
}

// set stores v, read at path, for f when usable, ahead of anything seen
// before (used for overrides and for the fixed SageMaker keys).
func (r *record) set(f field, v gjson.Result, path string) bool {
	if !usable(v) {
		return false
	}
	r.val[f] = v
	r.rank[f] = 1
	r.dir[f], r.key[f] = path, ""
	return true
}

func (r *record) has(f field) bool { return r.rank[f] != 0 }

// str is the text of field f: a string's contents, a number's literal
// (so that big numeric ids keep every digit).
func (r *record) str(f field) string {
	if r.rank[f] == 0 {
		return ""
	}
	return text(r.val[f])
}

func text(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return v.Str
	case gjson.Number:
		return v.Raw
	}
	return ""
}

// usable reports whether v can fill a field: null, empty strings, booleans,
// objects and arrays never do.
func usable(v gjson.Result) bool {
	return (v.Type == gjson.String && v.Str != "") || v.Type == gjson.Number
}
