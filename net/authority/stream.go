package authority

import (
	"context"
	"fmt"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// Catch-up (a rejoin's missed commits) and GET /r/ROOM/history read
// stored records back. Records can be big (a commit's ops can reach a few
// MB), so both stream them a page at a time under two bounds: a page holds
// at most Budget.StreamPage bytes of ops (or one record, if that alone is
// bigger), and all pages being read or written at once hold at most
// Budget.StreamBytes, server-wide. A reader that does not keep up holds
// one page until its write deadline, never a whole history.

// streamRecordsPage bounds the records of one page by count, too.
const streamRecordsPage = 1000

// streamRecords calls fn for every record in (after, upto] in order;
// begin before each page, once the page has its share of the budget, and
// end after it. It stops at the first error.
func (s *Server) streamRecords(ctx context.Context, room string, after, upto uint64,
	begin func(), fn func(store.Record) error, end func() error) error {
	b := s.opts.Budget
	for after < upto {
		sizes, err := s.opts.Store.RecordSizes(ctx, room, after, int(min(upto-after, streamRecordsPage)))
		if err != nil {
			return err
		}
		if len(sizes) == 0 {
			return fmt.Errorf("room %s: records after %d: %w", room, after, store.ErrNotFound)
		}
		n, weight := 0, int64(0)
		for _, sz := range sizes {
			w := int64(sz.Ops) + recordOverhead
			if n > 0 && weight+w > int64(b.StreamPage) || sz.Seq > upto {
				break
			}
			n, weight = n+1, weight+w
		}
		if n == 0 {
			return nil
		}
		weight = min(weight, int64(b.StreamBytes)) // a record over the whole budget still goes, alone
		if err := s.streams.Acquire(ctx, weight); err != nil {
			return err
		}
		err = func() error {
			defer s.streams.Release(weight)
			recs, err := s.opts.Store.Records(ctx, room, after, n)
			if err != nil {
				return err
			}
			if len(recs) == 0 {
				return fmt.Errorf("room %s: records after %d: %w", room, after, store.ErrNotFound)
			}
			begin()
			for i := range recs {
				if err := fn(recs[i]); err != nil {
					return err
				}
				after = recs[i].Seq
				recs[i] = store.Record{} // written: let it go
			}
			return end()
		}()
		if err != nil {
			return err
		}
	}
	return nil
}

// recordOverhead is what a decoded record costs beyond its ops.
const recordOverhead = 256
