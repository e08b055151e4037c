package notify

import (
	"container/list"
	"sync"
)

// memory remembers recent keys (deliveries that reached a group) with a
// fixed capacity, forgetting the least recently used first. It is what keeps
// a redelivered event from reaching the group twice within one instance.
type memory struct {
	mu    sync.Mutex
	cap   int
	order *list.List // front = most recent; values are keys
	index map[string]*list.Element
}

func newMemory(capacity int) *memory {
	if capacity < 1 {
		capacity = 1
	}
	return &memory{cap: capacity, order: list.New(), index: make(map[string]*list.Element, capacity)}
}

// has reports whether key is remembered.
func (m *memory) has(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.index[key]
	return ok
}

// add remembers key, evicting the oldest key when full.
func (m *memory) add(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addLocked(key)
}

func (m *memory) addLocked(key string) {
	if e, ok := m.index[key]; ok {
		m.order.MoveToFront(e)
		return
	}
	if m.order.Len() >= m.cap {
		oldest := m.order.Back()
		m.order.Remove(oldest)
		delete(m.index, oldest.Value.(string))
	}
	m.index[key] = m.order.PushFront(key)
}

// claim remembers key and reports true when it was not remembered yet, in
// one step, so two concurrent invocations cannot both claim it.
func (m *memory) claim(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, seen := m.index[key]; seen {
		return false
	}
	m.addLocked(key)
	return true
}

// forget drops key, e.g. when a claimed delivery failed and must be tried again.
func (m *memory) forget(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.index[key]; ok {
		m.order.Remove(e)
		delete(m.index, key)
	}
}

func (m *memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}
