//go:build load

package main

// Load with faults (`make load`): 10,000 events through the BUILT notifier
// via the FC runtime emulator, against the fake robot injecting HTTP 500s,
// hangs past the client timeout and rate limiting, with duplicate deliveries
// and an emulated platform that retries failed invocations. And memory: peak
// RSS of one warm instance over 10,000 events, with connection reuse.
// docs/PERFORMANCE.md explains the scaling and reports the figures.

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
)

const (
	loadEvents   = 10000
	loadRobots   = 50   // one rule per workspace, each to its own robot
	loadWorkers  = 16   // invocations in flight at once (FC runs them concurrently in one instance)
	loadDupShare = 0.05 // events EventBridge delivers twice
	loadFail500  = 0.05 // share of invocations that script an HTTP 500 on their robot
	loadHang     = 0.02 // share that script a hang past DINGTALK_TIMEOUT
	loadBatched  = 0.2  // share of invocations that carry a batch of 2-8 events
	loadArrival  = 250  // new events per second offered
	loadScale    = 12   // the robot's clock runs 12x: its 60 s window is 5 s of real time
	loadRate     = "20/5s"
	// DINGTALK_TIMEOUT. Hangs outlast any timeout; 200 ms also cut short a
	// few ordinary answers delayed by this 2-core box's contention, after the
	// robot had accepted the message: the notifier rightly sent again, and 7
	// of 10,000 reached the group twice in one run of five. 1 s keeps the
	// test about faults, not about a timeout shorter than the machine's
	// scheduling noise (docs/PERFORMANCE.md).
	loadTimeout   = "1s"
	loadAttempts  = 24 // invocation attempts before the emulated platform gives up (dead-letter)
	loadRetryBase = 500 * time.Millisecond
	loadRetryMax  = 8 * time.Second
	loadWallLimit = 4 * time.Minute
)

// scaledClock runs loadScale times faster than real time from its start, so
// the fake robot's 20-a-minute window passes in 60/loadScale real seconds.
type scaledClock struct{ start time.Time }

func (c scaledClock) now() time.Time {
	return c.start.Add(time.Since(c.start) * loadScale)
}

// invocation is one delivery attempt the emulated platform makes.
type invocation struct {
	payload []byte
	jobs    []string
	attempt int
	at      time.Time
	dup     bool
}

// schedule is the platform's queue of due invocations, soonest first.
type schedule []*invocation

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].at.Before(s[j].at) }
func (s schedule) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s *schedule) Push(x any)        { *s = append(*s, x.(*invocation)) }
func (s *schedule) Pop() any {
	old := *s
	x := old[len(old)-1]
	*s = old[:len(old)-1]
	return x
}

// emulatedPlatform emulates EventBridge's delivery to one function: every event is
// invoked, a failed invocation is retried later with jittered exponential
// backoff up to loadAttempts times, then dead-lettered.
type emulatedPlatform struct {
	mu      sync.Mutex
	cond    *sync.Cond
	q       schedule
	open    int // invocations scheduled or running
	retried atomic.Int64
	dead    []*invocation
	faultMu sync.Mutex // scripting a fault and the robot's next request pair up per robot
}

func (p *emulatedPlatform) add(inv *invocation) {
	p.mu.Lock()
	heap.Push(&p.q, inv)
	p.open++
	p.mu.Unlock()
	p.cond.Broadcast()
}

// next waits for the soonest due invocation; nil when nothing is left.
func (p *emulatedPlatform) next(ctx context.Context) *invocation {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if ctx.Err() != nil || (p.open == 0 && p.q.Len() == 0) {
			return nil
		}
		if p.q.Len() > 0 {
			if wait := time.Until(p.q[0].at); wait <= 0 {
				return heap.Pop(&p.q).(*invocation)
			} else {
				// Wake up when it is due (or something sooner arrives).
				t := time.AfterFunc(wait, p.cond.Broadcast)
				p.cond.Wait()
				t.Stop()
				continue
			}
		}
		p.cond.Wait()
	}
}

func (p *emulatedPlatform) done(inv *invocation, failed bool) {
	p.mu.Lock()
	if failed {
		if inv.attempt+1 < loadAttempts {
			backoff := min(loadRetryBase<<inv.attempt, loadRetryMax)
			inv.at = time.Now().Add(backoff/2 + rand.N(backoff/2))
			inv.attempt++
			heap.Push(&p.q, inv)
			p.retried.Add(1)
			p.mu.Unlock()
			p.cond.Broadcast()
			return
		}
		p.dead = append(p.dead, inv)
	}
	p.open--
	p.mu.Unlock()
	p.cond.Broadcast()
}

