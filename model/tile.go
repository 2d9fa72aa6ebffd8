package model

// A tile holds a 32×16 block of cells, the unit in which the canvas
// allocates. 32×16 is roughly square on screen (cells are about twice as
// tall as wide) and a 200×50 viewport touches only 8×5 tiles.
//
// A tile starts sparse, as a short sorted list, and becomes a dense array
// once it holds more than sparseMax cells. Dense storage makes reads and row
// copies trivial, but costs 8 KiB even for one cell; a commit that scatters
// cells one per tile would otherwise cost 8 KiB of memory per cell written
// (the hysteresis between sparseMax and sparseMin stops a tile that hovers
// around the threshold from converting on every write).
const (
	tileShiftX = 5
	tileShiftY = 4
	tileW      = 1 << tileShiftX
	tileH      = 1 << tileShiftY
	tileCells  = tileW * tileH

	sparseMax = 32 // a sparse tile with more cells than this becomes dense
	sparseMin = 8  // a dense tile with this many cells or fewer becomes sparse
)

// tileKey names a tile by its position in tile units. Arithmetic shifts
// floor towards minus infinity, so negative coordinates tile seamlessly.
type tileKey struct{ tx, ty int32 }

// locate returns the tile holding (x, y) and the cell's row-major index in it.
func locate(x, y int32) (tileKey, int) {
	return tileKey{x >> tileShiftX, y >> tileShiftY}, int(y&(tileH-1))<<tileShiftX | int(x&(tileW-1))
}

// origin returns the coordinates of the tile's top-left cell, as int64 so
// that the far edge of the last tile can be computed without overflow.
func (k tileKey) origin() (int64, int64) {
	return int64(k.tx) << tileShiftX, int64(k.ty) << tileShiftY
}

type sparseCell struct {
	i uint16
	c Cell
}

type tile struct {
	n      int              // drawn cells
	dense  *[tileCells]Cell // non-nil: the tile is dense and sparse is unused
	sparse []sparseCell     // sorted by i; only drawn cells
}

// find returns the position of index i in the sparse list, or where it
// would be inserted.
func (t *tile) find(i int) (int, bool) {
	lo, hi := 0, len(t.sparse)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(t.sparse[m].i) < i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(t.sparse) && int(t.sparse[lo].i) == i
}

func (t *tile) get(i int) Cell {
	if t.dense != nil {
		return t.dense[i]
	}
	if p, ok := t.find(i); ok {
		return t.sparse[p].c
	}
	return Cell{}
}

// set stores c (already normalised: empty cells are the zero Cell) at index
// i, keeps n current and returns the previous cell.
func (t *tile) set(i int, c Cell) Cell {
	if t.dense != nil {
		old := t.dense[i]
		t.dense[i] = c
		t.n += countDelta(old, c)
		if t.n <= sparseMin && t.n > 0 { // an empty tile is about to be freed
			t.toSparse()
		}
		return old
	}
	p, ok := t.find(i)
	switch {
	case ok && c.Ch == 0:
		old := t.sparse[p].c
		t.sparse = append(t.sparse[:p], t.sparse[p+1:]...)
		t.n--
		return old
	case ok:
		old := t.sparse[p].c
		t.sparse[p].c = c
		return old
	case c.Ch == 0:
		return Cell{}
	}
	t.sparse = append(t.sparse, sparseCell{})
	copy(t.sparse[p+1:], t.sparse[p:])
	t.sparse[p] = sparseCell{uint16(i), c}
	t.n++
	if t.n > sparseMax {
		t.toDense()
	}
	return Cell{}
}

func countDelta(old, new Cell) int {
	d := 0
	if old.Ch != 0 {
		d--
	}
	if new.Ch != 0 {
		d++
	}
	return d
}

func (t *tile) toDense() {
	d := new([tileCells]Cell)
	for _, e := range t.sparse {
		d[e.i] = e.c
	}
	t.dense, t.sparse = d, nil
}

func (t *tile) toSparse() {
	s := make([]sparseCell, 0, sparseMax+1)
	for i, c := range t.dense {
		if c.Ch != 0 {
			s = append(s, sparseCell{uint16(i), c})
		}
	}
	t.dense, t.sparse = nil, s
}

// eachInRow calls fn for the drawn cells of local row ly in order of x.
func (t *tile) eachInRow(ly int, fn func(lx int, c Cell) bool) bool {
	if t.dense != nil {
		row := t.dense[ly*tileW : (ly+1)*tileW]
		for lx, c := range row {
			if c.Ch != 0 && !fn(lx, c) {
				return false
			}
		}
		return true
	}
	p, _ := t.find(ly * tileW)
	for _, e := range t.sparse[p:] {
		if int(e.i)>>tileShiftX != ly {
			break
		}
		if !fn(int(e.i)&(tileW-1), e.c) {
			return false
		}
	}
	return true
}

// copyTo copies local columns [lx0, lx1) of rows [ly0, ly1) into dst, row
// by row with the given stride. dst must already be cleared, because sparse
// tiles write only their drawn cells.
func (t *tile) copyTo(lx0, ly0, lx1, ly1 int, dst []Cell, stride int) {
	if t.dense != nil {
		for ly := ly0; ly < ly1; ly++ {
			copy(dst[(ly-ly0)*stride:], t.dense[ly*tileW+lx0:ly*tileW+lx1])
		}
		return
	}
	p, _ := t.find(ly0 * tileW)
	for _, e := range t.sparse[p:] {
		lx, ly := int(e.i)&(tileW-1), int(e.i)>>tileShiftX
		if ly >= ly1 {
			break
		}
		if lx >= lx0 && lx < lx1 {
			dst[(ly-ly0)*stride+lx-lx0] = e.c
		}
	}
}

// bounds returns the local bounding box [lx0, lx1)×[ly0, ly1) of the drawn
// cells of a non-empty tile.
func (t *tile) bounds() (lx0, ly0, lx1, ly1 int) {
	lx0, ly0 = tileW, tileH
	see := func(i int) {
		lx, ly := i&(tileW-1), i>>tileShiftX
		lx0, lx1 = min(lx0, lx), max(lx1, lx+1)
		ly0, ly1 = min(ly0, ly), max(ly1, ly+1)
	}
	if t.dense != nil {
		for i, c := range t.dense {
			if c.Ch != 0 {
				see(i)
			}
		}
	} else {
		for _, e := range t.sparse {
			see(int(e.i))
		}
	}
	return lx0, ly0, lx1, ly1
}

func (t *tile) clone() *tile {
	u := &tile{n: t.n}
	if t.dense != nil {
		d := *t.dense
		u.dense = &d
	} else {
		u.sparse = append(make([]sparseCell, 0, len(t.sparse)), t.sparse...)
	}
	return u
}

// equal compares content, not representation: the same cells can be held
// densely in one replica and sparsely in another, depending on history.
func (t *tile) equal(o *tile) bool {
	if t.n != o.n {
		return false
	}
	switch {
	case t.dense != nil && o.dense != nil:
		return *t.dense == *o.dense
	case t.dense == nil && o.dense == nil:
		for i := range t.sparse {
			if t.sparse[i] != o.sparse[i] {
				return false
			}
		}
		return true
	case t.dense != nil:
		t, o = o, t
	}
	// t is sparse, o is dense, and both hold n cells: equal iff every sparse
	// entry matches.
	for _, e := range t.sparse {
		if o.dense[e.i] != e.c {
			return false
		}
	}
	return true
}
