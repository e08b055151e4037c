package state

import (
	"hash/maphash"
	"sync"
)

// memory remembers recent keys (deliveries that reached a group) with a
// fixed capacity, forgetting the oldest first. It is what keeps a
// redelivered event, or the platform's retry of a partly delivered batch,
// from reaching the group twice within one instance.
//
// Its horizon is its capacity: a retry that comes after more than capacity/2
// other deliveries is sent again. The load test (functions/notifier,
// `make load`) found 4,096 string keys too short under a burst, so keys are
// kept as 64-bit hashes (about 16 bytes of list and some map each, instead
// of about 150) and the default holds 65,536 of them (about 2 MB when
// full). Two different keys sharing a hash (odds about 1 in 2^33 at
// full capacity) would suppress one notification.
type memory struct {
	mu    sync.Mutex
	seed  maphash.Seed
	cap   int
	nodes []node // grown up to cap; linked newest (head) to oldest (tail)
	head  int32  // -1 when empty
	tail  int32
	free  int32 // first unused node, chained through next; -1 when none
	index map[uint64]int32
}

// node is one remembered key in an intrusive list over memory.nodes, so that
// forgetting a claim (a failed delivery) frees its place at once: the
// horizon is capacity keys that stay remembered, however many claims fail.
type node struct {
	h          uint64
	prev, next int32
	done       bool // delivered, not just claimed
}

func newMemory(capacity int) *memory {
	if capacity < 1 {
		capacity = 1
	}
	// Grown on demand, not allocated up front: 2 MB made and cleared at
	// start doubled the cold start (BenchmarkStartup) for a memory that a
	// short-lived instance never fills.
	return &memory{seed: maphash.MakeSeed(), cap: capacity, head: -1, tail: -1, free: -1, index: map[uint64]int32{}}
}

func (m *memory) hash(key string) uint64 { return maphash.String(m.seed, key) }

// state returns key's claim state and whether it is remembered at all.
func (m *memory) state(key string) (ClaimState, bool) {
	h := m.hash(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index[h]
	if !ok {
		return Claimed, false
	}
	if m.nodes[i].done {
		return Delivered, true
	}
	return InFlight, true
}

// addLocked remembers h, evicting the oldest key when full.
func (m *memory) addLocked(h uint64) {
	switch {
	case m.free >= 0:
	case len(m.nodes) < m.cap:
		m.nodes = append(m.nodes, node{next: -1})
		m.free = int32(len(m.nodes) - 1)
	default: // full: the oldest goes
		m.removeLocked(m.tail)
	}
	i := m.free
	n := &m.nodes[i]
	m.free = n.next
	*n = node{h: h, prev: -1, next: m.head}
	if m.head >= 0 {
		m.nodes[m.head].prev = i
	} else {
		m.tail = i
	}
	m.head = i
	m.index[h] = i
}

// removeLocked unlinks node i, forgets its key and frees it.
func (m *memory) removeLocked(i int32) {
	n := &m.nodes[i]
	if n.prev >= 0 {
		m.nodes[n.prev].next = n.next
	} else {
		m.head = n.next
	}
	if n.next >= 0 {
		m.nodes[n.next].prev = n.prev
	} else {
		m.tail = n.prev
	}
	delete(m.index, n.h)
	*n = node{next: m.free}
	m.free = i
}

// claim remembers key as in flight when it was not remembered yet, in one
// step, so two concurrent invocations cannot both claim it. It returns the
// key's state before the call.
func (m *memory) claim(key string) ClaimState {
	h := m.hash(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	if i, seen := m.index[h]; seen {
		if m.nodes[i].done {
			return Delivered
		}
		return InFlight
	}
	m.addLocked(h)
	return Claimed
}

// confirm marks key delivered.
func (m *memory) confirm(key string) {
	h := m.hash(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	i, seen := m.index[h]
	if !seen {
		m.addLocked(h)
		i = m.head
	}
	m.nodes[i].done = true
}

// forget drops key, e.g. when a claimed delivery failed and must be tried again.
func (m *memory) forget(key string) {
	h := m.hash(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	if i, ok := m.index[h]; ok {
		m.removeLocked(i)
	}
}
