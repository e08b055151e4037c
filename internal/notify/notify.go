// Package notify is the notifier's pipeline: it parses one invocation's
// events, matches them against the rules, renders messages and delivers them
// to DingTalk robots, with retries inside the invocation's deadline, no
// duplicates on redelivery, and a per-robot rate budget that folds bursts
// into digests instead of tripping DingTalk's lockout.
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
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/message"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// Sender delivers one message to one robot. *dingtalk.Client is the real one.
type Sender interface {
	Send(ctx context.Context, webhook, secret secret.String, m dingtalk.Message) error
}

// Config wires a Notifier. Zero values get sensible defaults.
type Config struct {
	Rules    *rules.Set
	Parser   *event.Parser
	ConfErr  error // an invalid configuration: every invocation fails with it
	Sender   Sender
	Logger   *slog.Logger
	Now      func() time.Time
	Rate     Rate          // per-robot budget; DefaultRate when zero
	Lockout  time.Duration // how long a robot that answered "too fast" is left alone; 10m when zero
	Remember int           // dedupe keys remembered (two per delivery); 65536 when zero, about 2 MB
	Explain  bool          // add every rule's verdict to the Result

	// Retry backoff inside one invocation: jittered exponential from
	// BackoffBase up to BackoffMax, while the context's deadline allows.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// SendTimeout caps one attempt; the context's deadline caps it further.
	SendTimeout time.Duration
	// InvokeTimeout bounds an invocation whose context has no deadline
	// (local mode); 30s when zero, like the descriptors' function timeout.
	InvokeTimeout time.Duration
}

// Notifier handles invocations. It is safe for concurrent use, as FC runs
// invocations of one instance concurrently.
type Notifier struct {
	cfg       Config
	delivered *memory // dedupe keys of deliveries that reached a group
	gone      *goneTargets
	budget    *budget
	robots    map[*rules.Rule]string // dingtalk.RobotID of each rule's webhook, computed once
	alarm     unreadableAlarm        // when the unreadable-events alarm last went out
}

