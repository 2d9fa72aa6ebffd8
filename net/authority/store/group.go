package store

import (
	"context"
	"sync"
)

// MaxGroup bounds how many batches share one transaction, so that one
// commit's wait never grows without bound under load.
const MaxGroup = 256

// MaxGroupBytes bounds the bytes one transaction takes from the queue
// (its first batch always goes, whatever its size). Each room has at most
// one batch queued, and the queue is first come, first served, so a room
// with a small batch waits for at most one transaction of about this size
// ahead of it, however much other rooms are writing: the fair share of
// the group commit.
const MaxGroupBytes = 4 << 20

// batchBytes is roughly what a batch writes.
func batchBytes(b Batch) int {
	n := 0
	for _, r := range b.Records {
		n += len(r.Ops) + len(r.Effect) + len(r.ID) + len(r.Client) + len(r.Name) + 64
	}
	if b.Snapshot != nil {
		n += len(b.Snapshot.Data)
	}
	return n
}

// GroupWriter is the group commit every backend shares: Write calls that
// arrive while a transaction is in flight queue up, and the next free
// writer goroutine takes all of them (up to MaxGroup) into one
// transaction. If that transaction fails, each batch is retried alone, so
// one bad (or fenced) batch cannot fail its neighbours.
type GroupWriter struct {
	commit func([]Batch) error
	reqs   chan groupReq
	stop   chan struct{}
	exited chan struct{}
	once   sync.Once
}

type groupReq struct {
	b    Batch
	done chan error
}

// NewGroupWriter starts writers goroutines that call commit with groups of
// batches; commit must write them all or none.
func NewGroupWriter(writers int, commit func([]Batch) error) *GroupWriter {
	g := &GroupWriter{commit: commit, reqs: make(chan groupReq, MaxGroup), stop: make(chan struct{}), exited: make(chan struct{})}
	var wg sync.WaitGroup
	for range max(writers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.run()
		}()
	}
	go func() {
		wg.Wait()
		close(g.exited)
	}()
	return g
}

// Write returns once b is durable, or with the error that kept it from
// being written.
func (g *GroupWriter) Write(ctx context.Context, b Batch) error {
	req := groupReq{b: b, done: make(chan error, 1)}
	select {
	case <-g.stop:
		return ErrClosed
	default:
	}
	select {
	case g.reqs <- req:
	case <-g.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write happens whatever ctx says; waiting for it keeps
	// the caller's view of what is durable true.
	select {
	case err := <-req.done:
		return err
	case <-g.exited:
		select {
		case err := <-req.done:
			return err
		default:
			return ErrClosed // queued after the writers' last drain: not written
		}
	}
}

// Close finishes what was queued and waits for the writers.
func (g *GroupWriter) Close() {
	g.once.Do(func() { close(g.stop) })
	<-g.exited
}

func (g *GroupWriter) run() {
	group := make([]groupReq, 0, MaxGroup)
	for {
		select {
		case req := <-g.reqs:
			group = append(group[:0], req)
			size := batchBytes(req.b)
		drain:
			for len(group) < MaxGroup && size < MaxGroupBytes {
				select {
				case req := <-g.reqs:
					group = append(group, req)
					size += batchBytes(req.b)
				default:
					break drain
				}
			}
			g.commitGroup(group)
			// The batches reference their rooms' state; a hibernated room
			// must not stay reachable through this reused slice.
			clear(group)
		case <-g.stop:
			// Finish what was queued before Close so no caller waits forever.
			for {
				select {
				case req := <-g.reqs:
					g.commitGroup([]groupReq{req})
				default:
					return
				}
			}
		}
	}
}

func (g *GroupWriter) commitGroup(group []groupReq) {
	bs := make([]Batch, len(group))
	for i, req := range group {
		bs[i] = req.b
	}
	err := g.commit(bs)
	if err == nil || len(group) == 1 {
		for _, req := range group {
			req.done <- err
		}
		return
	}
	for _, req := range group {
		req.done <- g.commit([]Batch{req.b})
	}
}
