//go:build load

package main

// Several instances, one Redis (issue 13 §1): four notifier processes behind the FC runtime
// emulator, each serving one invocation at a time as FC's go1 instances do, one real
// redis-server, 50 robots at 20 a minute on the scaled clock, 2,000 events with HTTP 500s, hangs
// and duplicate deliveries, each invocation handed to whichever instance is free. Run three ways:
// with NOTIFY_STATE_URL (asserted: 0 lost, 0 duplicates, 0 x 130101), without it (reported: what
// shared state buys), and with Redis killed halfway (asserted: 0 lost; duplicates reported).
// docs/PERFORMANCE.md reports the figures.

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk/dingtalktest"
	"github.com/pai-notifier/pai-notifier/internal/platform/runtimetest"
	"github.com/pai-notifier/pai-notifier/internal/state/redistest"
)

const (
	instEvents    = 2000
	instInstances = 4
	instWorkers   = 8 // invocations the platform has in flight; each waits for a free instance
)

type instReport struct {
	Mode              string  `json:"mode"`
	Events            int     `json:"events"`
	DupsOffered       int     `json:"duplicateDeliveriesOffered"`
	Delivered         int     `json:"delivered"`
	Lost              int     `json:"lost"`
	Duplicates        int     `json:"duplicates"`
	TooFast           int     `json:"tooFast130101"`
	DeadLettered      int     `json:"deadLettered"`
	Invocations       int64   `json:"invocations"`
	InvocationsFailed int64   `json:"invocationsFailed"`
	PerInstance       []int64 `json:"invocationsPerInstance"`
	Messages          int     `json:"robotMessages"`
	HTTP500           int     `json:"http500"`
	Hangs             int     `json:"hangs"`
	WallS             float64 `json:"wallS"`
}

func TestInstancesShareState(t *testing.T) {
	// A fresh server for each run: the events are the same, and a run's claims would suppress the next's.
	redis := redistest.Start(t)
	shared := runInstances(t, "redis", redis.URL, nil)
	alone := runInstances(t, "no-state-url", "", nil)
	doomed := redistest.Start(t)
	killed := runInstances(t, "redis-killed-halfway", doomed.URL, doomed)
	for _, r := range []instReport{shared, alone, killed} {
		js, _ := json.Marshal(r)
		t.Logf("instances report %s", js)
	}
	if shared.Lost != 0 || shared.Duplicates != 0 || shared.TooFast != 0 || shared.DeadLettered != 0 {
		t.Errorf("with Redis: %d lost, %d duplicates, %d x 130101, %d dead-lettered; want 0 each", shared.Lost, shared.Duplicates, shared.TooFast, shared.DeadLettered)
	}
	if killed.Lost != 0 {
		t.Errorf("Redis killed halfway: %d lost; want 0", killed.Lost)
	}
}

// runInstances runs the 2,000 events through four instances; stateURL "" leaves each with its own
// memory, and kill (when not nil) is killed once half the events are offered.
func runInstances(t *testing.T, mode, stateURL string, kill *redistest.Server) instReport {
	clock := scaledClock{start: time.Now()}
	robot := dingtalktest.New(dingtalktest.WithClock(clock.now))
	defer robot.Close()
	var rules []string
	tokens := make([]string, loadRobots)
	for i := range loadRobots {
		tokens[i] = "insttoken" + strconv.Itoa(100+i) + "0123456789abcdef"
		sec := "SECinstsecret" + strconv.Itoa(100+i) + "0123456789abcdef0123456789"
		rules = append(rules, `{"name":"ws`+pad2(i)+`-failed","source":"dlc","scope":"workspace","workspaceId":"ws`+pad2(i)+
			`","events":"failed","target":{"webhook":"`+robot.AddRobot(tokens[i], sec)+`","secret":"`+sec+`"}}`)
	}
	bin := runtimetest.Build(t, "./functions/notifier", runtimetest.FC)
	env := []string{`NOTIFY_RULES={"rules":[` + strings.Join(rules, ",") + `]}`,
		"DINGTALK_TIMEOUT=" + loadTimeout, "DINGTALK_RATE_LIMIT=" + loadRate, "LOG_LEVEL=" + logLevel(),
		// DingTalk's 10-minute lockout on the robot's clock: the notifier's must match, or an
		// instance that met a 130101 would wait 12 times longer than the robot does.
		"NOTIFY_LOCKOUT=" + (10 * time.Minute / loadScale).String()}
	if stateURL != "" {
		env = append(env, "NOTIFY_STATE_URL="+stateURL)
	}
	free := make(chan int, instInstances)
	var rts []*runtimetest.Runtime
	for i := range instInstances {
		rts = append(rts, runtimetest.Start(t, runtimetest.FC, bin, env))
		free <- i
	}
	perInstance := make([]atomic.Int64, instInstances)

	ctx, cancel := context.WithTimeout(context.Background(), loadWallLimit)
	defer cancel()
	p := &emulatedPlatform{}
	p.cond = sync.NewCond(&p.mu)
	rng := rand.New(rand.NewPCG(13, 1))
	dupOffered := p.offer(ctx, rng, instEvents, func(i int) {
		if kill != nil && i >= instEvents/2 {
			kill.Kill()
			kill = nil
		}
	})

	var invocations, failedInvocations atomic.Int64
	var wg sync.WaitGroup
	for w := range instWorkers {
		wg.Go(func() {
			wr := rand.New(rand.NewPCG(uint64(w), 13))
			for {
				inv := p.next(ctx)
				if inv == nil {
					return
				}
				p.faultNext(robot, tokens, inv, wr)
				var inst int
				select {
				case inst = <-free: // whichever instance is free: a redelivery rarely meets its first one
				case <-ctx.Done():
					return
				}
				invocations.Add(1)
				perInstance[inst].Add(1)
				res, err := rts[inst].Invoke(ctx, inv.payload, runtimetest.WithTimeout(3*time.Second), runtimetest.WithRetryCount(inv.attempt))
				free <- inst
				failed := err != nil || res.Err != nil
				if failed {
					failedInvocations.Add(1)
				}
				if err != nil && ctx.Err() != nil {
					return
				}
				p.done(inv, failed)
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Errorf("%s: the run did not finish within %v", mode, loadWallLimit)
	}
	if kill != nil { // fewer events than expected: still restore the server for later runs
		kill.Kill()
	}

	seen := namedJobs(robot)
	r := instReport{Mode: mode, Events: instEvents, DupsOffered: dupOffered(), DeadLettered: len(p.dead),
		Invocations: invocations.Load(), InvocationsFailed: failedInvocations.Load(),
		Messages: len(robot.Messages()), WallS: time.Since(clock.start).Seconds()}
	for i := range perInstance {
		r.PerInstance = append(r.PerInstance, perInstance[i].Load())
	}
	o := countOutcomes(robot, seen, instEvents)
	r.Lost, r.Duplicates, r.HTTP500, r.Hangs, r.TooFast = o.Lost, o.Duplicates, o.HTTP500, o.Hangs, o.TooFast
	r.Delivered = instEvents - r.Lost
	return r
}

func pad2(i int) string {
	if i < 10 {
		return "0" + strconv.Itoa(i)
	}
	return strconv.Itoa(i)
}
