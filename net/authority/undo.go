package authority

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

// toggleSpan is how far back an undo or redo may replay the log (see
// model.Canvas.Toggle): the commits whose effects stay in memory. Beyond
// it, an undo falls back to restoring only the cells that still hold what
// the target wrote.
const toggleSpan = recentEffects

// toggle resolves an undo or redo of commit seq (rec) into the ops that the
// undo or redo record applies. It runs on the room's goroutine; the ops it
// returns are plain cells, so every replica applies them alike.
func (r *room) toggle(seq uint64, rec *store.Record) ([]model.Op, error) {
	floor := uint64(1)
	if r.seq > toggleSpan {
		floor = r.seq - toggleSpan
	}
	ops, err := r.canvas.Toggle(r.seq, seq, floor, r.logEntry)
	if !errors.Is(err, model.ErrHistoryTooLong) {
		return ops, err
	}
	eff, err := model.DecodeEffect(rec.Effect)
	if err != nil {
		return nil, err
	}
	return r.canvas.Revert(eff), nil
}

// logEntry gives model.Canvas.Toggle one commit of the room's log.
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
