package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// LeaseStore is a store that several nodes share.
type LeaseStore interface {
	store.Store
	store.Leaser
}

// RunLeaser checks a backend's leases and fencing. open must return an
// empty store; RunLeaser closes it.
func RunLeaser(t *testing.T, open func(t *testing.T) LeaseStore) {
	ctx := context.Background()
	rec := func(seq uint64) store.Record {
		return store.Record{Seq: seq, ID: fmt.Sprintf("c-%d", seq), Client: "c", Name: "n", Kind: "draw", Ops: []byte(`[]`), Effect: []byte{1}}
	}
	const long = time.Minute
	t.Run("ExclusiveUntilReleased", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		if _, err := s.Owner(ctx, "r"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Owner of a room never leased: %v", err)
		}
		a, err := s.Acquire(ctx, "r", "A", "http://a", long)
		if err != nil || a.Fence != 1 || a.Left < long-5*time.Second || a.Node != "A" {
			t.Fatalf("Acquire = %+v, %v", a, err)
		}
		held, err := s.Acquire(ctx, "r", "B", "http://b", long)
		if !errors.Is(err, store.ErrLeaseHeld) || held.Node != "A" || held.Addr != "http://a" || held.Fence != 1 || held.Left <= 0 {
			t.Fatalf("Acquire of a held lease = %+v, %v", held, err)
		}
		if o, err := s.Owner(ctx, "r"); err != nil || o.Node != "A" || o.Addr != "http://a" || o.Fence != 1 {
			t.Fatalf("Owner = %+v, %v", o, err)
		}
		if _, err := s.Acquire(ctx, "other", "B", "http://b", long); err != nil {
			t.Fatalf("leases are per room: %v", err)
		}
		if err := s.Release(ctx, "r", "B", 1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Acquire(ctx, "r", "B", "http://b", long); !errors.Is(err, store.ErrLeaseHeld) {
			t.Fatalf("a release by a node that does not hold the lease took effect: %v", err)
		}
		if err := s.Release(ctx, "r", "A", 1); err != nil {
			t.Fatal(err)
		}
		b, err := s.Acquire(ctx, "r", "B", "http://b", long)
		if err != nil || b.Fence != 2 {
			t.Fatalf("Acquire after release = %+v, %v (the fence must keep growing)", b, err)
		}
	})
	t.Run("FenceGuardsWrites", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		a, err := s.Acquire(ctx, "r", "A", "http://a", long)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, store.Batch{Room: "r", Meta: &store.Meta{Epoch: "e"}, Records: []store.Record{rec(1)}, Fence: a.Fence}); err != nil {
			t.Fatalf("write under the current fence: %v", err)
		}
		if err := s.Write(ctx, store.Batch{Room: "r", Records: []store.Record{rec(2)}, Fence: a.Fence + 1}); !errors.Is(err, store.ErrFenced) {
			t.Fatalf("write under a wrong fence: %v", err)
		}
		if err := s.Write(ctx, store.Batch{Room: "unleased", Meta: &store.Meta{Epoch: "e"}, Fence: 1}); !errors.Is(err, store.ErrFenced) {
			t.Fatalf("fenced write to a room without a lease: %v", err)
		}
		// The same node taking its room again (a restart) fences off its
		// earlier incarnation.
		a2, err := s.Acquire(ctx, "r", "A", "http://a", long)
		if err != nil || a2.Fence != a.Fence+1 {
			t.Fatalf("re-acquire = %+v, %v", a2, err)
		}
		if err := s.Write(ctx, store.Batch{Room: "r", Records: []store.Record{rec(2)}, Fence: a.Fence}); !errors.Is(err, store.ErrFenced) {
			t.Fatalf("write under the previous incarnation's fence: %v", err)
		}
		if err := s.Write(ctx, store.Batch{Room: "r", Records: []store.Record{rec(2)}, Fence: a2.Fence}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "r", 10)
		if err != nil || got.LastSeq != 2 {
			t.Fatalf("Load = %+v, %v", got, err)
		}
		// Fenced and unfenced batches share groups; a fenced-off one fails
		// alone.
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := store.Batch{Room: fmt.Sprintf("x%d", i), Meta: &store.Meta{Epoch: "e"}}
				if i == 3 {
					b = store.Batch{Room: "r", Records: []store.Record{rec(3)}, Fence: a.Fence}
				}
				errs[i] = s.Write(ctx, b)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if (i == 3) != errors.Is(err, store.ErrFenced) || (i != 3 && err != nil) {
				t.Fatalf("batch %d: %v", i, err)
			}
		}
	})
	t.Run("ExpiryAndRenewal", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		const ttl = 400 * time.Millisecond
		a, err := s.Acquire(ctx, "r", "A", "http://a", ttl)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Acquire(ctx, "q", "A", "http://a", ttl)
		if err != nil {
			t.Fatal(err)
		}
		// Renewing every third of the TTL keeps "r"; "q" is left to expire.
		for range 6 {
			time.Sleep(ttl / 3)
			kept, err := s.Renew(ctx, "A", ttl, map[string]uint64{"r": a.Fence})
			if err != nil || !kept["r"] || len(kept) != 1 {
				t.Fatalf("Renew = %v, %v", kept, err)
			}
		}
		if _, err := s.Acquire(ctx, "r", "B", "http://b", ttl); !errors.Is(err, store.ErrLeaseHeld) {
			t.Fatalf("a renewed lease was taken: %v", err)
		}
		if err := s.Write(ctx, store.Batch{Room: "q", Meta: &store.Meta{Epoch: "e"}, Fence: b.Fence}); !errors.Is(err, store.ErrFenced) {
			t.Fatalf("write under an expired lease that nobody took yet: %v", err)
		}
		qb, err := s.Acquire(ctx, "q", "B", "http://b", ttl)
		if err != nil || qb.Fence != b.Fence+1 {
			t.Fatalf("Acquire of an expired lease = %+v, %v", qb, err)
		}
		kept, err := s.Renew(ctx, "A", ttl, map[string]uint64{"r": a.Fence, "q": b.Fence})
		if err != nil || !kept["r"] || kept["q"] {
			t.Fatalf("Renew after losing q = %v, %v", kept, err)
		}
	})
	t.Run("NoWriteAfterTakeover", func(t *testing.T) {
		// The old owner writes as fast as it can while its lease expires
		// and another node takes the room and loads it at once: every
		// write the old owner saw succeed must be in that load, and none
		// may succeed after it.
		s := open(t)
		defer s.Close()
		const ttl = 300 * time.Millisecond
		a, err := s.Acquire(ctx, "r", "A", "http://a", ttl)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, store.Batch{Room: "r", Meta: &store.Meta{Epoch: "e"}, Fence: a.Fence}); err != nil {
			t.Fatal(err)
		}
		var last uint64
		var werr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			for seq := uint64(1); ; seq++ {
				if werr = s.Write(ctx, store.Batch{Room: "r", Records: []store.Record{rec(seq)}, Fence: a.Fence}); werr != nil {
					return
				}
				last = seq
			}
		}()
		var b store.Lease
		for {
			if b, err = s.Acquire(ctx, "r", "B", "http://b", long); err == nil {
				break
			}
			if !errors.Is(err, store.ErrLeaseHeld) {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		got, err := s.Load(ctx, "r", 10)
		if err != nil {
			t.Fatal(err)
		}
		<-done
		if !errors.Is(werr, store.ErrFenced) {
			t.Fatalf("old owner's write ended with %v", werr)
		}
		if got.LastSeq != last {
			t.Fatalf("new owner (fence %d) loaded seq %d, but the old owner's last successful write was %d", b.Fence, got.LastSeq, last)
		}
		t.Logf("old owner wrote %d commits before it was fenced off", last)
	})
}
