package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// ReplayOptions configures Replay.
type ReplayOptions struct {
	Art Art         // what to draw (ParseArt)
	At  model.Point // where its top-left corner goes
	// Speed is in cells per second. Zero or less draws everything at once,
	// in as few commits as the commit limit allows.
	Speed float64
}

// minReplayTick bounds how often Replay commits: a person watching sees
// the cursor move smoothly at 30 steps a second, and 30 commits a second
// stays well inside the authority's per-connection commit rate.
const minReplayTick = time.Second / 30

// Replay draws opts.Art at opts.At, row by row, with its cursor following
// the pen, and returns once every cell is acknowledged (or ctx ends).
func Replay(ctx context.Context, cfg Config, opts ReplayOptions, out IO) error {
	a := opts.Art
	far := model.Point{X: opts.At.X + a.W, Y: opts.At.Y + a.H}
	lim := model.DefaultLimits.MaxCoord
	if !inCoord(opts.At, lim) || !inCoord(far, lim) {
		return fmt.Errorf("%w: a %dx%d picture at %d,%d leaves the canvas (coordinates are within ±%d)",
			ErrUsage, a.W, a.H, opts.At.X, opts.At.Y, lim)
	}
	return runDrawing(ctx, cfg, out, "replay", func(ctx context.Context, s *session.Session) error {
		err := replay(ctx, s, opts)
		if err == nil {
			fmt.Fprintf(out.withDefaults().Err, "replay: %d cells drawn at %d,%d; waiting for the last acknowledgement\n",
				len(a.Cells), opts.At.X, opts.At.Y)
		}
		return err
	})
}

func inCoord(p model.Point, lim int32) bool {
	return p.X >= -lim && p.X <= lim && p.Y >= -lim && p.Y <= lim
}

func replay(ctx context.Context, s *session.Session, opts ReplayOptions) error {
	cells := make([]model.CellAt, len(opts.Art.Cells))
	for i, c := range opts.Art.Cells {
		cells[i] = model.CellAt{X: c.X + opts.At.X, Y: c.Y + opts.At.Y, Cell: c.Cell}
	}
	if len(cells) == 0 {
		return nil
	}
	cursorAt := func(c model.CellAt) {
		s.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: c.X, Y: c.Y}})
	}
	if opts.Speed <= 0 {
		cursorAt(cells[len(cells)-1])
		return commitCells(s, cells)
	}
	tick := max(time.Duration(float64(time.Second)/opts.Speed), minReplayTick)
	tick = min(tick, time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	drawn := 0
	for drawn < len(cells) {
		// How many cells are due is computed from the start, not counted
		// per tick, so a late tick does not slow the whole drawing down.
		due := min(len(cells), int(opts.Speed*time.Since(start).Seconds())+1)
		if due > drawn {
			if err := commitCells(s, cells[drawn:due]); err != nil {
				return err
			}
			cursorAt(cells[due-1])
			drawn = due
		}
		if drawn == len(cells) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
