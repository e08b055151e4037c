// Package notify is the notifier's pipeline: it parses one invocation's
// events, matches them against the rules, renders messages and delivers them
// through each target's channel (DingTalk, WeCom, Lark, Slack, a signed
// webhook: the registry in internal/channel/channels), with retries inside
// the invocation's deadline, no duplicates on redelivery, and a per-target
// rate budget that folds bursts into digests instead of tripping a
// service's lockout.
//
// Its answer follows EventBridge's contract: Handle returns an error only
// when the platform retrying the invocation can help (or the configuration
// is broken, so that events wait in retry or the dead-letter queue instead
// of being dropped). Failures no retry can fix are reported in the Result and
// logged loudly with their reason and hint.
package notify

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/message"
	"github.com/pai-notifier/pai-notifier/internal/rate"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/state"
)

// Sender delivers one message to one target through ch, the target's
// channel. The default sends with ch.Send; a dry run prints instead, and
// tests script answers.
type Sender interface {
	Send(ctx context.Context, ch channel.Channel, t channel.Target, m channel.Message) error
}

// ChannelSender is the real Sender: the channel's own Send.
type ChannelSender struct{}

// Send is ch.Send.
func (ChannelSender) Send(ctx context.Context, ch channel.Channel, t channel.Target, m channel.Message) error {
	return ch.Send(ctx, t, m)
}

