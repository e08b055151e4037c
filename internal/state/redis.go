package state

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Redis keeps the state in Redis, shared by every instance that names the
// same server: a claim taken by one instance holds for all, and a target's
// budget counts every instance's sends. Each operation is bounded by
// OpTimeout; when Redis fails, the store logs a WARN (at most once a
// minute), serves from the instance's memory for a few seconds, then tries
// Redis again. Deliveries never wait on an absent Redis.
//
// Keys are "<namespace>:claim:<sha256 of the claim key>" and
// "<namespace>:{<target>}:window|lock|gone"; targets are ids that are safe
// to show, and the braces keep a target's keys in one cluster slot.
type Redis struct {
	rdb       *redis.Client
	ns        string
	rate      Rate
	claimTTL  time.Duration
	flightTTL time.Duration
	timeout   time.Duration
	local     *Memory
	opts      Options

	mu        sync.Mutex
	lastWarn  time.Time
	downUntil time.Time
	down      bool
}

var _ Store = (*Redis)(nil)

// retryRedisAfter is how long the store serves from memory after a Redis
// failure before it tries Redis again: a down Redis then costs one timeout
// every few seconds, not one per operation.
const retryRedisAfter = 5 * time.Second

// NewRedis returns a store on the Redis server that rawURL names
// (redis://[user:password@]host:port/db, rediss:// for TLS). It does not
// connect: the first operation does.
func NewRedis(rawURL string, o Options) (*Redis, error) {
	o.defaults()
	ro, err := redis.ParseURL(rawURL)
	if err != nil {
		// Neither the URL shown nor go-redis's parse errors carry the password.
		return nil, fmt.Errorf("state URL %s: %v (want redis://[user:password@]host:port/db or rediss://...)", redactURL(rawURL), err)
	}
	// One bounded try per operation: the fallback, not a retry loop, is
	// what keeps deliveries going.
	ro.MaxRetries = -1
	ro.ContextTimeoutEnabled = true
	ro.DialTimeout = o.OpTimeout
	ro.ReadTimeout = o.OpTimeout
	ro.WriteTimeout = o.OpTimeout
	ro.PoolTimeout = o.OpTimeout
	// RESP2 and no CLIENT SETINFO / MAINT_NOTIFICATIONS handshake: fewer
	// round trips on a cold start, and Redis 5 compatible services
	// (ApsaraDB, older ElastiCache) accept every command used here.
	ro.Protocol = 2
	ro.DisableIdentity = true
	ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return &Redis{
		rdb: redis.NewClient(ro), ns: o.Namespace, rate: o.Rate, claimTTL: o.ClaimTTL, flightTTL: o.FlightTTL,
		timeout: o.OpTimeout, local: NewMemory(o), opts: o,
	}, nil
}

// Close closes the connections to Redis.
func (r *Redis) Close() error { return r.rdb.Close() }

func (r *Redis) claimKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return r.ns + ":claim:" + hex.EncodeToString(sum[:16])
}

func (r *Redis) targetKey(target, what string) string {
	return r.ns + ":{" + target + "}:" + what
}

// up reports whether Redis is to be tried now.
func (r *Redis) up() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.down || !r.opts.Now().Before(r.downUntil)
}

