package model

// Change records what one commit did to one cell.
type Change struct {
	X, Y          int32
	Before, After Cell
}

// Effect is what a commit did: one Change per distinct cell it touched, in
// order of first touch, with Before the value before the commit and After
// the value after it. Cells the commit left as they were (including cells
// written and then restored within the commit) are omitted, so an Effect is
// exactly the information undo needs.
type Effect []Change

// Apply applies a commit and returns its effect. It assumes ops passed
// ValidateOps; it neither checks nor fails. Ops are applied in order and
// cells within an op in order, so the result is deterministic.
func (c *Canvas) Apply(ops []Op) Effect {
	// A lone rect or text op cannot touch a cell twice (text lines are on
	// distinct rows); only then can the dedupe bookkeeping be skipped.
	a := applier{cur: cursor{c: c}, dedupe: len(ops) > 1 || len(ops) == 1 && (ops[0].Kind == OpSet || c.mayTouchTwice(&ops[0]))}
	for i := range ops {
		o := &ops[i]
		switch o.Kind {
		case OpSet:
			a.grow(len(o.Cells))
			for _, ca := range o.Cells {
				cell := ca.Cell
				if o.Merge && cell.Ch != 0 {
					if old := a.cur.get(ca.X, ca.Y); IsBox(old.Ch) && IsBox(cell.Ch) {
						cell.Ch = MergeBox(old.Ch, cell.Ch)
					}
				}
				a.put(ca.X, ca.Y, cell)
			}
		case OpRect:
			cell := Cell{o.Ch, o.FG, o.BG, o.Attr}
			a.grow(int(Rect{o.X, o.Y, o.W, o.H}.Area()))
			step := advance(o.Ch) // a wide fill writes pairs; its width is even
			for y := range o.H {
				for x := int32(0); x < o.W; x += step {
					a.put(o.X+x, o.Y+y, cell)
				}
			}
		case OpText:
			x, y := o.X, o.Y
			for _, r := range o.Text {
				if r == '\n' {
					x, y = o.X, y+1
					continue
				}
				a.put(x, y, Cell{r, o.FG, o.BG, o.Attr})
				x += advance(r)
			}
		}
	}
	return a.effect()
}

// applier accumulates an Effect while writing.
//
// Deduplicating touched cells is the hot part of applying a large commit.
// A bitmap per touched tile answers "touched before?" with no hashing for
// the usual case, writes close together; the exact index of a cell is only
// needed when a cell is written twice, so that map is built on the first
// repeat.
type applier struct {
	cur     cursor
	changes Effect
	dedupe  bool

	marks map[tileKey]*[tileCells / 64]uint64
	mk    tileKey
	mb    *[tileCells / 64]uint64 // marks[mk], cached
	seen  map[Point]int32         // cell -> index in changes, once a cell repeats
}

// grow reserves room for n more changes. The hint is capped so that an
// unvalidated giant rectangle cannot turn into one giant allocation.
func (a *applier) grow(n int) {
	n = min(n, DefaultLimits.MaxCells)
	if cap(a.changes)-len(a.changes) < n {
		a.changes = append(make(Effect, 0, len(a.changes)+n), a.changes...)
	}
}

func (a *applier) write(x, y int32, cell Cell) {
	if cell.Ch == 0 {
		cell = Cell{}
	}
	old := a.cur.set(x, y, cell)
	if !a.dedupe {
		a.changes = append(a.changes, Change{x, y, old, cell})
		return
	}
	k, i := locate(x, y)
	if a.mb == nil || a.mk != k {
		if a.marks == nil {
			a.marks = make(map[tileKey]*[tileCells / 64]uint64)
		}
		a.mk, a.mb = k, a.marks[k]
		if a.mb == nil {
			a.mb = new([tileCells / 64]uint64)
			a.marks[k] = a.mb
		}
	}
	w, bit := &a.mb[i>>6], uint64(1)<<(i&63)
	if *w&bit == 0 {
		*w |= bit
		if a.seen != nil {
			a.seen[Point{x, y}] = int32(len(a.changes))
		}
		a.changes = append(a.changes, Change{x, y, old, cell})
		return
	}
	if a.seen == nil {
		a.seen = make(map[Point]int32, len(a.changes))
		for j, ch := range a.changes {
			a.seen[Point{ch.X, ch.Y}] = int32(j)
		}
	}
	a.changes[a.seen[Point{x, y}]].After = cell
}

// effect drops the cells that ended where they began.
func (a *applier) effect() Effect {
	e := a.changes[:0]
	for _, ch := range a.changes {
		if ch.Before != ch.After {
			e = append(e, ch)
		}
	}
	if len(e) == 0 {
		return nil
	}
	return e
}

// Inverse returns a commit that undoes e when applied right after it. It is
// the unconditional undo, for rolling back one's own optimistic commit;
// undo against a canvas others may have changed since is Revert.
func (e Effect) Inverse() []Op {
	if len(e) == 0 {
		return nil
	}
	cells := make([]CellAt, 0, len(e))
	for _, ch := range e {
		if ch.Before.Ch != Continuation { // its wide cell brings it back
			cells = append(cells, CellAt{ch.X, ch.Y, ch.Before})
		}
	}
	return []Op{{Kind: OpSet, Cells: cells}}
}

// Revert returns a commit that undoes e only where the canvas still shows
// what e wrote: a cell someone has since overwritten keeps their work. It
// returns nil if there is nothing left to undo. The ops are not applied, so
// the authority can validate, sequence and broadcast them like any commit.
func (c *Canvas) Revert(e Effect) []Op {
	var cells []CellAt
	cur := cursor{c: c}
	g := newRevertGuard(e)
	for _, ch := range e {
		if cur.get(ch.X, ch.Y) == ch.After && g.allows(&cur, e, ch) && ch.Before.Ch != Continuation {
			cells = append(cells, CellAt{ch.X, ch.Y, ch.Before})
		}
	}
	if cells == nil {
		return nil
	}
	return []Op{{Kind: OpSet, Cells: cells}}
}