// Config wires a Notifier. Zero values get sensible defaults.
type Config struct {
	Rules   *rules.Set
	Parser  *event.Parser
	ConfErr error  // an invalid configuration: every invocation fails with it
	Sender  Sender // ChannelSender when nil
	// Channels are the registry's channels by target type; built from
	// channels.All (with SendTimeout) when nil.
	Channels map[string]channel.Channel
	Logger   *slog.Logger
	Now      func() time.Time
	State    state.Store   // claims, budgets, lockouts, gone marks; the instance's memory when nil
	Rate     state.Rate    // DingTalk robots' budget (DINGTALK_RATE_LIMIT); DingTalk's 20/1m when zero. Other services use their registry defaults; target.rateLimit overrides both
	Lockout  time.Duration // how long a robot that answered "too fast" is left alone; 10m when zero
	// Instances is how many instances may deliver at once with no shared
	// store: every window of every target is split among them (at least one
	// message each), so that together they never pass a target's limit.
	// 0 or 1: this instance has the whole budget.
	Instances int
	GoneFor   time.Duration // how long a robot that answered "gone" is skipped; DefaultGoneFor when zero
	Parallel  int           // robots delivered to at once; 8 when zero
	Remember  int           // dedupe keys the default State remembers (two per delivery); 65536 when zero, about 2 MB
	Explain   bool          // add every rule's verdict to the Result
	DryRun    bool          // Sender prints instead of sending; the Result says so

	// Retry backoff inside one invocation: jittered exponential from
	// BackoffBase up to BackoffMax, while the context's deadline allows.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// SendTimeout caps one attempt; the context's deadline caps it further.
	SendTimeout time.Duration
	// InvokeTimeout bounds an invocation whose context has no deadline
	// (local mode); 30s when zero, like the descriptors' function timeout.
	InvokeTimeout time.Duration
	// Sleep waits between attempts; a timer that the context cuts short
	// when nil. Tests inject one that moves their clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultGoneFor is how long a robot that answered "disabled / dissolved /
// removed" is skipped before it is tried again: long enough not to knock on
// a dead robot for every event, short enough that a re-enabled robot speaks
// again within minutes.
const DefaultGoneFor = 5 * time.Minute

// Notifier handles invocations. It is safe for concurrent use, as FC runs
// invocations of one instance concurrently.
type Notifier struct {
	cfg    Config
	state  state.Store
	robots map[*rules.Rule]string // channels.TargetID of each rule's webhook, computed once
	routes map[*rules.Rule]route  // each rule's channel and budget
	alarm  unreadableAlarm        // when the unreadable-events alarm last went out
}

// route is how a rule's messages travel: its service, channel and budget
// windows (none: unlimited).
type route struct {
	spec   channels.Spec
	ch     channel.Channel
	limits []rate.Rate
}

// New builds a Notifier from cfg.
func New(cfg Config) *Notifier {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	rateSet := cfg.Rate.N > 0
	if !rateSet {
		cfg.Rate = state.DefaultRate
	}
	if cfg.Lockout == 0 {
		cfg.Lockout = 10 * time.Minute
	}
	if cfg.GoneFor == 0 {
		cfg.GoneFor = DefaultGoneFor
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 8
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Remember == 0 {
		cfg.Remember = 1 << 16
	}
	if cfg.BackoffBase == 0 {
		cfg.BackoffBase = 200 * time.Millisecond
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = 5 * time.Second
	}
	if cfg.SendTimeout == 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if cfg.InvokeTimeout == 0 {
		cfg.InvokeTimeout = 30 * time.Second
	}
	if cfg.Sender == nil {
		cfg.Sender = ChannelSender{}
	}
	if cfg.Channels == nil {
		cfg.Channels = map[string]channel.Channel{}
		for _, s := range channels.All {
			cfg.Channels[s.Name] = s.New(cfg.SendTimeout)
		}
	}
	if cfg.ConfErr == nil && (cfg.Rules == nil || cfg.Parser == nil) {
		cfg.ConfErr = errors.New("notify: rules and parser are required")
	}
	if cfg.State == nil {
		cfg.State = state.NewMemory(state.Options{Rate: cfg.Rate, Remember: cfg.Remember})
	}
	n := &Notifier{cfg: cfg, state: cfg.State, robots: map[*rules.Rule]string{}, routes: map[*rules.Rule]route{}}
	if cfg.Rules != nil {
		rs := cfg.Rules.Rules()
		if a := cfg.Rules.UnreadableAlarm(); a != nil {
			rs = append(rs, a)
		}
		for _, r := range rs {
			spec, ok := channels.Lookup(r.Target.Type)
			ch := cfg.Channels[spec.Name]
			if !ok || ch == nil {
				if cfg.ConfErr == nil {
					cfg.ConfErr = fmt.Errorf("notify: rule %q: no channel for target.type %q", r.Name, r.Target.Type)
					n.cfg.ConfErr = cfg.ConfErr
				}
				continue
			}
			n.robots[r] = channels.TargetID(spec.Name, r.Target.Webhook.Reveal())
			rt := route{spec: spec, ch: ch, limits: spec.Limits}
			switch {
			case r.Target.Rate != nil:
				rt.limits = r.Target.Rate
			case spec.Name == rules.TargetDingTalk && rateSet:
				rt.limits = []rate.Rate{cfg.Rate}
			}
			rt.limits = share(rt.limits, cfg.Instances)
			n.routes[r] = rt
		}
	}
	return n
}

// share is each of k instances' part of windows: N/k messages per window,
// at least one. Unlimited targets (no windows) stay unlimited.
func share(windows []rate.Rate, k int) []rate.Rate {
	if k <= 1 || len(windows) == 0 {
		return windows
	}
	out := make([]rate.Rate, len(windows))
	for i, w := range windows {
		out[i] = rate.Rate{N: max(1, w.N/k), Per: w.Per}
	}
	return out
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Result is what one invocation did. It never carries a secret.
type Result struct {
	DryRun     bool       `json:"dryRun,omitempty"` // "sent" means printed, not sent
	Events     int        `json:"events"`
	Matched    int        `json:"matched"`
	Sent       int        `json:"sent"`
	Failed     int        `json:"failed"`
	Skipped    int        `json:"skipped"`
	Unreadable int        `json:"unreadable"` // events from PAI whose job id or status could not be found
	Suppressed int        `json:"suppressed"`
	Retried    int        `json:"retried"`
	Deliveries []Delivery `json:"deliveries"` // at most 1,000: those not delivered first
	// DeliveriesOmitted counts the deliveries left out of Deliveries.
	DeliveriesOmitted int           `json:"deliveriesOmitted,omitempty"`
	Skips             *Skips        `json:"skips,omitempty"`
	Explain           []Explanation `json:"explain,omitempty"`
	// BatchItemFailures is Lambda's partial batch response for SQS: the
	// records whose notifications were left for retry. When every such
	// notification came in an SQS record, the invocation succeeds with this
	// list instead of failing, so that only those records come back
	// (ReportBatchItemFailures in template.yml).
	BatchItemFailures []BatchItemFailure `json:"batchItemFailures,omitempty"`
}

// BatchItemFailure names one SQS record to deliver again.
type BatchItemFailure struct {
	ItemIdentifier string `json:"itemIdentifier"` // the record's messageId
}

// Outcomes of a delivery.
const (
	Sent       = "sent"       // reached the group as its own message
	Digested   = "digest"     // reached the group inside a digest message
	Suppressed = "suppressed" // already delivered by this instance (redelivery or duplicate)
	Failed     = "failed"     // failed for a reason no retry can fix; see Error and Hint
	Retry      = "retry"      // not delivered yet; the invocation fails so the platform retries
)

// Delivery is one (event, rule) notification and what became of it.
type Delivery struct {
	Rule    string `json:"rule"`
	EventID string `json:"eventId"`
	JobID   string `json:"jobId,omitempty"`
	Status  string `json:"status"` // the job's status
	Outcome string `json:"outcome"`
	Robot   string `json:"robot,omitempty"` // channels.TargetID: safe to show
	Error   string `json:"error,omitempty"`
	Hint    string `json:"hint,omitempty"`
	// SQSMessageID is the SQS record the event came in, if any.
	SQSMessageID string `json:"sqsMessageId,omitempty"`
}

// Explanation is every rule's verdict for one event.
type Explanation struct {
	EventID  string          `json:"eventId"`
	JobID    string          `json:"jobId"`
	Status   string          `json:"status"`
	Fields   *event.Origins  `json:"fields,omitempty"` // field name -> the key path it was read from
	Verdicts []rules.Verdict `json:"verdicts"`
}

// RetryableError fails an invocation so that the platform delivers it again.
type RetryableError struct {
	Pending int    // deliveries left for the retry
	Reason  string // the last reason, without secrets
}

func (e *RetryableError) Error() string {
	return fmt.Sprintf("notify: %d notification(s) not delivered yet, the platform should retry: %s", e.Pending, e.Reason)
}

// notification is one (task, rule) pair on its way to a robot.
type notification struct {
	task  *event.Task
	rule  *rules.Rule
	robot string
	idx   int           // index into Result.Deliveries
	keys  []string      // its dedupe keys that apply (see dedupeKeys)
	owned bool          // its keys are claimed by this invocation
	took  time.Duration // time spent sending it (with retries)
}

// run is one invocation's deliveries in progress. Robots are served
// concurrently, so the Result is written under mu.
type run struct {
	mu  sync.Mutex
	res *Result
	// mine holds the dedupe keys this invocation claimed: a duplicate
	// inside one batch is this invocation's own delivery, not another's
	// in flight.
	// Keys are hashed: a batch of 100,000 events holds 200,000 of them, and
	// whole keys cost ~20 MB where 64-bit hashes cost ~3 MB (a collision
	// among them is about as likely as 1 in 10^9).
	mine map[uint64]struct{}
	seed maphash.Seed
	// pending counts the notifications left for the platform's retry, and
	// reason is the last one's error: Result.Deliveries lists at most
	// maxListed, so the count is kept here.
	pending int
	reason  string
	// records are the SQS records of the notifications left for retry, once
	// each and in order (Result.BatchItemFailures), and whole says one of
	// them came in no SQS record, so the invocation must fail whole.
	records  []BatchItemFailure
	recorded map[string]bool
	whole    bool
	// deadline is the context's deadline on the notifier's clock (the
	// retry policy reads time from cfg.Now, which tests drive); zero when
	// the context has none.
	deadline time.Time
}

// Handle processes one invocation's payload.
func (n *Notifier) Handle(ctx context.Context, body []byte) (Result, error) {
	res := Result{Deliveries: []Delivery{}, DryRun: n.cfg.DryRun}
	if n.cfg.ConfErr != nil {
		n.cfg.Logger.ErrorContext(ctx, "configuration is invalid; failing the invocation so the event is kept for retry", "error", n.cfg.ConfErr)
		return res, n.cfg.ConfErr
	}
	if _, ok := ctx.Deadline(); !ok {
		// Local mode and tests have no platform deadline: bound the retries
		// as a function timeout would, so an unreachable robot cannot hold
		// an invocation forever.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.InvokeTimeout)
		defer cancel()
	}
	start := n.cfg.Now()
	rn := &run{res: &res, mine: map[uint64]struct{}{}, seed: maphash.MakeSeed(), recorded: map[string]bool{}}
	if dl, ok := ctx.Deadline(); ok {
		rn.deadline = start.Add(time.Until(dl))
	}
	// Tasks come in chunks, each matched and delivered before the next is
	// read, so a large batch is never held whole: peak memory stays within
	// a few times the payload (functions/notifier TestPeakRSSOfLargeBatches).
	batch, err := n.cfg.Parser.ParseChunks(body, start, chunkTasks, func(tasks []event.Task) {
		n.handleTasks(ctx, rn, tasks)
	})
	if err != nil {
		// Empty or not JSON: the error says which and where. The sender's
		// mistake, not ours, so WARN; the logger adds the request id.
		n.cfg.Logger.WarnContext(ctx, "unreadable invocation payload", "error", err, "bytes", len(body))
		return res, err
	}
	res.Skipped = len(batch.Skipped)
	res.Skips = summarise(batch.Skipped)
	if res.Skips != nil {
		// One line per invocation, not one per element: a 1 MB array of
		// numbers is 138,887 skips.
		n.cfg.Logger.InfoContext(ctx, "events skipped", "skipped", res.Skipped, "byReason", res.Skips.ByReason, "sample", res.Skips.Sample)
	}
	// A PAI event the parser cannot read is a notification lost, and a retry
	// reads it no better: say so loudly, with its key names (never values),
	// and let the invocation succeed. The first few are logged one by one,
	// the rest counted, so that a batch of them is not a flood of lines.
	res.Unreadable = len(batch.Unreadable)
	for i, u := range batch.Unreadable {
		if i == maxUnreadableLogged {
			n.cfg.Logger.WarnContext(ctx, "more PAI events unreadable in this invocation; logged the first ones only",
				"unreadable", res.Unreadable, "logged", maxUnreadableLogged)
			break
		}
		n.cfg.Logger.WarnContext(ctx, "PAI event unreadable: its keys differ from the ones the notifier knows; run notifier -inspect on it and map them with fields:",
			"index", u.Index, "eventId", u.EventID, "reason", u.Reason, "keyPaths", u.Paths)
	}
	n.alarmUnreadable(ctx, batch.Unreadable)

	n.cfg.Logger.InfoContext(ctx, "invocation done",
		"events", res.Events, "matched", res.Matched, "sent", res.Sent, "failed", res.Failed,
		"skipped", res.Skipped, "unreadable", res.Unreadable, "suppressed", res.Suppressed, "retried", res.Retried,
		"latencyMs", n.cfg.Now().Sub(start).Milliseconds())
	if rn.pending == 0 {
		return res, nil
	}
	if !rn.whole {
		res.BatchItemFailures = rn.records
		n.cfg.Logger.WarnContext(ctx, "SQS records left for retry; the others are done",
			"records", len(res.BatchItemFailures), "pending", rn.pending, "reason", rn.reason)
		return res, nil
	}
	return res, &RetryableError{Pending: rn.pending, Reason: rn.reason}
}

// maxUnreadableLogged is how many unreadable events one invocation logs one
// by one.
const maxUnreadableLogged = 10

// chunkTasks is how many tasks are matched and delivered at a time. A batch
// of up to this many is one chunk, so its digests are as before; a larger
// one is folded into digests chunk by chunk.
const chunkTasks = 2000

// handleTasks matches one chunk of an invocation's tasks and delivers what
// matched.
func (n *Notifier) handleTasks(ctx context.Context, rn *run, tasks []event.Task) {
	res := rn.res
	res.Events += len(tasks)
	first := len(res.Deliveries) // this chunk's deliveries start here
	var pending []*notification
	var matched []*rules.Rule
	for i := range tasks {
		t := &tasks[i]
		matched = n.cfg.Rules.Match(matched[:0], t)
		if n.cfg.Explain {
			res.Explain = append(res.Explain, Explanation{EventID: t.EventID, JobID: t.JobID, Status: t.Status, Fields: t.From, Verdicts: n.cfg.Rules.Explain(t)})
		}
		for _, r := range matched {
			res.Matched++
			// Rule ids are computed in New (a URL parse and a SHA-256 per
			// rule, not per delivery); every rule of the set is there.
			nt := &notification{task: t, rule: r, robot: n.robots[r], idx: len(res.Deliveries)}
			nt.keys = dedupeKeys(t, r)
			res.Deliveries = append(res.Deliveries, Delivery{Rule: r.Name, EventID: t.EventID, JobID: t.JobID, Status: t.Status, Robot: nt.robot, SQSMessageID: t.SQSMessageID})
			if outcome, err := n.claim(ctx, rn, nt); outcome != "" {
				n.finish(ctx, rn, nt, outcome, err)
				continue
			}
			pending = append(pending, nt)
		}
	}
	n.deliverAll(ctx, rn, byRobot(pending))
	for _, d := range res.Deliveries[first:] {
		if d.Outcome != Retry {
			continue
		}
		rn.pending++
		rn.reason = d.Error
		switch {
		case d.SQSMessageID == "":
			rn.whole = true
		case !rn.recorded[d.SQSMessageID]:
			rn.recorded[d.SQSMessageID] = true
			rn.records = append(rn.records, BatchItemFailure{ItemIdentifier: d.SQSMessageID})
		}
	}
	res.keepListed()
}

// dedupeKeys are the two identities of a notification: the event itself
// (EventBridge redelivery keeps source+id) and the job state it reports
// (PAI may publish the same state twice under different ids). The state
// includes the finish time when the event has one, so that a job that
// restarts and fails again is reported again. An identity whose id is
// missing is left out.
func dedupeKeys(t *event.Task, r *rules.Rule) []string {
	var keys []string
	if t.EventID != "" {
		keys = append(keys, "e\x00"+t.EventSource+"\x00"+t.EventID+"\x00"+r.Name)
	}
	if t.JobID != "" {
		state := strings.ToLower(t.Status)
		if !t.Finished.IsZero() {
			state += "@" + strconv.FormatInt(t.Finished.UnixMilli(), 10)
		}
		keys = append(keys, "j\x00"+string(t.Source)+"\x00"+t.JobID+"\x00"+state+"\x00"+r.Name)
	}
	return keys
}

var errInFlight = errors.New("another invocation is delivering this notification now; the platform's retry will find it delivered, or send it if that invocation failed")

// claim takes nt's dedupe keys for this invocation. It returns "" when nt
// is this invocation's to deliver; Suppressed when it was delivered (or is
// a duplicate inside this invocation); Retry when another invocation holds
// it and has not delivered it yet: that one may fail or have been cut off,
// so the event is left for the platform's retry rather than dropped.
func (n *Notifier) claim(ctx context.Context, rn *run, nt *notification) (string, error) {
	var taken []string
	giveBack := func() {
		for _, k := range taken {
			n.state.Release(ctx, k)
		}
	}
	for _, k := range nt.keys {
		if _, ok := rn.mine[maphash.String(rn.seed, k)]; ok {
			giveBack()
			return Suppressed, nil
		}
		switch n.state.Claim(ctx, k) {
		case state.Delivered:
			giveBack()
			return Suppressed, nil
		case state.InFlight:
			giveBack()
			return Retry, errInFlight
		}
		taken = append(taken, k)
	}
	for _, k := range taken {
		rn.mine[maphash.String(rn.seed, k)] = struct{}{}
	}
	nt.owned = true
	return "", nil
}

// settleClaims records what became of nt in the state store: confirmed
// when it reached the group, released otherwise so that a retry can send
// it. Keys it does not own (a duplicate, or another invocation's) are left
// alone.
func (n *Notifier) settleClaims(ctx context.Context, nt *notification, outcome string) {
	if !nt.owned {
		return
	}
	for _, k := range nt.keys {
		if outcome == Sent || outcome == Digested {
			n.state.Confirm(ctx, k)
		} else {
			n.state.Release(ctx, k)
		}
	}
}

// finish records the outcome of one notification.
func (n *Notifier) finish(ctx context.Context, rn *run, nt *notification, outcome string, err error) {
	n.settleClaims(ctx, nt, outcome) // outside the lock: a store may take a round trip
	rn.mu.Lock()
	defer rn.mu.Unlock()
	res := rn.res
	d := &res.Deliveries[nt.idx]
	d.Outcome = outcome
	level := slog.LevelInfo
	switch outcome {
	case Sent, Digested:
		res.Sent++
	case Suppressed:
		res.Suppressed++
	case Failed:
		res.Failed++
		level = slog.LevelError
	case Retry:
		level = slog.LevelWarn
	}
	if err != nil {
		d.Error = err.Error()
		var ce *channel.Error
		if errors.As(err, &ce) {
			d.Hint = ce.Hint
		}
	}
	n.cfg.Logger.Log(ctx, level, "delivery", "eventId", d.EventID, "jobId", d.JobID, "status", d.Status,
		"rule", d.Rule, "robot", d.Robot, "outcome", outcome, "latencyMs", nt.took.Milliseconds(),
		"error", d.Error, "hint", d.Hint)
}

// byRobot groups notifications by target robot, keeping first-seen order.
func byRobot(ns []*notification) [][]*notification {
	var groups [][]*notification
	pos := map[string]int{}
	for _, nt := range ns {
		i, ok := pos[nt.robot]
		if !ok {
			i = len(groups)
			pos[nt.robot] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], nt)
	}
	return groups
}

// deliverAll serves each robot's notifications in its own goroutine, at
// most cfg.Parallel robots at once: a robot that hangs holds its own
// deliveries, never another robot's.
func (n *Notifier) deliverAll(ctx context.Context, rn *run, groups [][]*notification) {
	if len(groups) == 1 {
		n.deliver(ctx, rn, groups[0])
		return
	}
	slots := make(chan struct{}, n.cfg.Parallel)
	var wg sync.WaitGroup
	for _, g := range groups {
		slots <- struct{}{} // robots start in first-seen order
		wg.Go(func() {
			defer func() { <-slots }()
			n.deliver(ctx, rn, g)
		})
	}
	wg.Wait()
}

// deliver sends one robot's notifications: one message each while the
// robot's budget allows, else digests that name every job.
func (n *Notifier) deliver(ctx context.Context, rn *run, group []*notification) {
	robot := group[0].robot
	rt := n.routes[group[0].rule]
	target := group[0].rule.Target
	finishAll := func(outcome string, err error) {
		for _, nt := range group {
			n.finish(ctx, rn, nt, outcome, err)
		}
	}
	if ctx.Err() != nil {
		// Other robots used the invocation's time before this one's turn:
		// nothing was tried, so nothing is this robot's fault.
		finishAll(Retry, errNotAttempted)
		return
	}
	now := n.cfg.Now()
	if mark, ok := n.state.Gone(ctx, robot, now); ok {
		reason := &channel.Error{Channel: rt.spec.Name, Code: mark.Code, Msg: mark.Reason, Class: channel.ClassTargetGone}
		reason.Hint = rt.spec.HintFor(reason)
		if now.Before(mark.Until) {
			finishAll(Failed, reason)
			return
		}
		n.cfg.Logger.InfoContext(ctx, "robot's gone mark expired; trying it again", "robot", robot, "markedFor", n.cfg.GoneFor.String(), "error", reason.Error())
	}
	avail := n.available(ctx, robot, rt, now)
	if avail <= 0 {
		finishAll(Retry, errBudgetSpent)
		return
	}
	// What the messages would cost depends only on their mentions (WeCom:
	// 2 with mobiles or everyone): known without rendering a burst that
	// becomes digests anyway.
	need := 0
	for _, nt := range group {
		o := taskOptions(nt)
		need += rt.spec.CostOf(channel.Message{Mentions: channel.Mentions{Mobiles: o.AtMobiles, UserIDs: o.AtUserIDs, All: o.AtAll}})
	}
	if need <= avail {
		for _, nt := range group {
			start := n.cfg.Now()
			err := n.send(ctx, rn, robot, rt, target, message.Render(rt.ch, nt.task, taskOptions(nt)))
			nt.took = n.cfg.Now().Sub(start)
			n.finish(ctx, rn, nt, outcomeOf(err), err)
		}
		return
	}
	n.deliverDigests(ctx, rn, group, avail)
}

// unlimited is the budget of a target without windows (a generic webhook).
const unlimited = 1 << 30

// windowKey names window i of a target's budget in the store: the first is
// the target itself (where lockouts live), the others carry their rate.
func windowKey(robot string, i int, r rate.Rate) string {
	if i == 0 {
		return robot
	}
	return robot + "/" + r.String()
}

// available is how many messages robot may still send now: the least
// room of its windows.
func (n *Notifier) available(ctx context.Context, robot string, rt route, now time.Time) int {
	avail := unlimited
	for i, r := range rt.limits {
		avail = min(avail, n.state.Available(ctx, windowKey(robot, i, r), r, now))
	}
	return avail
}

// take spends cost messages of every window of robot's budget, or none
// (what it took is refunded) when one window has no room.
func (n *Notifier) take(ctx context.Context, robot string, rt route, now time.Time, cost int) ([]state.Ticket, bool) {
	var tickets []state.Ticket
	for i, r := range rt.limits {
		for range cost {
			t, ok := n.state.Take(ctx, windowKey(robot, i, r), r, now)
			if !ok {
				for _, t := range tickets {
					n.state.Refund(ctx, t)
				}
				return nil, false
			}
			tickets = append(tickets, t)
		}
	}
	return tickets, true
}

var (
	errBudgetSpent  = errors.New("the target's rate budget is spent for this window; delivering later avoids the service's lockout (DingTalk's lasts 10 minutes)")
	errNotAttempted = errors.New("not attempted: the invocation's time ran out before this robot's turn; the platform's retry will send it")
)

// deliverDigests folds a robot's notifications into at most avail digest
// messages, each listing as many jobs as fit in one DingTalk message. Jobs
// that do not fit are left for the platform's retry, which the dedupe memory
// makes safe: what was delivered is not sent again.
func (n *Notifier) deliverDigests(ctx context.Context, rn *run, group []*notification, avail int) {
	robot := group[0].robot
	rt := n.routes[group[0].rule]
	tasks := make([]*event.Task, len(group))
	for i, nt := range group {
		tasks[i] = nt.task
	}
	listed := make([]bool, len(group))
	var err error
	o := digestOptions(group)
	// A digest costs what its mentions cost (WeCom: 2 with mobiles or
	// everyone), the same for every part.
	cost := rt.spec.CostOf(channel.Message{Mentions: channel.Mentions{Mobiles: o.AtMobiles, UserIDs: o.AtUserIDs, All: o.AtAll}})
	for _, part := range message.DigestAtMost(rt.ch, tasks, o, avail/cost) {
		start := n.cfg.Now()
		if err == nil {
			err = n.send(ctx, rn, robot, rt, group[0].rule.Target, part.Message)
		}
		took := n.cfg.Now().Sub(start)
		for _, i := range part.Tasks {
			nt := group[i]
			listed[i] = true
			nt.took = took
			if err == nil {
				n.finish(ctx, rn, nt, Digested, nil)
			} else {
				n.finish(ctx, rn, nt, outcomeOf(err), err)
			}
		}
	}
	if err == nil {
		err = errBudgetSpent // the budget ran out before every job was listed
	}
	for i, nt := range group {
		if !listed[i] {
			n.finish(ctx, rn, nt, outcomeOf(err), err)
		}
	}
}

func outcomeOf(err error) string {
	if err == nil {
		return Sent
	}
	if retryable(err) {
		return Retry
	}
	return Failed
}

func retryable(err error) bool {
	if errors.Is(err, errBudgetSpent) || errors.Is(err, errNotAttempted) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var ce *channel.Error
	if errors.As(err, &ce) {
		return ce.Retryable()
	}
	return true // an unknown failure is not known to be permanent
}

// send is the retry policy around attempt: retryable failures are tried
// again with jittered exponential backoff while the invocation's deadline
// leaves room for another attempt. A rate limit, a spent budget and a
// permanent failure end it at once. It returns errNotAttempted when the
// invocation's time was up before the first attempt.
func (n *Notifier) send(ctx context.Context, rn *run, robot string, rt route, target rules.Target, m channel.Message) error {
	if ctx.Err() != nil {
		return errNotAttempted
	}
	backoff := n.cfg.BackoffBase
	for {
		err := n.attempt(ctx, robot, rt, target, m)
		var ce *channel.Error
		if err == nil || !retryable(err) || errors.Is(err, errBudgetSpent) || ctx.Err() != nil ||
			errors.As(err, &ce) && ce.Class == channel.ClassRateLimited {
			return err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if !rn.deadline.IsZero() && rn.deadline.Sub(n.cfg.Now()) < wait+minAttempt {
			return err // no time left for another attempt: the platform retries
		}
		rn.mu.Lock()
		rn.res.Retried++
		rn.mu.Unlock()
		if n.cfg.Sleep(ctx, wait) != nil {
			return err
		}
		backoff = min(backoff*2, n.cfg.BackoffMax)
	}
}

// maxRetryAfter caps how long a target's own Retry-After can silence it.
const maxRetryAfter = time.Hour

// attempt is one send to robot and its bookkeeping: it takes a unit of the
// robot's budget, sends, then settles the unit by the answer (kept at the
// answer's time, or refunded when DingTalk surely did not count it), and
// marks the robot locked out (rate limit) or gone.
func (n *Notifier) attempt(ctx context.Context, robot string, rt route, target rules.Target, m channel.Message) error {
	start := n.cfg.Now()
	tickets, ok := n.take(ctx, robot, rt, start, rt.spec.CostOf(m))
	if !ok {
		return errBudgetSpent
	}
	actx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
	err := n.cfg.Sender.Send(actx, rt.ch, channel.Target{Webhook: target.Webhook, Secret: target.Secret}, m)
	cancel()
	done := n.cfg.Now()
	// DingTalk counts a message at some moment between the request's start
	// and its answer. Keeping the answer's time keeps the budget's window
	// behind DingTalk's, never ahead of it: with the start time, a send at
	// the window's edge could land inside DingTalk's window, and the answer
	// is a ten-minute lockout (seen in the load test).
	for i, t := range tickets {
		tickets[i] = n.state.Settle(ctx, t, done)
	}
	n.cfg.Logger.DebugContext(ctx, "send attempt", "robot", robot, "channel", rt.spec.Name, "latencyMs", done.Sub(start).Milliseconds(), "error", errString(err))
	var ce *channel.Error
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.Class {
	case channel.ClassServer:
		for _, t := range tickets {
			n.state.Refund(ctx, t) // the service answered 5xx: it never counted it
		}
		// A network error is not refunded: a timeout may come after
		// the service counted the message, and refunding that overspends.
	case channel.ClassRateLimited:
		lockout := n.cfg.Lockout
		if ce.RetryAfter > 0 {
			lockout = min(ce.RetryAfter, maxRetryAfter)
		}
		n.state.Throttle(ctx, robot, done, done.Add(lockout))
	case channel.ClassTargetGone:
		n.state.MarkGone(ctx, robot, done, state.Mark{Code: ce.Code, Reason: ce.Msg, Until: done.Add(n.cfg.GoneFor)})
	}
	return err
}

// minAttempt is the least time worth starting another attempt with.
const minAttempt = 500 * time.Millisecond

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func options(r *rules.Rule) message.Options {
	return message.Options{
		Lang:      r.Lang,
		Format:    r.Format,
		Keyword:   r.Target.Keyword,
		Location:  r.Location,
		AtMobiles: r.Target.AtMobiles,
		AtUserIDs: r.Target.AtUserIDs,
		AtAll:     r.Target.AtAll,
	}
}

// taskOptions is options with the rule's mentions for this task (the job's
// creator, with atOwner).
func taskOptions(nt *notification) message.Options {
	o := options(nt.rule)
	o.AtMobiles, o.AtUserIDs = nt.rule.Mentions(nt.task)
	return o
}

// digestOptions merges the rules that share a robot: the first rule's
// language and keyword, every rule's mentions.
func digestOptions(group []*notification) message.Options {
	o := options(group[0].rule)
	o.Format = "" // a digest lists many links: no single card button
	seenM, seenU := map[string]bool{}, map[string]bool{}
	o.AtMobiles, o.AtUserIDs = nil, nil
	for _, nt := range group {
		t := nt.rule.Target
		mobiles, users := nt.rule.Mentions(nt.task)
		for _, m := range mobiles {
			if !seenM[m] {
				seenM[m] = true
				o.AtMobiles = append(o.AtMobiles, m)
			}
		}
		for _, u := range users {
			if !seenU[u] {
				seenU[u] = true
				o.AtUserIDs = append(o.AtUserIDs, u)
			}
		}
		o.AtAll = o.AtAll || t.AtAll
	}
	return o
}
