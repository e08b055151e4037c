package event

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Batch is what one delivery held.
type Batch struct {
	Tasks      []Task
	Skipped    []Skip       // events from other sources or elements that are not events, counted, not errors
	Unreadable []Unreadable // events from PAI that gave no job id, status or product: PAI's keys differ from ours
}

// Unreadable is an event that came from PAI (its source, bus, type or ids
// say so) but whose job id, status or product could not be found. It is
// never quiet: a caller counts it and logs it loudly, since it means PAI
// publishes keys this parser does not know and every such event is lost.
type Unreadable struct {
	Index   int      `json:"index"`
	EventID string   `json:"eventId,omitempty"`
	Reason  string   `json:"reason"`
	Paths   []string `json:"paths"` // the event's leaf key paths, names only: never a value
}

// Skip is one event or element that gave no Task, and why.
type Skip struct {
	Index   int    // position in the delivery, counting events and elements in reading order from 0
	EventID string // the event's id when it could be read (for an SQS record: its messageId)
	Reason  string
}

// Parser reads deliveries into Tasks. The zero Parser reads with the default
// keys only. A Parser is immutable and safe for concurrent use.
type Parser struct {
	overrides map[Source][]override
	kinds     []KindRule
	trace     bool // record where each field was read (Task.From)
}

// Traced returns a copy of p that records in each Task where every field was
// read (Task.From), for -explain and -inspect.
func (p *Parser) Traced() *Parser {
	c := Parser{}
	if p != nil {
		c = *p
	}
	c.trace = true
	return &c
}

type override struct {
	f    field
	path string
}

