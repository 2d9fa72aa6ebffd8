package model

import (
	"cmp"
	"math"
	"slices"
)

// Canvas is an unbounded grid of cells over int32 coordinates. It is sparse:
// memory grows with the number of drawn cells, not with the area they span,
// and a region that is erased gives its memory back.
//
// The zero Canvas is empty and ready to use. A Canvas is not safe for
// concurrent mutation; concurrent reads (Get, Region, Each, …) are fine.
type Canvas struct {
	tiles map[tileKey]*tile
	n     int
	conts int // continuation cells, so that canvases without wide cells skip their bookkeeping
}

// NewCanvas returns an empty canvas.
func NewCanvas() *Canvas { return &Canvas{tiles: make(map[tileKey]*tile)} }

// Get returns the cell at (x, y); the zero Cell if nothing is drawn there.
func (c *Canvas) Get(x, y int32) Cell {
	k, i := locate(x, y)
	if t := c.tiles[k]; t != nil {
		return t.get(i)
	}
	return Cell{}
}

// Set stores cell at (x, y) and returns what was there. A cell with Ch == 0
// is stored as the zero Cell, whatever its style. Like every write it keeps
// wide cells whole (see wide.go): a wide cell brings its continuation, and
// writing over either half clears the other; cell itself must not be a
// Continuation. Set does not validate: validation belongs at the trust
// boundary (ValidateOps, the decoders), not on every write.
func (c *Canvas) Set(x, y int32, cell Cell) (old Cell) {
	a := applier{cur: cursor{c: c}}
	return a.put(x, y, cell)
}

// Len returns the number of drawn cells.
func (c *Canvas) Len() int {
	if c == nil {
		return 0
	}
	return c.n
}

// cursor remembers the last tile it touched. Writes in a commit are highly
// local (strokes, rectangles, lines of text), so this skips most map lookups
// without making reads on the Canvas itself mutate shared state.
type cursor struct {
	c     *Canvas
	k     tileKey
	t     *tile // tile at k, nil if there is none
	valid bool
}

func (cu *cursor) at(k tileKey) *tile {
	if !cu.valid || cu.k != k {
		cu.k, cu.t, cu.valid = k, cu.c.tiles[k], true
	}
	return cu.t
}

func (cu *cursor) get(x, y int32) Cell {
	k, i := locate(x, y)
	if t := cu.at(k); t != nil {
		return t.get(i)
	}
	return Cell{}
}

func (cu *cursor) set(x, y int32, cell Cell) Cell {
	if cell.Ch == 0 {
		cell = Cell{}
	}
	k, i := locate(x, y)
	t := cu.at(k)
	if t == nil {
		if cell.Ch == 0 {
			return Cell{}
		}
		if cu.c.tiles == nil {
			cu.c.tiles = make(map[tileKey]*tile)
		}
		t = &tile{}
		cu.c.tiles[k], cu.t = t, t
	}
	old := t.set(i, cell)
	cu.c.n += countDelta(old, cell)
	if old.Ch == Continuation {
		cu.c.conts--
	}
	if cell.Ch == Continuation {
		cu.c.conts++
	}
	if t.n == 0 {
		delete(cu.c.tiles, k)
		cu.t = nil
	}
	return old
}

// Bounds returns the smallest rectangle containing every drawn cell, and
// false if there are none. Only tiles on the outer tile rows and columns can
// hold an extreme cell, so only those are scanned.
func (c *Canvas) Bounds() (Rect, bool) {
	if c.n == 0 {
		return Rect{}, false
	}
	var lo, hi tileKey
	first := true
	for k := range c.tiles {
		if first {
			lo, hi, first = k, k, false
			continue
		}
		lo.tx, lo.ty = min(lo.tx, k.tx), min(lo.ty, k.ty)
		hi.tx, hi.ty = max(hi.tx, k.tx), max(hi.ty, k.ty)
	}
	x0, y0 := int64(math.MaxInt64), int64(math.MaxInt64)
	x1, y1 := int64(math.MinInt64), int64(math.MinInt64)
	for k, t := range c.tiles {
		if k.tx != lo.tx && k.tx != hi.tx && k.ty != lo.ty && k.ty != hi.ty {
			continue
		}
		ox, oy := k.origin()
		lx0, ly0, lx1, ly1 := t.bounds()
		x0, y0 = min(x0, ox+int64(lx0)), min(y0, oy+int64(ly0))
		x1, y1 = max(x1, ox+int64(lx1)), max(y1, oy+int64(ly1))
	}
	return Rect{int32(x0), int32(y0), clamp32(x1 - x0), clamp32(y1 - y0)}, true
}

