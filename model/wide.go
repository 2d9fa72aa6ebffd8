package model

// Wide cells. A wide rune at (x, y) is stored as the rune's cell at x and a
// continuation cell at x+1. Every write goes through put, which keeps the
// pair whole, so that whatever ops, rects, texts and undos do, no canvas
// holds half a character:
//
//   - writing over a continuation clears the wide cell to its left;
//   - writing over a wide cell clears its continuation;
//   - writing a wide cell also writes its continuation, clearing whatever
//     wide cell the continuation lands on the left half of.
//
// Every cell cleared this way is recorded in the commit's effect like any
// other, so undo restores it.

// put writes cell at (x, y) with the rules above and returns the previous
// value of (x, y). A wide cell at the last int32 column has nowhere to put
// its continuation and is dropped; validation keeps ops far from there.
func (a *applier) put(x, y int32, cell Cell) Cell {
	old := a.cur.get(x, y)
	wide := cell.IsWide()
	if old.Ch == Continuation {
		a.write(x-1, y, Cell{}) // the wide cell whose right half this was
	} else if old.Ch != 0 && !wide && old.IsWide() {
		a.write(x+1, y, Cell{}) // overwritten below when cell is wide
	}
	if !wide {
		a.write(x, y, cell)
		return old
	}
	if x == 1<<31-1 {
		a.write(x, y, Cell{})
		return old
	}
	a.write(x, y, cell)
	if next := a.cur.get(x+1, y); next.Ch != Continuation && next.IsWide() {
		a.write(x+2, y, Cell{})
	}
	a.write(x+1, y, cell.continuation())
	return old
}

// mayTouchTwice reports whether applying the lone op o to c could write a
// cell more than once: only through the wide-cell rules, so only when o
// writes a wide rune or c already holds one.
func (c *Canvas) mayTouchTwice(o *Op) bool {
	if c.conts > 0 {
		return true
	}
	switch o.Kind {
	case OpRect:
		return isWideRune(o.Ch)
	case OpText:
		for _, r := range o.Text {
			if isWideRune(r) {
				return true
			}
		}
	}
	return false
}

// advance returns how far a text op's pen moves after writing r.
func advance(r rune) int32 {
	if isWideRune(r) {
		return 2
	}
	return 1
}

// revertGuard answers, for Revert, whether restoring a change would cut a
// wide pair that someone else has since written: a continuation counts as
// still showing what the commit wrote only if its wide cell does too, and a
// wide cell may be restored only if its continuation's cell still shows
// what the commit left there. It is nil (and allows everything) for effects
// without wide cells, which need no lookups.
type revertGuard map[Point]int

func newRevertGuard(e Effect) revertGuard {
	for _, ch := range e {
		if ch.Before.Ch == Continuation || ch.After.Ch == Continuation {
			g := make(revertGuard, len(e))
			for j, c := range e {
				g[Point{c.X, c.Y}] = j
			}
			return g
		}
	}
	return nil
}

// shows reports whether (x, y) still holds what e wrote there; a cell e did
// not change counts as showing it.
func (g revertGuard) shows(cur *cursor, e Effect, x, y int32) bool {
	j, ok := g[Point{x, y}]
	return !ok || cur.get(x, y) == e[j].After
}

func (g revertGuard) allows(cur *cursor, e Effect, ch Change) bool {
	if g == nil {
		return true
	}
	if ch.After.Ch == Continuation {
		if _, ok := g[Point{ch.X - 1, ch.Y}]; !ok || !g.shows(cur, e, ch.X-1, ch.Y) {
			return false
		}
	}
	if ch.Before.IsWide() && !g.shows(cur, e, ch.X+1, ch.Y) {
		return false
	}
	return true
}