// New builds a Notifier from cfg.
func New(cfg Config) *Notifier {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rate.N == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Lockout == 0 {
		cfg.Lockout = 10 * time.Minute
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
	if cfg.ConfErr == nil && (cfg.Rules == nil || cfg.Parser == nil || cfg.Sender == nil) {
		cfg.ConfErr = errors.New("notify: rules, parser and sender are required")
	}
	n := &Notifier{
		cfg:       cfg,
		delivered: newMemory(cfg.Remember),
		gone:      newGoneTargets(),
		budget:    newBudget(cfg.Rate, cfg.Lockout),
		robots:    map[*rules.Rule]string{},
	}
	if cfg.Rules != nil {
		for _, r := range cfg.Rules.Rules() {
			n.robots[r] = dingtalk.RobotID(r.Target.Webhook.Reveal())
		}
	}
	return n
}

// robotOf is the robot id of r's target. Rules are immutable, so the id
// (a URL parse and a SHA-256) is computed once per rule, not per delivery.
func (n *Notifier) robotOf(r *rules.Rule) string {
	if id, ok := n.robots[r]; ok {
		return id
	}
	return dingtalk.RobotID(r.Target.Webhook.Reveal())
}

// Result is what one invocation did. It never carries a secret.
type Result struct {
	Events     int           `json:"events"`
	Matched    int           `json:"matched"`
	Sent       int           `json:"sent"`
	Failed     int           `json:"failed"`
	Skipped    int           `json:"skipped"`
	Unreadable int           `json:"unreadable"` // events from PAI whose job id or status could not be found
	Suppressed int           `json:"suppressed"`
	Retried    int           `json:"retried"`
	Deliveries []Delivery    `json:"deliveries"`
	Skips      []event.Skip  `json:"skips,omitempty"`
	Explain    []Explanation `json:"explain,omitempty"`
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
	Robot   string `json:"robot,omitempty"` // dingtalk.RobotID: safe to show
	Error   string `json:"error,omitempty"`
	Hint    string `json:"hint,omitempty"`
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
	idx   int // index into Result.Deliveries
	keys  [2]string
	took  time.Duration // time spent sending it (with retries)
}

// Handle processes one invocation's payload.
func (n *Notifier) Handle(ctx context.Context, body []byte) (Result, error) {
	res := Result{Deliveries: []Delivery{}}
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
	batch, err := n.cfg.Parser.Parse(body, start)
	if err != nil {
		n.cfg.Logger.ErrorContext(ctx, "unreadable invocation payload", "error", err, "bytes", len(body))
		return res, err
	}
	res.Events = len(batch.Tasks)
	res.Skipped = len(batch.Skipped)
	res.Skips = batch.Skipped
	for _, s := range batch.Skipped {
		n.cfg.Logger.InfoContext(ctx, "event skipped", "index", s.Index, "eventId", s.EventID, "reason", s.Reason)
	}
	// A PAI event the parser cannot read is a notification lost, and a retry
	// reads it no better: say so loudly, with its key names (never values),
	// and let the invocation succeed.
	res.Unreadable = len(batch.Unreadable)
	for _, u := range batch.Unreadable {
		n.cfg.Logger.WarnContext(ctx, "PAI event unreadable: its keys differ from the ones the notifier knows; run notifier -inspect on it and map them with fields:",
			"index", u.Index, "eventId", u.EventID, "reason", u.Reason, "keyPaths", u.Paths)
	}
	n.alarmUnreadable(ctx, batch.Unreadable)

	var pending []*notification
	var matched []*rules.Rule
	for i := range batch.Tasks {
		t := &batch.Tasks[i]
		matched = n.cfg.Rules.Match(matched[:0], t)
		if n.cfg.Explain {
			res.Explain = append(res.Explain, Explanation{EventID: t.EventID, JobID: t.JobID, Status: t.Status, Fields: t.From, Verdicts: n.cfg.Rules.Explain(t)})
		}
		for _, r := range matched {
			res.Matched++
			nt := &notification{task: t, rule: r, robot: n.robotOf(r), idx: len(res.Deliveries)}
			nt.keys = dedupeKeys(t, r)
			res.Deliveries = append(res.Deliveries, Delivery{Rule: r.Name, EventID: t.EventID, JobID: t.JobID, Status: t.Status, Robot: nt.robot})
			if !n.claim(nt) {
				n.finish(ctx, &res, nt, Suppressed, nil)
				continue
			}
			pending = append(pending, nt)
		}
	}

	for _, group := range byRobot(pending) {
		n.deliver(ctx, &res, group)
	}

	n.cfg.Logger.InfoContext(ctx, "invocation done",
		"events", res.Events, "matched", res.Matched, "sent", res.Sent, "failed", res.Failed,
		"skipped", res.Skipped, "unreadable", res.Unreadable, "suppressed", res.Suppressed, "retried", res.Retried,
		"latencyMs", n.cfg.Now().Sub(start).Milliseconds())
	var retry *RetryableError
	for _, d := range res.Deliveries {
		if d.Outcome == Retry {
			if retry == nil {
				retry = &RetryableError{}
			}
			retry.Pending++
			retry.Reason = d.Error
		}
	}
	if retry != nil {
		return res, retry
	}
	return res, nil
}

// dedupeKeys are the two identities of a notification: the event itself
// (EventBridge redelivery keeps source+id) and the job state it reports
// (PAI may publish the same state twice under different ids). The state
// includes the finish time when the event has one, so that a job that
// restarts and fails again is reported again.
func dedupeKeys(t *event.Task, r *rules.Rule) [2]string {
	state := strings.ToLower(t.Status)
	if !t.Finished.IsZero() {
		state += "@" + strconv.FormatInt(t.Finished.UnixMilli(), 10)
	}
	return [2]string{
		"e\x00" + t.EventSource + "\x00" + t.EventID + "\x00" + r.Name,
		"j\x00" + string(t.Source) + "\x00" + t.JobID + "\x00" + state + "\x00" + r.Name,
	}
}

// claim marks nt as in flight. It reports false when either identity was
// already delivered (or is being delivered by a concurrent invocation).
func (n *Notifier) claim(nt *notification) bool {
	first := nt.keys[0]
	if nt.task.EventID == "" {
		first = ""
	}
	if first != "" && !n.delivered.claim(first) {
		return false
	}
	if nt.task.JobID == "" || n.delivered.claim(nt.keys[1]) {
		return true
	}
	if first != "" {
		n.delivered.forget(first)
	}
	return false
}

// release forgets a claim whose delivery did not happen, so a retry can send it.
func (n *Notifier) release(nt *notification) {
	n.delivered.forget(nt.keys[0])
	n.delivered.forget(nt.keys[1])
}

// finish records the outcome of one notification.
func (n *Notifier) finish(ctx context.Context, res *Result, nt *notification, outcome string, err error) {
	d := &res.Deliveries[nt.idx]
	d.Outcome = outcome
	level := slog.LevelInfo
	switch outcome {
	case Sent, Digested:
		res.Sent++
	case Suppressed:
		res.Suppressed++ // never claimed here: nothing to release
	case Failed:
		res.Failed++
		n.release(nt)
		level = slog.LevelError
	case Retry:
		n.release(nt) // the platform's retry must be free to send it
		level = slog.LevelWarn
	}
	if err != nil {
		d.Error = err.Error()
		var de *dingtalk.Error
		if errors.As(err, &de) {
			d.Hint = de.Hint()
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

// deliver sends one robot's notifications: one message each while the
// robot's budget allows, else digests that name every job.
func (n *Notifier) deliver(ctx context.Context, res *Result, group []*notification) {
	robot := group[0].robot
	target := group[0].rule.Target
	if reason, gone := n.gone.get(robot); gone {
		for _, nt := range group {
			n.finish(ctx, res, nt, Failed, reason)
		}
		return
	}
	avail := n.budget.available(robot, n.cfg.Now())
	if avail <= 0 {
		for _, nt := range group {
			n.finish(ctx, res, nt, Retry, errBudgetSpent)
		}
		return
	}
	if len(group) <= avail {
		for _, nt := range group {
			start := n.cfg.Now()
			err := n.send(ctx, res, robot, target, message.Render(nt.task, taskOptions(nt)))
			nt.took = n.cfg.Now().Sub(start)
			n.finish(ctx, res, nt, outcomeOf(err), err)
		}
		return
	}
	n.deliverDigests(ctx, res, group, avail)
}

var errBudgetSpent = errors.New("the robot's rate budget is spent for this window; delivering later avoids DingTalk's 10-minute lockout")

// deliverDigests folds a robot's notifications into at most avail digest
// messages, each listing as many jobs as fit in one DingTalk message. Jobs
// that do not fit are left for the platform's retry, which the dedupe memory
// makes safe: what was delivered is not sent again.
func (n *Notifier) deliverDigests(ctx context.Context, res *Result, group []*notification, avail int) {
	robot := group[0].robot
	opts := digestOptions(group)
	// Digests list failures first; order the group the same way so that a
	// part's jobs are a prefix of what is left.
	slices.SortStableFunc(group, func(a, b *notification) int {
		return boolCmp(event.Failed(b.task.Status), event.Failed(a.task.Status))
	})
	tasks := make([]*event.Task, len(group))
	for i, nt := range group {
		tasks[i] = nt.task
	}
	var err error
	i := 0
	for part := 0; i < len(group) && part < avail && err == nil; part++ {
		msgs, listed := nextDigest(tasks[i:], opts)
		j := i + listed
		start := n.cfg.Now()
		for _, m := range msgs {
			if err = n.send(ctx, res, robot, group[0].rule.Target, m); err != nil {
				break
			}
		}
		took := n.cfg.Now().Sub(start)
		for _, nt := range group[i:j] {
			nt.took = took
			if err == nil {
				n.finish(ctx, res, nt, Digested, nil)
			} else {
				n.finish(ctx, res, nt, outcomeOf(err), err)
			}
		}
		i = j
	}
	if err == nil {
		err = errBudgetSpent // the budget ran out before every job was listed
	}
	for _, nt := range group[i:] {
		n.finish(ctx, res, nt, outcomeOf(err), err)
	}
}

// nextDigest returns the digest of as many of tasks (at least one) as fit in
// one DingTalk message, and how many that is. The common case, every task
// fitting, renders once.
func nextDigest(tasks []*event.Task, opts message.Options) ([]dingtalk.Message, int) {
	if msgs := message.Digest(tasks, opts); len(msgs) <= 1 {
		return msgs, len(tasks)
	}
	_, listed := message.DigestAtMost(tasks, opts, 1)
	listed = max(1, listed)
	return message.Digest(tasks[:listed], opts), listed
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
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
	if errors.Is(err, errBudgetSpent) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var de *dingtalk.Error
	if errors.As(err, &de) {
		return de.Retryable()
	}
	return true // an unknown failure is not known to be permanent
}

// send delivers one message, retrying retryable failures with jittered
// exponential backoff while the invocation's deadline allows and the robot's
// budget has room.
func (n *Notifier) send(ctx context.Context, res *Result, robot string, target rules.Target, m dingtalk.Message) error {
	backoff := n.cfg.BackoffBase
	for attempt := 0; ; attempt++ {
		start := n.cfg.Now()
		if !n.budget.take(robot, start) {
			return errBudgetSpent
		}
		actx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
		err := n.cfg.Sender.Send(actx, target.Webhook, target.Secret, m)
		cancel()
		// DingTalk counts a message at some moment between the request's
		// start and its answer. Keeping the answer's time keeps the budget's
		// window behind DingTalk's, never ahead of it: with the start time,
		// a send at the window's edge could land inside DingTalk's window,
		// and the answer is a ten-minute lockout (seen in the load test).
		settled := n.budget.settle(robot, start, n.cfg.Now())
		n.cfg.Logger.DebugContext(ctx, "send attempt", "robot", robot, "attempt", attempt+1, "latencyMs", n.cfg.Now().Sub(start).Milliseconds(), "error", errString(err))
		if err == nil {
			return nil
		}
		var de *dingtalk.Error
		if errors.As(err, &de) {
			switch {
			case de.Class == dingtalk.ClassServer:
				n.budget.refund(robot, settled) // DingTalk answered 5xx: it never counted it
				// A network error is not refunded: a timeout may come after
				// DingTalk counted the message, and refunding that overspends.
			case de.Class == dingtalk.ClassRateLimited:
				n.budget.throttled(robot, n.cfg.Now())
				return err
			case dingtalk.IsTargetGone(err):
				n.gone.set(robot, err)
				return err
			}
		}
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+minAttempt {
			return err // no time left for another attempt: the platform retries
		}
		res.Retried++
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		backoff = min(backoff*2, n.cfg.BackoffMax)
	}
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
	o.Format = "markdown"
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
