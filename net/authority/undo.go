package authority

import (
	"encoding/json"
	"errors"
	"fmt"
	"unsafe"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

// toggleSpan is how far back an undo or redo may replay the log (see
// model.Canvas.Toggle): the commits whose effects stay in memory. Beyond
// it (or beyond toggleStoreReads commits not decoded in memory), an undo
// falls back to restoring only the cells that still hold what the target
// wrote.
const toggleSpan = recentEffects

// toggle resolves an undo or redo of commit seq (rec) into the ops that the
// undo or redo record applies. It runs on the room's goroutine; the ops it
// returns are plain cells, so every replica applies them alike.
func (r *room) toggle(seq uint64, rec *store.Record) ([]model.Op, error) {
	floor := uint64(1)
	if r.seq > toggleSpan {
		floor = r.seq - toggleSpan
	}
	reads := 0
	log := func(seq uint64) (model.LogEntry, error) {
		if e, ok := r.logs.m[seq]; ok {
			return e, nil
		}
		// Each miss is a store query on the room's goroutine.
		if reads++; reads > toggleStoreReads {
			return model.LogEntry{}, fmt.Errorf("%w: over %d commits to read from the store", model.ErrHistoryTooLong, toggleStoreReads)
		}
		return r.logEntry(seq)
	}
	ops, err := r.canvas.Toggle(r.seq, seq, floor, log)
	if !errors.Is(err, model.ErrHistoryTooLong) {
		return ops, err
	}
	eff, err := model.DecodeEffect(rec.Effect)
	if err != nil {
		return nil, err
	}
	return r.canvas.Revert(eff), nil
}

// toggleStoreReads bounds the commits one undo or redo reads back from the
// store (those no longer decoded in memory, e.g. after a wake).
const toggleStoreReads = 64

// logEntry decodes one commit of the room's log for model.Canvas.Toggle.
func (r *room) logEntry(seq uint64) (model.LogEntry, error) {
	rec, err := r.lookup(seq)
	if err != nil {
		return model.LogEntry{}, err
	}
	eff, err := model.DecodeEffect(rec.Effect)
	if err != nil {
		return model.LogEntry{}, err
	}
	e := model.LogEntry{Effect: eff}
	if rec.Kind != wire.KindDraw {
		e.Target = rec.Target
		return e, nil
	}
	if err := json.Unmarshal(rec.Ops, &e.Ops); err != nil {
		return model.LogEntry{}, fmt.Errorf("ops: %w", err)
	}
	return e, nil
}

// logCache keeps the newest commits decoded, so that an undo replaying
// hundreds of them does not decode their JSON ops on the room's goroutine
// (about 10 µs a cell). It is bounded like the room's recent effects: at
// most toggleSpan commits and logCacheBytes of decoded cells; what it
// lacks is decoded from the stored record.
type logCache struct {
	m     map[uint64]model.LogEntry
	q     []uint64 // seqs in m, oldest first
	bytes int
}

// logCacheBytes bounds the decoded log beside the room's undo effects
// (recentBytes): a room's caches hold at most their sum.
const logCacheBytes = 4 << 20

// cost is the heap a decoded entry holds: its structs at their real
// sizes, strings and slices headers included, plus the text bytes and a
// map entry.
func cost(e model.LogEntry) int {
	n := 96 + int(unsafe.Sizeof(model.Change{}))*len(e.Effect)
	for _, o := range e.Ops {
		n += int(unsafe.Sizeof(o)) + int(unsafe.Sizeof(model.CellAt{}))*len(o.Cells) + len(o.Text)
	}
	return n
}

func (l *logCache) add(seq uint64, kind string, target uint64, ops []model.Op, eff model.Effect) {
	e := model.LogEntry{Effect: eff}
	if kind == wire.KindDraw {
		e.Ops = ops
	} else {
		e.Target = target
	}
	if l.m == nil {
		l.m = map[uint64]model.LogEntry{}
	}
	l.m[seq] = e
	l.q = append(l.q, seq)
	l.bytes += cost(e)
	for len(l.q) > 1 && (len(l.q) > toggleSpan+1 || l.bytes > logCacheBytes) {
		old := l.q[0]
		l.q = l.q[1:]
		l.bytes -= cost(l.m[old])
		delete(l.m, old)
	}
}
