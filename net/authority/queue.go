package authority

import "sync"

// sendQueue is a connection's bounded outbox, drained by a writer
// goroutine that exists only while there is something to write. It grows
// with use instead of being allocated at its bound. Both choices are for
// the tens of thousands of idle connections a server holds: each costs
// one goroutine (its reader) and no queue memory.
type sendQueue struct {
	mu      sync.Mutex
	items   []outMsg
	head    int
	max     int
	running bool // a writer goroutine is draining
	stopped bool // the connection is going: drop everything
	start   func()
}

func newSendQueue(max int, start func()) *sendQueue {
	return &sendQueue{max: max, start: start}
}

// push adds m at the back, or at the front when urgent (a kick's close
// overtakes the backlog). False if the queue already holds max frames;
// urgent pushes ignore the bound.
func (q *sendQueue) push(m outMsg, urgent bool) bool {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return true // the connection is closing; nothing more reaches it
	}
	if !urgent && len(q.items)-q.head >= q.max {
		q.mu.Unlock()
		return false
	}
	if urgent {
		q.items = append(q.items[:q.head], append([]outMsg{m}, q.items[q.head:]...)...)
	} else {
		q.items = append(q.items, m)
	}
	if !q.running {
		// Under the lock, so that stop (and the Wait for writers that
		// follows it) is ordered after the writer's start.
		q.running = true
		q.start()
	}
	q.mu.Unlock()
	return true
}

// next removes the oldest frame for the writer. When there is none it
// returns false and the writer must exit: running is cleared under the
// same lock, so a concurrent push starts a new writer.
func (q *sendQueue) next() (outMsg, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped || q.head == len(q.items) {
		q.running = false
		q.reset()
		return outMsg{}, false
	}
	m := q.items[q.head]
	q.items[q.head] = outMsg{}
	q.head++
	return m, true
}

// stop drops the backlog and refuses further frames.
func (q *sendQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.reset()
	q.mu.Unlock()
}

func (q *sendQueue) reset() {
	clear(q.items[q.head:])
	q.head = 0
	if cap(q.items) > 64 {
		q.items = nil // drop a burst's large array
	} else {
		q.items = q.items[:0]
	}
}
