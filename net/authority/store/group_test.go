package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// TestGroupCommitBoundsBytesPerTransaction: big batches from busy rooms
// share transactions only up to MaxGroupBytes, so a small batch queued
// behind them waits for one transaction of that size, not for all of
// them (issue 15, finding 4: fair group commit).
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
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, n := range groups {
		total += n
		if n > store.MaxGroupBytes+1<<20 {
			t.Fatalf("a transaction of %d bytes; bound MaxGroupBytes plus one batch (%d)", n, store.MaxGroupBytes+1<<20)
		}
	}
	if total != (rooms+1)<<20 {
		t.Fatalf("wrote %d bytes; want %d", total, (rooms+1)<<20)
	}
	t.Logf("%d batches of 1 MiB in %d transactions", rooms+1, len(groups))
}
