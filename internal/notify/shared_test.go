package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/state"
	"github.com/pai-notifier/pai-notifier/internal/state/redistest"
)

// Two instances sharing one Redis: a redelivery that reaches the other
// instance is suppressed, the robot's budget counts both instances' sends,
// and no key holds a secret.
func TestInstancesShareRedisState(t *testing.T) {
	srv := redistest.Start(t)
	var fs []*fixture
	for range 2 {
		st, err := state.Open(srv.URL, state.Options{Rate: state.Rate{N: 3, Per: time.Minute}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.(*state.Redis).Close() })
		fs = append(fs, newFixture(t, func(c *Config) { c.State = st; c.Rate = state.Rate{N: 3, Per: time.Minute} }))
	}
	ctx := ctxWithin(t, 5*time.Second)
	if res, err := fs[0].n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed")); err != nil || res.Sent != 1 {
		t.Fatalf("first instance: %+v %v", res, err)
	}
	res, err := fs[1].n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed"))
	if err != nil || res.Suppressed != 1 || fs[1].sender.calls != 0 {
		t.Fatalf("redelivery to the second instance: %+v %v after %d sends, want suppressed", res, err, fs[1].sender.calls)
	}
	var retry int
	for i := range 4 {
		_, err := fs[i%2].n.Handle(ctx, dlcEvent(fmt.Sprint("s", i), fmt.Sprint("dlcs", i), "Failed"))
		var re *RetryableError
		if errors.As(err, &re) {
			retry++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if sent := len(fs[0].sender.got) + len(fs[1].sender.got); sent != 3 || retry != 2 {
		t.Errorf("two instances sent %d messages, %d left for retry; want 3 (the shared budget) and 2", sent, retry)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v %v", keys, err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "pai-notifier:") || strings.Contains(k, testToken) || strings.Contains(k, testSecret) {
			t.Errorf("key %q: want namespaced and free of secrets", k)
		}
	}
	assertNoSecret(t, res, err, fs[0].logs.String()+fs[1].logs.String())
}

// blockingSender holds every send until release is closed.
type blockingSender struct {
	started, release chan struct{}
}

func (b *blockingSender) Send(ctx context.Context, _ channel.Channel, _ channel.Target, _ channel.Message) error {
	close(b.started)
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// A redelivery that reaches a second instance while the first is still
// delivering (or was killed before it could release its claim) is left
// for the platform's retry, not reported as delivered: the first may fail.
// Once the first confirms, the retry is suppressed.
func TestInFlightElsewhereIsRetriedNotDropped(t *testing.T) {
	shared := state.NewMemory(state.Options{})
	bs := &blockingSender{started: make(chan struct{}), release: make(chan struct{})}
	first := newFixture(t, func(c *Config) { c.State = shared; c.Sender = bs })
	second := newFixture(t, func(c *Config) { c.State = shared })
	ctx := ctxWithin(t, 5*time.Second)
	done := make(chan error, 1)
	go func() {
		_, err := first.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed"))
		done <- err
	}()
	<-bs.started
	res, err := second.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed"))
	var re *RetryableError
	if !errors.As(err, &re) || res.Deliveries[0].Outcome != Retry || second.sender.calls != 0 {
		t.Fatalf("redelivery while the first is in flight: %+v %v after %d sends; want retry, no send", res, err, second.sender.calls)
	}
	close(bs.release)
	if err := <-done; err != nil {
		t.Fatalf("first instance: %v", err)
	}
	res, err = second.n.Handle(ctx, dlcEvent("e1", "dlc1", "Failed"))
	if err != nil || res.Suppressed != 1 || second.sender.calls != 0 {
		t.Fatalf("retry after the first delivered: %+v %v; want suppressed", res, err)
	}
}
