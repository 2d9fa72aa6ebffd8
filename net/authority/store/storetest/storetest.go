// Package storetest is the behaviour every store.Store backend must show;
// each backend's tests call Run with a fresh store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// Run checks a backend. open must return an empty store; Run closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	rec := func(seq uint64) store.Record {
		return store.Record{Seq: seq, ID: fmt.Sprintf("c-%d", seq), Client: "c", Name: "n", Kind: "draw",
			Ops: []byte(`[]`), Effect: []byte{byte(seq)}, At: int64(seq)}
	}
	t.Run("MissingRoom", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		if _, err := s.Load(ctx, "nope", 10); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Load of a missing room: %v", err)
		}
		if _, err := s.Record(ctx, "nope", 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Record of a missing room: %v", err)
		}
	})
	t.Run("WriteLoadRoundTrip", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		meta := store.Meta{Room: "r", Epoch: "e1", Open: true, Created: 42}
		tok := store.Token{ID: "t1", Hash: []byte{1, 2, 3}, Role: "editor", Created: 7}
		if err := s.Write(ctx, store.Batch{Room: "r", Meta: &meta, Records: []store.Record{rec(1), rec(2)}, Tokens: []store.Token{tok}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Write(ctx, store.Batch{Room: "r", Records: []store.Record{rec(3)}, Snapshot: &store.Snapshot{Seq: 2, Data: []byte("snap")}}); err != nil {
			t.Fatal(err)
		}
		tok.Revoked = true
		if err := s.Write(ctx, store.Batch{Room: "r", Tokens: []store.Token{tok}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "r", 2)
		if err != nil {
			t.Fatal(err)
		}
		if got.Meta != meta || got.Snapshot.Seq != 2 || string(got.Snapshot.Data) != "snap" || got.LastSeq != 3 {
			t.Fatalf("Load: %+v", got)
		}
		if len(got.Records) != 1 || got.Records[0].Seq != 3 || got.Records[0].Effect != nil {
			t.Fatalf("records after the snapshot: %+v", got.Records)
		}
		if len(got.Tokens) != 1 || !got.Tokens[0].Revoked || string(got.Tokens[0].Hash) != "\x01\x02\x03" {
			t.Fatalf("tokens: %+v", got.Tokens)
		}
		if len(got.RecentIDs) != 2 || got.RecentIDs[0].ID != "c-2" || got.RecentIDs[1].Seq != 3 {
			t.Fatalf("recent IDs, oldest first: %+v", got.RecentIDs)
		}
		r2, err := s.Record(ctx, "r", 2)
		if err != nil || r2.ID != "c-2" || len(r2.Effect) != 1 || r2.Effect[0] != 2 {
			t.Fatalf("Record(2) = %+v, %v", r2, err)
		}
		if seq, err := s.SeqOf(ctx, "r", "c-3"); err != nil || seq != 3 {
			t.Fatalf("SeqOf = %d, %v", seq, err)
		}
		if _, err := s.SeqOf(ctx, "r", "c-9"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("SeqOf unknown: %v", err)
		}
		rs, err := s.Records(ctx, "r", 1, 1)
		if err != nil || len(rs) != 1 || rs[0].Seq != 2 {
			t.Fatalf("Records(after 1, limit 1) = %+v, %v", rs, err)
		}
		sz, err := s.RecordSizes(ctx, "r", 1, 10)
		if err != nil || len(sz) != 2 || sz[0].Seq != 2 || sz[1].Seq != 3 || sz[0].Ops != len(rs[0].Ops) {
			t.Fatalf("RecordSizes(after 1) = %+v, %v; want seqs 2, 3 with %d bytes first", sz, err, len(rs[0].Ops))
		}
		if n, err := s.Rooms(ctx); err != nil || n != 1 {
			t.Fatalf("Rooms = %d, %v", n, err)
		}
	})
	t.Run("DuplicateSeqFailsAlone", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		meta := store.Meta{Room: "a", Epoch: "e"}
		if err := s.Write(ctx, store.Batch{Room: "a", Meta: &meta, Records: []store.Record{rec(1)}}); err != nil {
			t.Fatal(err)
		}
		// Concurrent batches may share a transaction; a bad one must fail
		// without taking its neighbours down.
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := store.Batch{Room: fmt.Sprintf("room-%d", i), Meta: &store.Meta{Epoch: "e"}, Records: []store.Record{rec(1)}}
				if i == 7 {
					b = store.Batch{Room: "a", Records: []store.Record{rec(1)}} // seq 1 exists
				}
				errs[i] = s.Write(ctx, b)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if (i == 7) != (err != nil) {
				t.Fatalf("batch %d: %v", i, err)
			}
		}
		if n, _ := s.Rooms(ctx); n != 20 {
			t.Fatalf("rooms = %d, want 20", n)
		}
	})
	t.Run("BatchIsAtomic", func(t *testing.T) {
		s := open(t)
		defer s.Close()
		meta := store.Meta{Room: "b", Epoch: "e"}
		// The second record repeats seq 1: the whole batch, meta included,
		// must fail and leave nothing behind.
		if err := s.Write(ctx, store.Batch{Room: "b", Meta: &meta, Records: []store.Record{rec(1), rec(1)}}); err == nil {
			t.Fatal("a batch with a duplicate seq was written")
		}
		if _, err := s.Load(ctx, "b", 10); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed batch left its room behind: %v", err)
		}
		if _, err := s.SeqOf(ctx, "b", "c-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed batch left a record behind: %v", err)
		}
	})
	t.Run("WriteAfterClose", func(t *testing.T) {
		s := open(t)
		s.Close()
		if err := s.Write(ctx, store.Batch{Room: "x", Meta: &store.Meta{Epoch: "e"}}); !errors.Is(err, store.ErrClosed) {
			t.Fatalf("Write after Close: %v", err)
		}
	})
}
