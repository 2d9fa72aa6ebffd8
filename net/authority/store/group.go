package store

import (
	"context"
	"sync"
)

// MaxGroup bounds how many batches share one transaction, so that one
// commit's wait never grows without bound under load.
const MaxGroup = 256

// MaxGroupBytes bounds the bytes of one transaction (its first batch
// always goes, whatever its size). Each room has at most one batch queued;
// batches go oldest first, but one that does not fit lets smaller ones
// behind it through. So a room with a small batch waits for at most the
// transaction in flight, however much other rooms are writing: the fair
// share of the group commit.
const MaxGroupBytes = 4 << 20

// smallBatch is the size up to which a batch counts as small (a few
// ordinary commits).
const smallBatch = 64 << 10

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
	// backlog holds what was queued but did not fit the last transaction,
	// oldest first.
	var backlog []groupReq
	group := make([]groupReq, 0, MaxGroup)
	for {
		if len(backlog) == 0 {
			select {
			case req := <-g.reqs:
				backlog = append(backlog, req)
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
		for more := true; more; {
			select {
			case req := <-g.reqs:
				backlog = append(backlog, req)
			default:
				more = false
			}
		}
		// Oldest first, up to MaxGroupBytes: a batch that does not fit
		// waits for the next transaction, at the head of the line, while
		// smaller ones behind it that fit go now. So a quiet room's small
		// batch never waits for more than the transaction in flight, and
		// a big one is first in the next.
		size, smalls, kept := 0, 0, backlog[:0]
		for _, req := range backlog {
			n := batchBytes(req.b)
			switch {
			case len(group) >= MaxGroup:
				kept = append(kept, req)
			case len(group) == 0 || size+n <= MaxGroupBytes:
				group = append(group, req)
				size += n
			case n <= smallBatch && smalls+n <= MaxGroupBytes/4:
				// Small batches have an allowance of their own, so that big
				// ones filling the transaction cannot hold them back.
				group = append(group, req)
				smalls += n
			default:
				kept = append(kept, req)
			}
		}
		clear(backlog[len(kept):])
		backlog = kept
		g.commitGroup(group)
		// The batches reference their rooms' state; a hibernated room
		// must not stay reachable through this reused slice.
		clear(group)
		group = group[:0]
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
