package authority

import "sync"

// sendQueue is a connection's bounded outbox. It grows with use instead of
// being allocated at its bound, so the tens of thousands of idle
// connections a server holds cost little, while a busy one may still queue
// up to max frames before it counts as too slow to keep.
type sendQueue struct {
	mu     sync.Mutex
	items  []outMsg
	head   int
	max    int
	notify chan struct{} // one token: "there is something to pop"
}

func newSendQueue(max int) *sendQueue {
	return &sendQueue{max: max, notify: make(chan struct{}, 1)}
}

// push adds m; false if the queue already holds max frames.
func (q *sendQueue) push(m outMsg) bool {
	q.mu.Lock()
	if len(q.items)-q.head >= q.max {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, m)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return true
}

// pop removes the oldest frame, if any.
func (q *sendQueue) pop() (outMsg, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.items) {
		return outMsg{}, false
	}
	m := q.items[q.head]
	q.items[q.head] = outMsg{}
	q.head++
	if q.head == len(q.items) {
		// Empty: start over, dropping a burst's large array.
		q.head = 0
		if cap(q.items) > 64 {
			q.items = nil
		} else {
			q.items = q.items[:0]
		}
	}
	return m, true
}
