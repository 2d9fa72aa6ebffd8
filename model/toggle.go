package model

import (
	"errors"
	"fmt"
)

// Undo and redo by replay.
//
// Reverting a commit cell by cell (Revert) cannot undo a box line that a
// later stroke merged with: the cell shows the junction, not what the
// commit wrote, so the junction stays, with arms of a line that is gone.
// Toggle instead recomputes every cell the commit's draw touched as if the
// room's log had been drawn without it (or, for a redo, with it again):
// the draws still in effect, in order, each applied as Apply applies it.
// So a merged junction loses exactly the arms the undone draw gave it, a
// line drawn twice survives the undo of either copy, and an undo never
// resurrects another undone draw.
//
// Toggle does not replay the whole log. If the canvas has only ever been
// changed by draws and by Toggle, then the canvas before commit S is what
// the draws then in effect gave; replaying from S is exact as long as no
// commit from S on changed whether an earlier draw is in effect. Toggle
// walks the log back from the newest commit and moves S back past every
// such commit's target.

// LogEntry is one commit of a room's log, as Toggle needs it.
type LogEntry struct {
	// Target is the commit an undo or redo reverts; 0 for a draw.
	Target uint64
	// Ops are a draw's ops as committed (what it asked for, merges
	// unresolved). Undo and redo entries need none.
	Ops []Op
	// Effect is what the commit changed.
	Effect Effect
}

// ErrHistoryTooLong means a toggle would have to replay the log further
// back than the caller allows.
var ErrHistoryTooLong = errors.New("the log to replay reaches past the limit")

// Toggle returns the ops of a new commit that reverts commit target: an
// undo of a draw (or of a redo), or a redo of an undo. c is the canvas
// after commit now; log returns commit seq for any seq from 1 to now. The
// log is read back from now no further than floor (else
// ErrHistoryTooLong), plus the draw at the root of target's undo chain.
// The ops are a single plain set of the cells that change, or nil when
// none does; applying them is deterministic, so replicas that apply the
// commit need none of this.
func (c *Canvas) Toggle(now, target, floor uint64, log func(seq uint64) (LogEntry, error)) ([]Op, error) {
	if target == 0 || target > now {
		return nil, fmt.Errorf("toggle: no commit %d (the log ends at %d)", target, now)
	}
	// Walk back from now, working out which commits are in effect once the
	// new one reverts target. Targets are always older than the commits
	// that revert them, so a commit's fate is known when the walk reaches it.
	start := target
	reverted := map[uint64]bool{target: true}
	window := make([]LogEntry, 0, now-target+1) // window[i] is commit now-i
	var active []bool                           // draws in effect, as window
	for seq := now; seq >= start; seq-- {
		if seq < floor {
			return nil, fmt.Errorf("%w: commit %d, limit %d", ErrHistoryTooLong, seq, floor)
		}
		e, err := log(seq)
		if err != nil {
			return nil, fmt.Errorf("toggle: commit %d: %w", seq, err)
		}
		inEffect := !reverted[seq]
		if e.Target != 0 && inEffect {
			if e.Target >= seq {
				return nil, fmt.Errorf("toggle: commit %d reverts a later commit %d", seq, e.Target)
			}
			reverted[e.Target] = true
			// It changed an earlier commit's fate: the replay must start
			// before that commit.
			start = min(start, e.Target)
		}
		window = append(window, e)
		active = append(active, e.Target == 0 && inEffect)
	}

	// The draw whose fate changes, and so the cells that may change.
	root, seq := window[now-target], target
	for root.Target != 0 {
		seq = root.Target
		if seq >= start {
			root = window[now-seq]
			continue
		}
		e, err := log(seq)
		if err != nil {
			return nil, fmt.Errorf("toggle: commit %d: %w", seq, err)
		}
		root = e
	}
	cells := touched(root.Ops)
	if len(cells) == 0 {
		return nil, nil
	}

	// Each cell as it was before commit start: its Before in the first
	// commit since then that changed it, else as it is now.
	want := make(map[Point]bool, len(cells))
	bounds := Rect{cells[0].X, cells[0].Y, 1, 1}
	for _, p := range cells {
		want[p] = true
		bounds = bounds.Union(Rect{p.X, p.Y, 1, 1})
	}
	base := make(map[Point]Cell, len(cells))
	for i := len(window) - 1; i >= 0; i-- {
		for _, ch := range window[i].Effect {
			if !bounds.Contains(ch.X, ch.Y) {
				continue // the cheap test first: most changes are elsewhere
			}
			p := Point{ch.X, ch.Y}
			if _, seen := base[p]; want[p] && !seen {
				base[p] = ch.Before
			}
		}
	}
	scratch := NewCanvas()
	init := make([]CellAt, len(cells))
	for i, p := range cells {
		b, ok := base[p]
		if !ok {
			b = c.Get(p.X, p.Y)
		}
		init[i] = CellAt{p.X, p.Y, b}
	}
	scratch.Apply([]Op{{Kind: OpSet, Cells: init}})
	// Replay, oldest first, the draws in effect. Only the cells of the
	// root are read back; whatever the draws write elsewhere is scratch,
	// so what lies wholly outside the root's bounds is skipped (with a
	// margin of two columns, so a write is never judged by its first cell
	// alone).
	bounds.X, bounds.W = bounds.X-2, bounds.W+4
	for i := len(window) - 1; i >= 0; i-- {
		if active[i] {
			if ops := within(window[i].Ops, bounds); len(ops) > 0 {
				scratch.Apply(ops)
			}
		}
	}
	var out []CellAt
	for _, p := range cells {
		if v := scratch.Get(p.X, p.Y); v != c.Get(p.X, p.Y) {
			out = append(out, CellAt{p.X, p.Y, v})
		}
	}
	if out == nil {
		return nil, nil
	}
	return []Op{{Kind: OpSet, Cells: out}}, nil
}