// NewParser builds a parser. overrides maps source -> field name -> gjson
// path evaluated against the event object (the CloudEvent envelope, or the
// AWS envelope), e.g. {"dlc": {"jobId": "data.detail.JobId"}}. Field names
// are the lowerCamel names in FieldNames. An entry CheckField rejects is an
// error naming it. An override wins over the default keys when its path
// finds a value and leaves them in place when it does not.
//
// kinds are the document's `kinds:` entries, each checked by CheckKindRule.
func NewParser(overrides map[Source]map[string]string, kinds ...KindRule) (*Parser, error) {
	p := &Parser{overrides: map[Source][]override{}}
	var errs []error
	for _, k := range kinds {
		if err := CheckKindRule(k); err != nil {
			errs = append(errs, fmt.Errorf("kinds.%s: %w", k.Kind, err))
			continue
		}
		k.Kind, _ = ParseKind(string(k.Kind))
		p.kinds = append(p.kinds, k)
	}
	for _, src := range slices.Sorted(mapKeys(overrides)) {
		if err := CheckField(src, "", ""); err != nil {
			errs = append(errs, fmt.Errorf("fields.%s: %w", src, err))
			continue
		}
		fields := overrides[src]
		for _, name := range slices.Sorted(mapKeys(fields)) {
			if err := CheckField(src, name, fields[name]); err != nil {
				errs = append(errs, fmt.Errorf("fields.%s.%s: %w", src, name, err))
				continue
			}
			p.overrides[src] = append(p.overrides[src], override{fieldByName[name], strings.TrimSpace(fields[name])})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// CheckField is the one judge of a `fields:` entry (the rules document's
// validation and NewParser both ask it): the source must be known, the field
// one of FieldNames and the path not blank. With name empty only the source
// is checked.
func CheckField(src Source, name, path string) error {
	if !src.Valid() {
		return fmt.Errorf("unknown source (want %s)", sourceList())
	}
	if name == "" {
		return nil
	}
	if _, ok := fieldByName[name]; !ok {
		return fmt.Errorf("unknown field (known: %s)", strings.Join(FieldNames, ", "))
	}
	if strings.TrimSpace(path) == "" {
		return errors.New("empty path")
	}
	return nil
}

// sourceList is "dlc or paiflow", for messages.
func sourceList() string {
	names := make([]string, len(Sources))
	for i, s := range Sources {
		names[i] = string(s)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

var defaultParser Parser

// Parse reads one delivery: a CloudEvent object, a JSON array of objects or
// of JSON-encoded strings (FC batches), an AWS EventBridge envelope, SQS
// records whose bodies are any of those, or queue messages an FC
// event-streaming trigger delivers (MNS: data.messageBody; RocketMQ:
// data.body) whose bodies are any of those but SQS records. The error is non-nil only when the
// body is empty or not JSON; anything else that gives no Task is a Skip.
// EventTime falls back to received when the event's own time is unreadable.
func (p *Parser) Parse(body []byte, received time.Time) (Batch, error) {
	st := state{p: p, received: received}
	// One copy: every string in the Tasks is a substring of it.
	if err := st.read(body, string(body)); err != nil {
		return Batch{}, err
	}
	return st.b, nil
}

// ParseChunks reads a delivery as Parse does, but hands its Tasks to fn as
// they are read, in chunks of at most size, and returns the rest of the
// Batch (skips and unreadable events; no Tasks): a large batch is then never
// held whole as Tasks. fn may keep a chunk; none is reused. To save a copy
// of a large payload, the strings in the Tasks point into body itself, which
// must not be modified while they are in use.
func (p *Parser) ParseChunks(body []byte, received time.Time, size int, fn func([]Task)) (Batch, error) {
	st := state{p: p, received: received, chunk: max(size, 1), each: fn}
	if err := st.read(body, unsafe.String(unsafe.SliceData(body), len(body))); err != nil {
		return Batch{}, err
	}
	if len(st.b.Tasks) > 0 {
		fn(st.b.Tasks)
	}
	st.b.Tasks = nil
	return st.b, nil
}

// read reads one delivery, whose text is s, into st.
func (st *state) read(body []byte, s string) error {
	if st.p == nil {
		st.p = &defaultParser
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("event: payload is empty")
	}
	if !gjson.ValidBytes(body) {
		return notJSON(body)
	}
	root := gjson.Parse(s)
	switch {
	case root.IsArray():
		st.array(root)
	case root.IsObject():
		st.object(root, true)
	case root.Type == gjson.String: // a JSON-encoded event, as some invokers send
		st.element(root)
	default:
		st.skip("", "body is a JSON "+kind(root)+", not an event object")
	}
	return nil
}

// notJSON says where the body stops being JSON. gjson only says whether it
// is valid; encoding/json's scanner, run on this error path only, gives the
// byte offset and what it found there.
func notJSON(body []byte) error {
	var raw json.RawMessage
	var se *json.SyntaxError
	if err := json.Unmarshal(body, &raw); errors.As(err, &se) {
		return fmt.Errorf("event: payload is not JSON: %s at byte %d of %d", se.Error(), se.Offset, len(body))
	}
	return fmt.Errorf("event: payload is not JSON (%d bytes)", len(body))
}

func kind(v gjson.Result) string {
	switch v.Type {
	case gjson.Null:
		return "null"
	case gjson.False, gjson.True:
		return "boolean"
	case gjson.Number:
		return "number"
	case gjson.String:
		return "string"
	}
	if v.IsArray() {
		return "array"
	}
	return "object"
}

// state is one Parse call's progress.
type state struct {
	p        *Parser
	b        Batch
	received time.Time
	n        int // index of the next event or element

	each  func([]Task) // ParseChunks: takes each full chunk of Tasks
	chunk int

	// record is the messageId of the SQS record being read; queued is set
	// while a queue message's body is read, so that bodies are unwrapped
	// once, never again inside themselves.
	record string
	queued bool

	// With inspect set, every event object read and the index of every
	// Task are kept, for Inspect.
	inspect bool
	objs    []eventObj
	taskIdx []int
}

// eventObj is one event object of a delivery and its index.
type eventObj struct {
	n int
	v gjson.Result
}

func (st *state) skip(id, reason string) {
	st.b.Skipped = append(st.b.Skipped, Skip{Index: st.n, EventID: id, Reason: reason})
	st.n++
}

func (st *state) array(v gjson.Result) {
	v.ForEach(func(_, el gjson.Result) bool {
		st.element(el)
		return true
	})
}

// element reads one batch element: an event object or a JSON-encoded one.
// It never unwraps further, so nesting is bounded.
func (st *state) element(el gjson.Result) {
	switch {
	case el.IsObject():
		st.object(el, false)
	case el.Type == gjson.String:
		if !gjson.Valid(el.Str) {
			st.skip("", "element is a string that is not JSON")
			return
		}
		inner := gjson.Parse(el.Str)
		if !inner.IsObject() {
			st.skip("", "element is a JSON-encoded "+kind(inner)+", not an event object")
			return
		}
		st.object(inner, false)
	default:
		st.skip("", "element is a JSON "+kind(el)+", not an event object")
	}
}

// envelope holds the top-level keys of one event object, read in one pass.
type envelope struct {
	id, source, typ, subject string
	time, publishTime, bus   string
	region, awsRegion, spec  string
	data, detail, records    gjson.Result
	hasData, aws             bool
	regionKey                string // the key region was read from
}

func (e *envelope) see(key string, v gjson.Result) {
	switch key {
	case "id":
		e.id = text(v)
	case "source":
		e.source = text(v)
	case "type":
		e.typ = text(v)
	case "subject":
		e.subject = text(v)
	case "time":
		e.time = text(v)
	case "specversion":
		e.spec = text(v)
	case "aliyunpublishtime":
		e.publishTime = text(v)
	case "aliyuneventbusname":
		e.bus = text(v)
	case "aliyunregionid":
		e.region = text(v)
	case "region":
		e.awsRegion = text(v)
	case "data":
		e.data, e.hasData = v, true
	case "detail-type":
		e.typ, e.aws = text(v), true
	case "detail":
		e.detail, e.aws = v, true
	case "Records":
		e.records = v
	}
}

// object reads one event object, or with sqs set, possibly SQS records.
func (st *state) object(v gjson.Result, sqs bool) {
	var env envelope
	v.ForEach(func(k, val gjson.Result) bool {
		env.see(k.Str, val)
		return true
	})
	if sqs && env.records.IsArray() && !env.hasData && !env.aws {
		st.sqs(env.records)
		return
	}
	if body, ok := queueBody(v, &env); ok && !st.queued {
		st.queueMessage(env.id, body)
		return
	}
	if st.inspect {
		st.objs = append(st.objs, eventObj{st.n, v})
	}
	env.regionKey = "aliyunregionid"
	if env.region == "" {
		env.region, env.regionKey = env.awsRegion, "region"
	}
	if env.aws {
		if env.source == "aws.sagemaker" {
			st.sagemaker(v, &env)
			return
		}
		st.pai(v, &env, env.detail, "detail")
		return
	}
	data, prefix := env.data, "data"
	if data.Type == gjson.String && gjson.Valid(data.Str) {
		data = gjson.Parse(data.Str) // data sent as a JSON-encoded string
	}
	if !env.hasData && env.source == "" && env.spec == "" {
		data, prefix = v, "" // a RawData trigger delivers only the data object
	}
	st.pai(v, &env, data, prefix)
}

// sqs reads SQS records; each body is an event, an array of events, or an
// AWS envelope, and is not unwrapped further.
func (st *state) sqs(records gjson.Result) {
	records.ForEach(func(_, rec gjson.Result) bool {
		if !rec.IsObject() {
			st.skip("", "SQS record is a JSON "+kind(rec)+", not an object")
			return true
		}
		id := rec.Get("messageId").Str
		body := rec.Get("body")
		st.record, st.queued = id, true
		defer func() { st.record, st.queued = "", false }()
		switch {
		case body.Type == gjson.String:
			if !gjson.Valid(body.Str) {
				st.skip(id, "SQS record body is not JSON")
				return true
			}
			inner := gjson.Parse(body.Str)
			switch {
			case inner.IsArray():
				st.array(inner)
			case inner.IsObject():
				st.object(inner, false)
			default:
				st.skip(id, "SQS record body is a JSON "+kind(inner)+", not an event")
			}
		case body.IsObject():
			st.object(body, false)
		default:
			st.skip(id, "SQS record has no body")
		}
		return true
	})
}

// queueBody finds the message body of a queue message an FC
// event-streaming trigger delivers: MNS puts it in data.messageBody (with
// the CloudEvents schema; RawData delivers the data object alone), RocketMQ
// in data.body beside data.topic. The body is a string holding what the
// EventBridge rule sent to the queue: the event's JSON, or that JSON in
// base64 when the trigger does not decode it (IsBase64Decode: false).
func queueBody(v gjson.Result, env *envelope) (gjson.Result, bool) {
	data := env.data
	if !env.hasData && env.source == "" && env.spec == "" {
		data = v // RawData: the data object alone
	}
	if !data.IsObject() {
		return gjson.Result{}, false
	}
	if b := data.Get("messageBody"); b.Type == gjson.String && data.Get("messageId").Exists() {
		return b, true
	}
	if b := data.Get("body"); b.Type == gjson.String && data.Get("topic").Exists() {
		return b, true
	}
	return gjson.Result{}, false
}

// queueMessage reads the body of one MNS or RocketMQ message (id is the
// message's CloudEvent id): an event, an array of events or an AWS
// envelope, as JSON text or base64 of it. It is not unwrapped further.
func (st *state) queueMessage(id string, body gjson.Result) {
	text := body.Str
	if !gjson.Valid(text) {
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
		if err != nil || !gjson.ValidBytes(dec) {
			st.skip(id, "queue message body is neither JSON nor base64 of JSON")
			return
		}
		text = string(dec)
	}
	st.queued = true
	defer func() { st.queued = false }()
	inner := gjson.Parse(text)
	switch {
	case inner.IsArray():
		st.array(inner)
	case inner.IsObject():
		st.object(inner, false)
	default:
		st.skip(id, "queue message body is a JSON "+kind(inner)+", not an event")
	}
}

// pai reads a PAI event (or anything claiming to be one) whose payload is
// data, found at path prefix of the event object.
func (st *state) pai(v gjson.Result, env *envelope, data gjson.Result, prefix string) {
	var r record
	if data.IsObject() {
		r.walk(data, prefix, 0)
	}
	jobID := r.str(fJobID)
	strongID := r.rank[fJobID] == 1 || r.has(fRunID) || hasPrefixFold(jobID, "dlc")
	fromPAI := hasPrefixFold(env.source, "acs.pai") || hasPrefixFold(env.bus, "pai-system-")
	isPAI := fromPAI || strongID || containsFold(env.source, "pai") || containsFold(env.typ, "pai") || containsFold(env.bus, "pai")

	// Which product: the envelope's words first, then the shape of the data.
	src := productOf(env.typ)
	if src == "" {
		src = productOf(env.source)
	}
	if src == "" {
		src = productOf(env.subject)
	}
	if src == "" {
		switch {
		case hasPrefixFold(jobID, "dlc"):
			src = DLC
		case hasPrefixFold(jobID, "dsw"):
			src = DSW
		case r.has(fRunID), r.has(fPipelineID), hasPrefixFold(jobID, "flow"):
			src = PAIFlow
		case r.rank[fJobID] == 1:
			src = DLC
		case r.has(fJobID):
			// The key or object an id or status was found in says which:
			// data.InstanceId, data.job.id, data.ApprovalStatus.
			src = cmp.Or(productOfPath(r.dir[fJobID], r.key[fJobID]), productOfPath(r.dir[fStatus], r.key[fStatus]))
		}
	}
	if src == "" || !isPAI {
		// A deployment that remapped the id knows where it is: trust that.
		for _, s := range Sources {
			if st.p.idOverrideFinds(s, v) {
				src, isPAI = s, true
				break
			}
		}
	}
	switch {
	case !isPAI && env.source == "":
		st.skip(env.id, "event has no source and no PAI job or run id")
		return
	case !isPAI:
		st.skip(env.id, fmt.Sprintf("source %q is not PAI", env.source))
		return
	case src == "":
		st.unreadable(v, env, fmt.Sprintf("PAI event of no known product (dlc, paiflow, dsw or model; type %q)", env.typ))
		return
	}
	st.finish(v, env, &r, src, notSageMaker)
}

// unreadable records an event from PAI that gave no Task.
func (st *state) unreadable(v gjson.Result, env *envelope, reason string) {
	st.b.Unreadable = append(st.b.Unreadable, Unreadable{Index: st.n, EventID: env.id, Reason: reason, Paths: KeyPaths(v)})
	st.n++
}

// idOverrideFinds reports whether s's jobId or runId override finds a value in v.
func (p *Parser) idOverrideFinds(s Source, v gjson.Result) bool {
	for _, o := range p.overrides[s] {
		if (o.f == fJobID || o.f == fRunID) && usable(gjson.Get(v.Raw, o.path)) {
			return true
		}
	}
	return false
}

// productOf tells the PAI product by the words in an envelope string.
func productOf(s string) Source {
	switch {
	case containsFold(s, "dlc"):
		return DLC
	case containsFold(s, "dsw"):
		return DSW
	case containsFold(s, "flow"), containsFold(s, "pipeline"):
		return PAIFlow
	case containsFold(s, "model"):
		return Model
	}
	return ""
}

// productOfPath tells the product by the key and objects a value was found
// in: data.job.id is a DLC job, data.pipelineRun.id a PAIFlow run,
// data.InstanceId a DSW instance, data.ApprovalStatus a model version.
func productOfPath(dir, key string) Source {
	if key == "" {
		return ""
	}
	if s := productOf(dir); s != "" {
		return s
	}
	switch {
	case containsFold(key, "instance"):
		return DSW
	case containsFold(key, "approval"), containsFold(key, "model"):
		return Model
	case containsFold(dir, "job"):
		return DLC
	}
	return ""
}

// cutLast splits a path at its last unescaped dot.
func cutLast(path string) (dir, key string) {
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '.' && path[i-1] != '\\' {
			return path[:i], path[i+1:]
		}
	}
	return "", path
}

// statusFromType reads a status out of an event type that names it, as
// "pai:DLC:JobFailed" or "JobSucceeded" do, for events with no status key.
// The longest known status the type's last word ends with wins, so
// "JobSubmitFailed" is read as SubmitFailed, not Failed.
func statusFromType(src Source, typ string) string {
	word := typ
	if i := strings.LastIndexAny(word, ":./ "); i >= 0 {
		word = word[i+1:]
	}
	best := ""
	for _, st := range statuses[src] {
		if len(st) > len(best) && len(word) >= len(st) && strings.EqualFold(word[len(word)-len(st):], st) {
			best = st
		}
	}
	return best
}

// finish applies overrides, checks the id and status and appends the Task.
func (st *state) finish(v gjson.Result, env *envelope, r *record, src Source, sm smKind) {
	var overridden [numFields]bool
	for _, o := range st.p.overrides[src] {
		overridden[o.f] = r.set(o.f, gjson.Get(v.Raw, o.path), o.path)
	}
	status := TrimStatus(r.str(fStatus))
	if status == "" && sm == notSageMaker {
		if status = statusFromType(src, env.typ); status != "" {
			r.dir[fStatus], r.key[fStatus] = "type", ""
		}
	}
	var jobID string
	// A DLC job id or a PAIFlow run id; each falls back to the other key.
	if src == PAIFlow {
		jobID = firstNonEmpty(r.str(fRunID), r.str(fJobID))
	} else {
		jobID = firstNonEmpty(r.str(fJobID), r.str(fRunID))
	}
	switch {
	case status == "" && jobID == "":
		st.unreadable(v, env, "no job id and no status field")
		return
	case status == "":
		st.unreadable(v, env, "no status field")
		return
	case jobID == "":
		st.unreadable(v, env, "no job id field")
		return
	}
	if sm != notSageMaker {
		status = sm.status(status)
	}
	status, _ = CanonicalStatus(src, status)

	t := Task{
		SQSMessageID:  st.record,
		EventID:       env.id,
		EventSource:   env.source,
		EventType:     env.typ,
		Source:        src,
		JobID:         jobID,
		JobType:       r.str(fJobType),
		Version:       r.str(fVersion),
		Status:        status,
		JobName:       r.str(fJobName),
		WorkspaceID:   r.str(fWorkspaceID),
		WorkspaceName: r.str(fWorkspaceName),
		Region:        r.str(fRegion),
		CreatorID:     r.str(fCreatorID),
		CreatorName:   r.str(fCreatorName),
		PipelineID:    r.str(fPipelineID),
		PipelineName:  r.str(fPipelineName),
		ReasonCode:    r.str(fReasonCode),
		ReasonMessage: r.str(fReasonMessage),
		EventLabel:    r.str(fEventLabel),
		EventMessage:  r.str(fEventMessage),
		Created:       timeOf(r.val[fCreated]),
		Started:       timeOf(r.val[fStarted]),
		Finished:      timeOf(r.val[fFinished]),
	}
	if st.p.trace {
		t.From = &Origins{paths: r.paths()}
	}

	// PAI's notifications pair 相关事件 (Event) with 消息内容 (Message), and
	// then Message is a label ("任务已失败"), not a reason. A Message without
	// that pair and without any reason key (PAIFlow's "node 'SQL Script-1'
	// failed") is the best reason the event has.
	if t.ReasonMessage == "" && t.EventLabel == "" && t.EventMessage != "" && !overridden[fEventMessage] {
		t.ReasonMessage, t.EventMessage = t.EventMessage, ""
		if t.From != nil {
			t.From.paths[fReasonMessage], t.From.paths[fEventMessage] = t.From.paths[fEventMessage], ""
		}
	}

	t.EventTime = parseTime(env.time)
	if t.EventTime.IsZero() {
		t.EventTime = parseTime(env.publishTime)
	}
	if t.EventTime.IsZero() {
		t.EventTime = st.received
	}
	if t.Region == "" {
		t.Region = env.region
		if t.From != nil && t.Region != "" {
			t.From.paths[fRegion] = env.regionKey
		}
		if t.Region == "" {
			t.Region = subjectRegion(env.subject)
			if t.From != nil && t.Region != "" {
				t.From.paths[fRegion] = "subject"
			}
		}
	}
	if t.WorkspaceName == "" {
		t.WorkspaceName, _ = strings.CutPrefix(env.bus, "pai-system-")
		if t.WorkspaceName == env.bus {
			t.WorkspaceName = ""
		}
		if t.From != nil && t.WorkspaceName != "" {
			t.From.paths[fWorkspaceName] = "aliyuneventbusname"
		}
	}
	if sm == smPipeline && t.PipelineName == "" {
		// arn:aws:sagemaker:<region>:<account>:pipeline/<name>
		if _, name, ok := strings.Cut(t.PipelineID, ":pipeline/"); ok {
			t.PipelineName = name
		}
	}

	t.Duration = seconds(r.val[fDuration])
	if t.Duration == 0 && !t.Finished.IsZero() {
		switch {
		case !t.Started.IsZero() && t.Finished.After(t.Started):
			t.Duration = t.Finished.Sub(t.Started)
		case !t.Created.IsZero() && t.Finished.After(t.Created):
			t.Duration = t.Finished.Sub(t.Created)
		}
	}

	if u := r.str(fConsoleURL); ConsoleLink(u) {
		t.ConsoleURL = u
	} else if t.From != nil {
		t.From.paths[fConsoleURL] = ""
	}
	if t.ConsoleURL == "" {
		t.ConsoleURL = consoleURL(&t, sm)
	}
	t.Kinds = st.p.kindsOf(&t, v)
	st.b.Tasks = append(st.b.Tasks, t)
	if st.inspect {
		st.taskIdx = append(st.taskIdx, st.n)
	}
	st.n++
	if st.each != nil && len(st.b.Tasks) >= st.chunk {
		st.each(st.b.Tasks)
		st.b.Tasks = nil
	}
}

// seconds reads a duration in seconds, as a number or numeric string.
func seconds(v gjson.Result) time.Duration {
	n := v.Num
	if v.Type == gjson.String {
		if !numeric(v.Str) {
			return 0
		}
		n = gjson.Parse(v.Str).Num
	} else if v.Type != gjson.Number {
		return 0
	}
	if !(n > 0) || n > 100*365*24*3600 { // beyond a century is garbage
		return 0
	}
	return time.Duration(n * float64(time.Second))
}

const consoleBase = "https://pai.console.aliyun.com/?regionId="

// consoleURL builds a console link from region, workspace and id. DLC uses
// the form PAI's own notifications carry (a DLC notification PAI sent,
// captured in github.com/gali-leilei/bullet tests/artifacts/aliyun.jsonl).
// No PAIFlow run, DSW instance or model version URL is published, so those
// link to their workspace's overview rather than to a guessed page. A
// SageMaker training job links to its page in its region's SageMaker
// console, a pipeline execution to that console's home.
func consoleURL(t *Task, sm smKind) string {
	q := url.QueryEscape
	if t.Source == SageMaker {
		if !regionLike(t.Region) {
			return ""
		}
		home := "https://" + t.Region + ".console.aws.amazon.com/sagemaker/home?region=" + t.Region
		if sm == smTraining && t.JobID != "" {
			return home + "#/jobs/" + url.PathEscape(t.JobID)
		}
		return home
	}
	if t.Region == "" || t.WorkspaceID == "" {
		return ""
	}
	switch t.Source {
	case DLC:
		if t.JobID == "" {
			return ""
		}
		return consoleBase + q(t.Region) + "&workspaceId=" + q(t.WorkspaceID) + "#/job/detail?jobId=" + q(t.JobID) + "&page=jobs"
	case PAIFlow, DSW, Model:
		return consoleBase + q(t.Region) + "&workspaceId=" + q(t.WorkspaceID) + "#/workspace/overview"
	}
	return ""
}

// subjectRegion takes the region out of an Alibaba subject such as
// "acs.pai:ap-southeast-1:<account>:workspace/...".
func subjectRegion(subject string) string {
	_, rest, ok := strings.Cut(subject, ":")
	if !ok {
		return ""
	}
	region, _, _ := strings.Cut(rest, ":")
	if !regionLike(region) {
		return ""
	}
	return region
}

// regionLike accepts "cn-hangzhou", "ap-southeast-1", "us-east-1".
func regionLike(s string) bool {
	if len(s) < 4 || len(s) > 32 || !strings.Contains(s, "-") || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z') && !('0' <= c && c <= '9') && c != '-' {
			return false
		}
	}
	return true
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// containsFold reports whether s contains sub, ignoring ASCII case; sub
// must be lower case. It does not allocate, unlike strings.ToLower.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if hasPrefixFold(s[i:], sub) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lower-case prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
