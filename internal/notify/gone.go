package notify

import "sync"

// goneTargets remembers robots that DingTalk said no longer exist (group
// dissolved, robot disabled or removed), so this instance reports later
// events for them at once instead of knocking again.
type goneTargets struct {
	mu     sync.Mutex
	reason map[string]error
}

func newGoneTargets() *goneTargets { return &goneTargets{reason: map[string]error{}} }

func (g *goneTargets) get(robot string) (error, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	err, ok := g.reason[robot]
	return err, ok
}

func (g *goneTargets) set(robot string, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.reason) < 10000 {
		g.reason[robot] = err
	}
}
