package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// TestGroupCommitBoundsBytesPerTransaction: big batches from busy rooms
// share transactions only up to MaxGroupBytes, and a small batch queued
// behind them goes in the next transaction, not after all of them
// (issue 15, finding 4: fair group commit).
func TestGroupCommitBoundsBytesPerTransaction(t *testing.T) {
	var mu sync.Mutex
	var groups []int
	release := make(chan struct{})
	first := true
	g := store.NewGroupWriter(1, func(bs []store.Batch) error {
		mu.Lock()
		wait := first
		first = false
		n := 0
		for _, b := range bs {
			for _, r := range b.Records {
				n += len(r.Ops)
			}
		}
		groups = append(groups, n)
		mu.Unlock()
		if wait {
			<-release // let the queue fill behind the first transaction
		}
		return nil
	})
	defer g.Close()
	big := func(room string) store.Batch {
		return store.Batch{Room: room, Records: []store.Record{{Seq: 1, Ops: make([]byte, 1<<20)}}}
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); g.Write(ctx, big("first")) }()
	for {
		mu.Lock()
		started := len(groups) == 1
		mu.Unlock()
		if started {
			break
		}
		time.Sleep(time.Millisecond)
	}
	const rooms = 20
	queued := make(chan struct{}, rooms)
	for i := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			queued <- struct{}{}
			g.Write(ctx, big(string(rune('a'+i))))
		}()
	}
	for range rooms {
		<-queued
	}
	time.Sleep(50 * time.Millisecond) // let them reach the queue
	// A quiet room's small batch, queued behind them all.
	small := store.Batch{Room: "quiet", Records: []store.Record{{Seq: 1, Ops: make([]byte, 10)}}}
	wg.Add(1)
	go func() { defer wg.Done(); g.Write(ctx, small) }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	total, quietIn := 0, -1
	for i, n := range groups {
		if n%(1<<20) == 10 {
			quietIn = i
		}
		total += n
		if n > store.MaxGroupBytes+1<<20 {
			t.Fatalf("a transaction of %d bytes; bound MaxGroupBytes plus one batch (%d)", n, store.MaxGroupBytes+1<<20)
		}
	}
	if total != (rooms+1)<<20+10 {
		t.Fatalf("wrote %d bytes; want %d", total, (rooms+1)<<20+10)
	}
	// It passes the big batches ahead of it: it is in the first
	// transaction after the one that was in flight.
	if quietIn != 1 {
		t.Fatalf("the small batch went in transaction %d of %d; want the next one (1)", quietIn, len(groups))
	}
	t.Logf("%d batches of 1 MiB in %d transactions", rooms+1, len(groups))
}
