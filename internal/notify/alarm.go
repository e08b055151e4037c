package notify

import (
	"context"
	"sync"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/message"
)

// alarmEvery is how often at most one instance tells the alarm rule's group
// that PAI events arrive unreadable: often enough to be noticed, rarely
// enough never to crowd out real notifications.
const alarmEvery = time.Hour

// unreadableAlarm remembers when this instance last raised the alarm.
type unreadableAlarm struct {
	mu   sync.Mutex
	last time.Time
}

// claim reports whether an alarm may go out at now, and if so records it,
// so that concurrent invocations raise it once.
func (a *unreadableAlarm) claim(now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.last.IsZero() && now.Sub(a.last) < alarmEvery {
		return false
	}
	a.last = now
	return true
}

// alarmUnreadable tells the rules document's unreadableAlarm rule's target,
// at most once an hour per instance, that PAI events arrive in a shape the
// notifier cannot read, with one event's key paths (names only) and what to
// run next. It takes a unit of the robot's budget like any message; a
// failure is logged and does not fail the invocation.
func (n *Notifier) alarmUnreadable(ctx context.Context, us []event.Unreadable) {
	r := n.cfg.Rules.UnreadableAlarm()
	if r == nil || len(us) == 0 {
		return
	}
	now := n.cfg.Now()
	if !n.alarm.claim(now) {
		return
	}
	robot := n.robots[r]
	rt := n.routes[r]
	m := message.UnreadableAlarm(rt.ch, options(r), len(us), us[0].EventID, us[0].Paths, now)
	// One attempt through the same budget, lockout and gone marks as every
	// message: the alarm must never be what locks a robot out.
	err := n.attempt(ctx, robot, rt, r.Target, m)
	if err != nil {
		n.cfg.Logger.ErrorContext(ctx, "unreadable-events alarm not delivered", "rule", r.Name, "robot", robot, "error", err.Error())
		return
	}
	n.cfg.Logger.WarnContext(ctx, "unreadable-events alarm sent", "rule", r.Name, "robot", robot, "unreadable", len(us))
}
