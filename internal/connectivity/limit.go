package connectivity

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/rate"
)

// DefaultRateLimit is how many test messages one instance sends to one target in a rolling window
// (CONNTEST_RATE_LIMIT), whatever its service. DingTalk and WeCom take 20 messages a minute from a
// robot (DingTalk then refuses everything for about ten minutes), Lark 100 a minute and 5 a
// second, Slack about one a second; five a minute leaves the notifier room with each, so no
// caller, however eager or hostile, can make a test lock a robot out and silence the real alerts.
const DefaultRateLimit = "5/1m"

// maxRobots bounds the targets the limiter remembers at once. Past it a new target waits until
// one of the remembered windows ends: refusing keeps the promise that no target gets more than its
// limit, where forgetting one would break it.
const maxRobots = 10000

// limiter counts test sends per robot in a rolling window. Safe for concurrent use.
type limiter struct {
	mu   sync.Mutex
	rate rate.Rate
	max  int
	sent map[string][]time.Time // robot key -> send times within the window, oldest first
}

func newLimiter(r rate.Rate) *limiter {
	return &limiter{rate: r, max: maxRobots, sent: map[string][]time.Time{}}
}

// take reserves one send to robot at now. When the robot has had its share of the window it
// reserves nothing and says how long until the oldest send leaves the window.
func (l *limiter) take(robot string, now time.Time) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	times := l.prune(robot, now)
	if len(times) >= l.rate.N {
		return false, times[0].Add(l.rate.Per).Sub(now)
	}
	if len(times) == 0 && len(l.sent) >= l.max {
		for k := range l.sent {
			l.prune(k, now)
		}
		if len(l.sent) >= l.max {
			soonest := l.rate.Per
			for _, ts := range l.sent {
				soonest = min(soonest, ts[len(ts)-1].Add(l.rate.Per).Sub(now))
			}
			return false, soonest
		}
	}
	l.sent[robot] = append(times, now)
	return true, 0
}

// prune drops the robot's sends that left the window and returns the rest.
func (l *limiter) prune(robot string, now time.Time) []time.Time {
	times := l.sent[robot]
	cut := 0
	for cut < len(times) && !times[cut].After(now.Add(-l.rate.Per)) {
		cut++
	}
	if cut == len(times) {
		delete(l.sent, robot)
		return nil
	}
	times = times[cut:]
	l.sent[robot] = times
	return times
}

// limitKey names the target a webhook of service typ reaches, for the limiter: the registry's
// channels.TargetID (a hash of the type, host, path and query, where the credentials live), except
// for DingTalk, whose robots are counted by access_token alone (robotKey): DingTalk's lockout is
// the one that silences a robot for minutes, so no respelling of its URL may buy more tests.
func limitKey(typ, webhook string) string {
	if typ == dingtalk.Name {
		return typ + ":" + robotKey(webhook)
	}
	return typ + ":" + channels.TargetID(typ, webhook)
}

// robotKey names the robot a DingTalk webhook reaches: its access_token, which is what DingTalk
// counts against, whatever host, path or spelling a caller wraps around it. Hashed, so the
// limiter holds no token.
func robotKey(webhook string) string {
	tok := webhook
	if u, err := url.Parse(webhook); err == nil {
		if t := u.Query().Get("access_token"); t != "" {
			tok = t
		}
	}
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(tok))))
	return hex.EncodeToString(sum[:])
}
