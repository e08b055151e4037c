package notify

import (
	"sync"
	"time"
)

// goneTargets remembers robots that DingTalk said no longer exist (group
// dissolved, robot disabled or removed), so this instance reports later
// events for them at once instead of knocking again. A mark lasts a few
// minutes, not the life of the instance: a robot that is enabled again
// must speak again without a restart.
type goneTargets struct {
	mu    sync.Mutex
	marks map[string]goneMark
}

type goneMark struct {
	reason error
	until  time.Time
}

func newGoneTargets() *goneTargets { return &goneTargets{marks: map[string]goneMark{}} }

// get reports the reason robot is marked gone at now. A mark that has
// expired is dropped and returned with gone false, once, so that the caller
// can say the robot is tried again.
func (g *goneTargets) get(robot string, now time.Time) (reason error, gone bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m, ok := g.marks[robot]
	if !ok {
		return nil, false
	}
	if now.Before(m.until) {
		return m.reason, true
	}
	delete(g.marks, robot)
	return m.reason, false
}

func (g *goneTargets) set(robot string, err error, until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.marks) < 10000 {
		g.marks[robot] = goneMark{reason: err, until: until}
	}
}