// op runs f with the operation timeout and records how it went. false means
// the caller is to use the instance's memory.
func (r *Redis) op(ctx context.Context, what string, f func(context.Context) error) bool {
	if !r.up() {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	err := f(ctx)
	cancel()
	now := r.opts.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil || errors.Is(err, redis.Nil) {
		if r.down {
			r.down = false
			r.opts.Logger.Info("state store: Redis answers again; state is shared again")
		}
		return true
	}
	r.down = true
	r.downUntil = now.Add(retryRedisAfter)
	if r.lastWarn.IsZero() || now.Sub(r.lastWarn) >= time.Minute {
		r.lastWarn = now
		r.opts.Logger.Warn("state store: Redis failed; this instance uses its own memory and keeps delivering "+
			"(until Redis is back, a redelivery that reaches another instance may be sent again, and instances may together exceed a robot's budget)",
			"op", what, "error", err.Error())
	}
	return false
}

// claimScript takes a free claim as in flight, or returns what holds it.
var claimScript = redis.NewScript(`
if redis.call('SET', KEYS[1], 'flight', 'NX', 'PX', ARGV[1]) then return 'claimed' end
return redis.call('GET', KEYS[1]) or 'claimed'
`)

func (r *Redis) Claim(ctx context.Context, key string) ClaimState {
	var v string
	if !r.op(ctx, "claim", func(ctx context.Context) (err error) {
		v, err = claimScript.Run(ctx, r.rdb, []string{r.claimKey(key)}, r.flightTTL.Milliseconds()).Text()
		return err
	}) {
		return r.local.Claim(ctx, key)
	}
	got := Claimed
	switch v {
	case "done":
		return Delivered
	case "flight":
		got = InFlight
	}
	// A claim this instance took or confirmed from its memory while Redis
	// was away is not in Redis: honour it too.
	if local, ok := r.local.state(key); ok && local > got {
		if got == Claimed && local == Delivered {
			r.op(ctx, "confirm", func(ctx context.Context) error {
				return r.rdb.Set(ctx, r.claimKey(key), "done", r.claimTTL).Err()
			})
		}
		got = local
	}
	return got
}

func (r *Redis) Confirm(ctx context.Context, key string) {
	r.local.Confirm(ctx, key) // this instance remembers it even if Redis fails now
	r.op(ctx, "confirm", func(ctx context.Context) error {
		return r.rdb.Set(ctx, r.claimKey(key), "done", r.claimTTL).Err()
	})
}

func (r *Redis) Release(ctx context.Context, key string) {
	r.local.Release(ctx, key)
	r.op(ctx, "release", func(ctx context.Context) error { return r.rdb.Del(ctx, r.claimKey(key)).Err() })
}

// The window of a target is a sorted set of its messages scored by the
// millisecond they count from; lock holds the millisecond a lockout ends.
// Each script is one atomic step, so instances never overspend together.
var (
	availableScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local lock = tonumber(redis.call('GET', KEYS[2]) or '0')
if lock > now then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
return tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
`)
	takeScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local lock = tonumber(redis.call('GET', KEYS[2]) or '0')
if lock > now then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]) + 60000)
return 1
`)
	// settle moves a message later, never earlier (ZADD GT needs Redis 6.2).
	settleScript = redis.NewScript(`
local at = redis.call('ZSCORE', KEYS[1], ARGV[2])
if at and tonumber(ARGV[1]) > tonumber(at) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
`)
	// gone returns the mark and, once it has expired, deletes it: the one
	// caller that deleted it reports that the target is tried again.
	goneScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then return false end
local untilMs = tonumber(string.match(v, '^(%d+)|'))
if untilMs and untilMs <= tonumber(ARGV[1]) then
  if redis.call('DEL', KEYS[1]) == 0 then return false end
end
return v
`)
)

func ms(t time.Time) int64 { return t.UnixMilli() }

// rateOr is rt, or the store's default rate when rt is zero.
func (r *Redis) rateOr(rt Rate) Rate {
	if rt.N <= 0 || rt.Per <= 0 {
		return r.rate
	}
	return rt
}

func (r *Redis) Available(ctx context.Context, target string, rt Rate, now time.Time) int {
	rt = r.rateOr(rt)
	var n int64
	keys := []string{r.targetKey(target, "window"), r.targetKey(target, "lock")}
	if !r.op(ctx, "available", func(ctx context.Context) (err error) {
		n, err = availableScript.Run(ctx, r.rdb, keys, ms(now), rt.Per.Milliseconds(), rt.N).Int64()
		return err
	}) {
		return r.local.Available(ctx, target, rt, now)
	}
	return int(n)
}

func (r *Redis) Take(ctx context.Context, target string, rt Rate, now time.Time) (Ticket, bool) {
	rt = r.rateOr(rt)
	id := newID()
	var n int64
	keys := []string{r.targetKey(target, "window"), r.targetKey(target, "lock")}
	if !r.op(ctx, "take", func(ctx context.Context) (err error) {
		n, err = takeScript.Run(ctx, r.rdb, keys, ms(now), rt.Per.Milliseconds(), rt.N, id).Int64()
		return err
	}) {
		return r.local.Take(ctx, target, rt, now)
	}
	if n != 1 {
		return Ticket{}, false
	}
	return Ticket{Target: target, At: now, id: id}, true
}

func (r *Redis) Settle(ctx context.Context, t Ticket, done time.Time) Ticket {
	if t.local {
		return r.local.Settle(ctx, t, done)
	}
	if !done.After(t.At) {
		return t
	}
	if r.op(ctx, "settle", func(ctx context.Context) error {
		return settleScript.Run(ctx, r.rdb, []string{r.targetKey(t.Target, "window")}, ms(done), t.id).Err()
	}) {
		t.At = done
	}
	return t
}

func (r *Redis) Refund(ctx context.Context, t Ticket) {
	if t.local {
		r.local.Refund(ctx, t)
		return
	}
	r.op(ctx, "refund", func(ctx context.Context) error {
		return r.rdb.ZRem(ctx, r.targetKey(t.Target, "window"), t.id).Err()
	})
}

func (r *Redis) Throttle(ctx context.Context, target string, now, until time.Time) {
	r.local.Throttle(ctx, target, now, until) // also seen while Redis is away
	if !until.After(now) {
		return
	}
	r.op(ctx, "throttle", func(ctx context.Context) error {
		return r.rdb.Set(ctx, r.targetKey(target, "lock"), ms(until), until.Sub(now)).Err()
	})
}

// goneGrace keeps an expired gone mark in Redis long enough for one
// instance to see that it expired and say so.
const goneGrace = time.Hour

func (r *Redis) MarkGone(ctx context.Context, target string, now time.Time, m Mark) {
	r.local.MarkGone(ctx, target, now, m)
	if !m.Until.After(now) {
		return
	}
	v := strconv.FormatInt(ms(m.Until), 10) + "|" + strconv.Itoa(m.Code) + "|" + truncate(m.Reason, 256)
	r.op(ctx, "mark gone", func(ctx context.Context) error {
		return r.rdb.Set(ctx, r.targetKey(target, "gone"), v, m.Until.Sub(now)+goneGrace).Err()
	})
}

func (r *Redis) Gone(ctx context.Context, target string, now time.Time) (Mark, bool) {
	var v string
	if !r.op(ctx, "gone", func(ctx context.Context) (err error) {
		v, err = goneScript.Run(ctx, r.rdb, []string{r.targetKey(target, "gone")}, ms(now)).Text()
		return err
	}) {
		return r.local.Gone(ctx, target, now)
	}
	if v == "" {
		return Mark{}, false
	}
	until, rest, _ := strings.Cut(v, "|")
	code, reason, _ := strings.Cut(rest, "|")
	u, err1 := strconv.ParseInt(until, 10, 64)
	c, err2 := strconv.Atoi(code)
	if err1 != nil || err2 != nil {
		return Mark{}, false // not ours: ignore it rather than silence a target
	}
	return Mark{Code: c, Reason: reason, Until: time.UnixMilli(u)}, true
}

// newID names one message in a shared window; unique across instances.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// redactURL shows a state URL without its password.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