func loadEvent(i int) (id, job string, body string) {
	job = fmt.Sprintf("dlcload%05d", i)
	id = fmt.Sprintf("load-ev-%05d", i)
	return id, job, fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"acs.pai","type":"pai:DLC:JobStatusChanged","aliyunregionid":"cn-hangzhou",`+
		`"data":{"JobId":%q,"DisplayName":"train-%05d","Status":"Failed","WorkspaceId":"ws%02d","ReasonMessage":"exit code 1"}}`, id, job, i, i%loadRobots)
}

// procStat reads the child's CPU time (utime+stime) and memory figures.
func procStat(t *testing.T, pid int) (cpu time.Duration, hwm, rss int) {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the ")" that ends the command name: state is field 3,
	// utime 14 and stime 15, in clock ticks (USER_HZ, 100 on Linux).
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	cpu = time.Duration(ut+st) * 10 * time.Millisecond
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		switch k {
		case "VmHWM":
			hwm = kb
		case "VmRSS":
			rss = kb
		}
	}
	return cpu, hwm, rss
}

func logLevel() string {
	if os.Getenv("LOAD_DEBUG") != "" {
		return "warn"
	}
	return "error"
}

var jobPattern = regexp.MustCompile(`dlcload\d{5}`)

// namedJobs counts, for every job, the accepted messages naming it (a
// message naming a job twice, in its text and its console link, counts once).
func namedJobs(robot *dingtalktest.Server) map[string]int {
	seen := map[string]int{}
	for _, m := range robot.Messages() {
		inMsg := map[string]bool{}
		for _, j := range jobPattern.FindAllString(m.Text+"\n"+m.ButtonURL, -1) {
			inMsg[j] = true
		}
		for j := range inMsg {
			seen[j]++
		}
	}
	return seen
}

func TestLoadWithFaults(t *testing.T) {
	clock := scaledClock{start: time.Now()}
	robot := dingtalktest.New(dingtalktest.WithClock(clock.now))
	t.Cleanup(robot.Close)
	var rules []string
	tokens := make([]string, loadRobots)
	for i := range loadRobots {
		tokens[i] = fmt.Sprintf("loadtoken%02d0123456789abcdef", i)
		sec := fmt.Sprintf("SECloadsecret%02d0123456789abcdef0123456789", i)
		rules = append(rules, fmt.Sprintf(`{"name":"ws%02d-failed","source":"dlc","scope":"workspace","workspaceId":"ws%02d","events":"failed","target":{"webhook":%q,"secret":%q}}`,
			i, i, robot.AddRobot(tokens[i], sec), sec))
	}
	bin := runtimetest.Build(t, "./functions/notifier", runtimetest.FC)
	rt := runtimetest.Start(t, runtimetest.FC, bin, []string{
		`NOTIFY_RULES={"rules":[` + strings.Join(rules, ",") + `]}`,
		"DINGTALK_TIMEOUT=" + loadTimeout, "DINGTALK_RATE_LIMIT=" + loadRate, "LOG_LEVEL=" + logLevel(),
	})

	ctx, cancel := context.WithTimeout(context.Background(), loadWallLimit)
	defer cancel()
	p := &emulatedPlatform{}
	p.cond = sync.NewCond(&p.mu)
	rng := rand.New(rand.NewPCG(6, 6))

	// The producer offers events at loadArrival a second, some in batches,
	// and schedules ~5% of them once more, a little later (at-least-once).
	dupInvocations := p.offer(ctx, rng, loadEvents, nil)

	var invocations, failedInvocations atomic.Int64
	var wg sync.WaitGroup
	for w := range loadWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				inv := p.next(ctx)
				if inv == nil {
					return
				}
				p.faultNext(robot, tokens, inv, wr)
				invocations.Add(1)
				res, err := rt.Invoke(ctx, inv.payload, runtimetest.WithTimeout(3*time.Second), runtimetest.WithRetryCount(inv.attempt))
				failed := err != nil || res.Err != nil
				if failed {
					failedInvocations.Add(1)
				}
				if err != nil && ctx.Err() != nil {
					return
				}
				p.done(inv, failed)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(clock.start)
	cpu, hwm, _ := procStat(t, rt.PID())
	if ctx.Err() != nil {
		t.Fatalf("the run did not finish within %v", loadWallLimit)
	}

	seen := namedJobs(robot)
	o := countOutcomes(robot, seen, loadEvents)
	reqs := robot.Requests()
	report := map[string]any{
		"eventsIn": loadEvents, "duplicateDeliveriesOffered": dupInvocations(), "notificationsExpected": loadEvents,
		"delivered": len(seen), "duplicates": o.Duplicates, "lost": o.Lost, "deadLettered": len(p.dead),
		"invocations": invocations.Load(), "invocationsFailed": failedInvocations.Load(), "invocationsRetried": p.retried.Load(),
		"robotRequests": len(reqs), "robotMessages": len(robot.Messages()), "http500": o.HTTP500, "hangs": o.Hangs,
		"tooFast130101": o.TooFast, "connections": robot.Connections(),
		"wallSeconds": wall.Seconds(), "childCPUSeconds": cpu.Seconds(), "childPeakRSSKiB": hwm,
	}
	// LOAD_DEBUG=1 keeps the child's info-level log and names the first
	// duplicated jobs, to follow one through its deliveries.
	if o.Duplicates > 0 && os.Getenv("LOAD_DEBUG") != "" {
		path := filepath.Join(os.TempDir(), "pai-notifier-load-child.log")
		if err := os.WriteFile(path, []byte(rt.Logs()), 0o644); err == nil {
			t.Logf("child log: %s", path)
		}
		shown := 0
		for _, m := range robot.Messages() {
			for _, j := range jobPattern.FindAllString(m.Text, 1) {
				if seen[j] > 1 && shown < 12 {
					shown++
					t.Logf("duplicate %s at %v (real +%v) title %q", j, m.Time.Format("15:04:05.000"), m.Time.Sub(clock.start)/loadScale, m.Title)
				}
			}
		}
	}
	js, _ := json.MarshalIndent(report, "", "  ")
	t.Logf("load report:\n%s", js)
	if o.Lost != 0 || o.Duplicates != 0 {
		t.Errorf("%d notifications lost, %d duplicated; want 0 and 0", o.Lost, o.Duplicates)
	}
	if len(p.dead) != 0 {
		t.Errorf("%d invocations dead-lettered after %d attempts", len(p.dead), loadAttempts)
	}
}

// TestPeakRSS pushes 40,000 events, one per invocation, through one warm
// FC instance talking to one robot, and reads the process's peak and
// current RSS along the way: the figure is at 10,000 events; the dedupe
// memory (65,536 keys, two per delivery) is full after 32,768, so from
// 35,000 to 40,000 nothing should grow. Invocations are sequential, so
// every send can reuse one connection.
func TestPeakRSS(t *testing.T) {
	robot := dingtalktest.New(dingtalktest.WithLimit(1 << 30))
	t.Cleanup(robot.Close)
	webhook := robot.AddRobot(token, secret)
	rules := fmt.Sprintf(`{"rules":[{"name":"all-failed","source":"dlc","scope":"workspace","events":"failed","target":{"webhook":%q,"secret":%q}}]}`, webhook, secret)
	bin := runtimetest.Build(t, "./functions/notifier", runtimetest.FC)
	rt := runtimetest.Start(t, runtimetest.FC, bin, []string{"NOTIFY_RULES=" + rules, "DINGTALK_RATE_LIMIT=1000000/1m", "LOG_LEVEL=error"})
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	type sample struct {
		events   int
		hwm, rss int
		cpu      time.Duration
	}
	var samples []sample
	start := time.Now()
	const rssEvents = 40000
	for i := range rssEvents {
		_, _, body := loadEvent(i)
		res, err := rt.Invoke(ctx, []byte(body))
		if err != nil || res.Err != nil {
			t.Fatalf("event %d: %v %v", i, err, res.Err)
		}
		if n := i + 1; n == 1 || n%5000 == 0 {
			cpu, hwm, rss := procStat(t, rt.PID())
			samples = append(samples, sample{n, hwm, rss, cpu})
		}
	}
	wall := time.Since(start)
	for _, s := range samples {
		t.Logf("after %5d events: VmHWM %6d KiB, VmRSS %6d KiB, CPU %v", s.events, s.hwm, s.rss, s.cpu)
	}
	t.Logf("%d sequential invocations in %v (%.0f/s); robot connections accepted: %d; messages: %d",
		rssEvents, wall.Round(time.Millisecond), rssEvents/wall.Seconds(), robot.Connections(), len(robot.Messages()))
	// A leak shows as growth once the dedupe memory is full; 2 MiB allows
	// for the garbage collector's timing.
	mid, end := samples[len(samples)-2], samples[len(samples)-1]
	if mid.events != 35000 || end.rss > mid.rss+2048 || end.hwm > mid.hwm+2048 {
		t.Errorf("memory grew from %+v to %+v after the dedupe memory was full", mid, end)
	}
	if n := len(robot.Messages()); n != rssEvents {
		t.Errorf("the robot got %d messages, want %d", n, rssEvents)
	}
	if c := robot.Connections(); c != 1 {
		t.Errorf("the robot accepted %d connections, want 1 reused by every warm invocation", c)
	}
}

// offer starts the producer: it offers events 0..total-1 to p at loadArrival
// a second, some in batches of 2 to 8, and schedules ~loadDupShare of them
// once more, up to 3 s later (at-least-once delivery). before(i), when not
// nil, runs before the events from i on are offered. The function it returns
// counts the duplicate deliveries offered so far.
func (p *emulatedPlatform) offer(ctx context.Context, rng *rand.Rand, total int, before func(i int)) (dups func() int) {
	var offered atomic.Int64
	p.mu.Lock()
	p.open++ // the producer itself, so workers wait for it
	p.mu.Unlock()
	go func() {
		defer p.done(&invocation{}, false)
		start := time.Now()
		for i := 0; i < total; {
			if before != nil {
				before(i)
			}
			n := 1
			if rng.Float64() < loadBatched {
				n = 2 + rng.IntN(7)
			}
			n = min(n, total-i)
			var bodies, jobs []string
			for k := range n {
				_, job, body := loadEvent(i + k)
				bodies, jobs = append(bodies, body), append(jobs, job)
				if rng.Float64() < loadDupShare {
					offered.Add(1)
					p.add(&invocation{payload: []byte(body), jobs: []string{job}, dup: true,
						at: time.Now().Add(time.Duration(rng.IntN(3000)) * time.Millisecond)})
				}
			}
			payload := bodies[0]
			if n > 1 {
				payload = "[" + strings.Join(bodies, ",") + "]"
			}
			p.add(&invocation{payload: []byte(payload), jobs: jobs, at: time.Now()})
			i += n
			if ahead := time.Until(start.Add(time.Duration(i) * time.Second / loadArrival)); ahead > 0 {
				select {
				case <-time.After(ahead):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return func() int { return int(offered.Load()) }
}

// faultNext scripts, with the load's odds, an HTTP 500 or a hang for the
// next request to inv's robot, whichever invocation makes it.
func (p *emulatedPlatform) faultNext(robot *dingtalktest.Server, tokens []string, inv *invocation, rng *rand.Rand) {
	robotIdx, _ := strconv.Atoi(inv.jobs[0][len(inv.jobs[0])-5:])
	p.faultMu.Lock()
	defer p.faultMu.Unlock()
	switch x := rng.Float64(); {
	case x < loadFail500:
		robot.Fault(tokens[robotIdx%loadRobots], 1, dingtalktest.StatusFault(500))
	case x < loadFail500+loadHang:
		robot.Fault(tokens[robotIdx%loadRobots], 1, dingtalktest.HangFault())
	}
}

// outcomes is what a load run's robot saw: jobs never named or named more
// than once, and the faults and "too fast" answers it served.
type outcomes struct {
	Lost, Duplicates, HTTP500, Hangs, TooFast int
}

// countOutcomes checks events 0..events-1 against seen (namedJobs) and
// counts the robot's faults and 130101 answers.
func countOutcomes(robot *dingtalktest.Server, seen map[string]int, events int) outcomes {
	var o outcomes
	for i := range events {
		_, job, _ := loadEvent(i)
		switch n := seen[job]; {
		case n == 0:
			o.Lost++
		case n > 1:
			o.Duplicates += n - 1
		}
	}
	for _, q := range robot.Requests() {
		switch {
		case q.Fault == "HTTP 500":
			o.HTTP500++
		case q.Fault == "hang":
			o.Hangs++
		case !q.Plain && q.Code == dingtalktest.CodeTooFast:
			o.TooFast++
		}
	}
	return o
}