// Region returns the W×H cells of r in row-major order, reusing dst's
// capacity. It walks the tiles that overlap r and copies row slices, so its
// cost is proportional to the area read, not to the number of cells. The
// caller bounds r: Region allocates r.Area() cells if dst is too small.
func (c *Canvas) Region(r Rect, dst []Cell) []Cell {
	area := r.Area()
	if area == 0 {
		return dst[:0]
	}
	if int64(cap(dst)) >= area {
		dst = dst[:area]
		clear(dst)
	} else {
		dst = make([]Cell, area)
	}
	if c.n == 0 {
		return dst
	}
	// Cells past MaxInt32 do not exist, so the far edge is clamped there.
	xEnd := min(int64(r.X)+int64(r.W), math.MaxInt32+1)
	yEnd := min(int64(r.Y)+int64(r.H), math.MaxInt32+1)
	lo := tileKey{r.X >> tileShiftX, r.Y >> tileShiftY}
	hi := tileKey{int32(xEnd-1) >> tileShiftX, int32(yEnd-1) >> tileShiftY}
	blit := func(k tileKey, t *tile) {
		ox, oy := k.origin()
		lx0, lx1 := max(int64(r.X), ox)-ox, min(xEnd, ox+tileW)-ox
		ly0, ly1 := max(int64(r.Y), oy)-oy, min(yEnd, oy+tileH)-oy
		off := (oy+ly0-int64(r.Y))*int64(r.W) + ox + lx0 - int64(r.X)
		t.copyTo(int(lx0), int(ly0), int(lx1), int(ly1), dst[off:], int(r.W))
	}
	span := (int64(hi.tx) - int64(lo.tx) + 1) * (int64(hi.ty) - int64(lo.ty) + 1)
	if span > int64(len(c.tiles)) {
		// A huge, mostly empty region: visiting the existing tiles is
		// cheaper than probing every tile position it covers.
		for k, t := range c.tiles {
			if k.tx >= lo.tx && k.tx <= hi.tx && k.ty >= lo.ty && k.ty <= hi.ty {
				blit(k, t)
			}
		}
		return dst
	}
	for ty := int64(lo.ty); ty <= int64(hi.ty); ty++ {
		for tx := int64(lo.tx); tx <= int64(hi.tx); tx++ {
			k := tileKey{int32(tx), int32(ty)}
			if t := c.tiles[k]; t != nil {
				blit(k, t)
			}
		}
	}
	return dst
}

// sortedKeys returns the tile keys in row-major tile order.
func (c *Canvas) sortedKeys() []tileKey {
	keys := make([]tileKey, 0, len(c.tiles))
	for k := range c.tiles {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b tileKey) int {
		if a.ty != b.ty {
			return cmp.Compare(a.ty, b.ty)
		}
		return cmp.Compare(a.tx, b.tx)
	})
	return keys
}

// Each calls fn for every drawn cell in order of y, then x, until fn returns
// false. The order is fixed so that anything derived from it (snapshots,
// runs, renderings) is identical on every replica; map order is not.
// fn must not modify the canvas.
func (c *Canvas) Each(fn func(x, y int32, cell Cell) bool) {
	keys := c.sortedKeys()
	for len(keys) > 0 {
		// One band of tiles sharing ty, walked a cell row at a time.
		n := 1
		for n < len(keys) && keys[n].ty == keys[0].ty {
			n++
		}
		band := keys[:n]
		keys = keys[n:]
		for ly := range tileH {
			y := band[0].ty<<tileShiftY | int32(ly)
			for _, k := range band {
				x0 := k.tx << tileShiftX
				if !c.tiles[k].eachInRow(ly, func(lx int, cell Cell) bool {
					return fn(x0|int32(lx), y, cell)
				}) {
					return
				}
			}
		}
	}
}

// Clone returns an independent copy of c.
func (c *Canvas) Clone() *Canvas {
	d := &Canvas{tiles: make(map[tileKey]*tile, len(c.tiles)), n: c.n, conts: c.conts}
	for k, t := range c.tiles {
		d.tiles[k] = t.clone()
	}
	return d
}

// Equal reports whether c and o hold the same cells.
func (c *Canvas) Equal(o *Canvas) bool {
	if c == nil || o == nil {
		return c.Len() == 0 && o.Len() == 0
	}
	if c.n != o.n || len(c.tiles) != len(o.tiles) {
		return false
	}
	for k, t := range c.tiles {
		ot := o.tiles[k]
		if ot == nil || !t.equal(ot) {
			return false
		}
	}
	return true
}