// touched lists the cells ops write, erasures included, in order of first
// touch. It asks Apply rather than repeating its geometry: the same ops
// with every erasure turned into a mark change every cell they write on
// an empty canvas.
func touched(ops []Op) []Point {
	marked := make([]Op, len(ops))
	for i, o := range ops {
		switch {
		case o.Kind == OpSet:
			cs := make([]CellAt, len(o.Cells))
			for j, ca := range o.Cells {
				cs[j] = CellAt{ca.X, ca.Y, Cell{Ch: '#'}}
			}
			o.Cells, o.Merge = cs, false
		case o.Kind == OpRect && o.Ch == 0:
			o.Ch = '#'
		}
		marked[i] = o
	}
	eff := NewCanvas().Apply(marked)
	ps := make([]Point, len(eff))
	for i, ch := range eff {
		ps[i] = Point{ch.X, ch.Y}
	}
	return ps
}

// within returns the ops that may write inside r: set and rect ops cut
// down to their part in r, text ops whole unless they lie wholly outside.
func within(ops []Op, r Rect) []Op {
	var out []Op
	for _, o := range ops {
		switch o.Kind {
		case OpSet:
			var cs []CellAt
			for _, ca := range o.Cells {
				if r.Contains(ca.X, ca.Y) {
					cs = append(cs, ca)
				}
			}
			if cs == nil {
				continue
			}
			o.Cells = cs
		case OpRect:
			// One cell everywhere: the part inside r is the whole story.
			in := r.Intersect(Rect{o.X, o.Y, o.W, o.H})
			if in.Empty() {
				continue
			}
			o.X, o.Y, o.W, o.H = in.X, in.Y, in.W, in.H
		case OpText:
			// Lines and runes bound the text's extent, whatever the width
			// of each rune (two columns at most).
			lines, longest, n := int64(1), int64(0), int64(0)
			for _, c := range o.Text {
				if c == '\n' {
					lines, n = lines+1, 0
					continue
				}
				n++
				longest = max(longest, n)
			}
			ext := Rect{o.X, o.Y, int32(min(2*longest, 1<<30)), int32(min(lines, 1<<30))}
			if ext.Empty() || r.Intersect(ext).Empty() {
				continue
			}
		}
		out = append(out, o)
	}
	return out
}
