package model

import (
	"math"
	"testing"
)

func cellOf(r rune) Cell { return Cell{Ch: r} }

func TestCanvasGetSet(t *testing.T) {
	c := NewCanvas()
	if got := c.Get(5, 5); got != (Cell{}) {
		t.Fatalf("empty canvas Get = %v", got)
	}
	red := Cell{'x', RGB(255, 0, 0), 0, Bold}
	if old := c.Set(-1, -1, red); old != (Cell{}) {
		t.Errorf("old = %v", old)
	}
	if got := c.Get(-1, -1); got != red || c.Len() != 1 {
		t.Errorf("Get = %v, Len = %d", got, c.Len())
	}
	if old := c.Set(-1, -1, cellOf('y')); old != red || c.Len() != 1 {
		t.Errorf("overwrite: old = %v, Len = %d", old, c.Len())
	}
	// An erase with a stray style still erases, and frees the tile.
	if old := c.Set(-1, -1, Cell{FG: Indexed(3)}); old != cellOf('y') {
		t.Errorf("erase old = %v", old)
	}
	if c.Len() != 0 || len(c.tiles) != 0 {
		t.Errorf("after erase Len = %d, tiles = %d", c.Len(), len(c.tiles))
	}
	if old := c.Set(7, 7, Cell{}); old != (Cell{}) || len(c.tiles) != 0 {
		t.Error("erasing nothing created a tile")
	}
}

func TestZeroCanvasUsable(t *testing.T) {
	var c Canvas
	c.Set(1, 2, cellOf('a'))
	if c.Get(1, 2) != cellOf('a') || c.Len() != 1 {
		t.Fatal("zero Canvas did not store a cell")
	}
	var nilc *Canvas
	if !nilc.Equal(NewCanvas()) || nilc.Equal(&c) || nilc.Len() != 0 {
		t.Error("nil canvas comparisons")
	}
}

func TestCanvasExtremeCoordinates(t *testing.T) {
	c := NewCanvas()
	pts := []Point{{math.MinInt32, math.MinInt32}, {math.MaxInt32, math.MaxInt32}, {math.MinInt32, math.MaxInt32}, {-1, 0}, {0, -1}}
	for i, p := range pts {
		c.Set(p.X, p.Y, cellOf(rune('a'+i)))
	}
	for i, p := range pts {
		if got := c.Get(p.X, p.Y); got.Ch != rune('a'+i) {
			t.Errorf("Get(%v) = %q", p, got.Ch)
		}
	}
	b, ok := c.Bounds()
	if !ok || b.X != math.MinInt32 || b.Y != math.MinInt32 || b.W != math.MaxInt32 || b.H != math.MaxInt32 {
		t.Errorf("Bounds = %v (clamped size expected)", b)
	}
	got := c.Region(Rect{math.MaxInt32 - 1, math.MaxInt32 - 1, 5, 5}, nil)
	if len(got) != 25 || got[6] != cellOf('b') {
		t.Errorf("Region at the int32 edge = %v", got)
	}
}

// TestTileRepresentation drives one tile through sparse -> dense -> sparse
// and checks that content and equality do not depend on the representation.
func TestTileRepresentation(t *testing.T) {
	c := NewCanvas()
	ref := NewCanvas()
	for i := range tileCells {
		c.Set(int32(i%tileW), int32(i/tileW), cellOf(rune('A'+i%26)))
	}
	tl := c.tiles[tileKey{}]
	if tl.dense == nil || tl.n != tileCells {
		t.Fatalf("full tile not dense: n=%d", tl.n)
	}
	for i := range tileCells - 3 {
		c.Set(int32(i%tileW), int32(i/tileW), Cell{})
	}
	if tl.dense != nil || tl.n != 3 {
		t.Fatalf("nearly empty tile still dense: n=%d", tl.n)
	}
	for i := tileCells - 3; i < tileCells; i++ {
		ref.Set(int32(i%tileW), int32(i/tileW), cellOf(rune('A'+i%26)))
	}
	if !c.Equal(ref) || !ref.Equal(c) {
		t.Fatal("same content, different representation, not Equal")
	}
	// Dense vs sparse with equal counts but different content.
	d := NewCanvas()
	for i := range sparseMax + 5 {
		d.Set(int32(i%tileW), int32(i/tileW), cellOf('d'))
	}
	s := NewCanvas()
	for i := range sparseMax + 5 {
		s.Set(int32(i%tileW), int32(i/tileW)+1, cellOf('d'))
	}
	for i := range sparseMax + 5 - sparseMin {
		d.Set(int32(i%tileW), int32(i/tileW), Cell{})
		s.Set(int32(i%tileW), int32(i/tileW)+1, Cell{})
	}
	if d.Equal(s) {
		t.Error("different content reported Equal")
	}
}

func TestRegion(t *testing.T) {
	c := NewCanvas()
	// A diagonal and a frame straddling tile boundaries in all four quadrants.
	for i := int32(-40); i < 40; i++ {
		c.Set(i, i/2, cellOf('\\'))
		c.Set(i, -17, cellOf('-'))
		c.Set(-33, i, Cell{'|', Indexed(2), 0, 0})
	}
	for _, r := range []Rect{
		{-40, -20, 80, 40},
		{-33, -17, 1, 1},
		{-32, -16, 32, 16}, // exactly one tile
		{-1, -1, 2, 2},
		{-35, -18, 3, 50},
		{31, 15, 2, 2},
		{100, 100, 3, 3},
	} {
		got := c.Region(r, nil)
		if int64(len(got)) != r.Area() {
			t.Fatalf("Region(%v) len %d", r, len(got))
		}
		for i, cell := range got {
			x, y := r.X+int32(i)%r.W, r.Y+int32(i)/r.W
			if want := c.Get(x, y); cell != want {
				t.Fatalf("Region(%v) at (%d,%d) = %v, want %v", r, x, y, cell, want)
			}
		}
	}
}

func TestRegionReusesAndClears(t *testing.T) {
	c := NewCanvas()
	c.Set(0, 0, cellOf('a'))
	dst := make([]Cell, 10, 100)
	for i := range dst {
		dst[i] = cellOf('!')
	}
	got := c.Region(Rect{0, 0, 3, 3}, dst)
	if &got[0] != &dst[0] {
		t.Error("Region did not reuse dst")
	}
	want := []Cell{cellOf('a'), {}, {}, {}, {}, {}, {}, {}, {}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("cell %d = %v", i, got[i])
		}
	}
	if got := c.Region(Rect{0, 0, 0, 3}, dst); len(got) != 0 {
		t.Error("empty rect returned cells")
	}
	// A huge mostly-empty region takes the visit-every-tile path.
	got = c.Region(Rect{-5000, -1, 10000, 2}, nil)
	if got[1*10000+5000] != cellOf('a') {
		t.Error("huge region lost the cell")
	}
}

func TestBounds(t *testing.T) {
	c := NewCanvas()
	if _, ok := c.Bounds(); ok {
		t.Error("empty canvas has bounds")
	}
	c.Set(3, 4, cellOf('a'))
	if b, _ := c.Bounds(); b != (Rect{3, 4, 1, 1}) {
		t.Errorf("Bounds = %v", b)
	}
	c.Set(-70, 10, cellOf('b'))
	c.Set(5, -33, cellOf('c'))
	c.Set(200, 99, cellOf('d'))
	c.Set(0, 0, cellOf('e')) // interior, on a non-border tile after the next set
	if b, _ := c.Bounds(); b != (Rect{-70, -33, 271, 133}) {
		t.Errorf("Bounds = %v", b)
	}
	c.Set(200, 99, Cell{})
	if b, _ := c.Bounds(); b != (Rect{-70, -33, 76, 44}) {
		t.Errorf("Bounds after erase = %v", b)
	}
}

func TestEachOrder(t *testing.T) {
	c := NewCanvas()
	pts := []Point{{40, 0}, {-1, 0}, {0, -1}, {3, 20}, {-100, 20}, {5, 0}, {31, 15}, {32, 15}}
	for _, p := range pts {
		c.Set(p.X, p.Y, cellOf('x'))
	}
	want := []Point{{0, -1}, {-1, 0}, {5, 0}, {40, 0}, {31, 15}, {32, 15}, {-100, 20}, {3, 20}}
	var got []Point
	c.Each(func(x, y int32, _ Cell) bool {
		got = append(got, Point{x, y})
		return true
	})
	if len(got) != len(want) {
		t.Fatalf("Each visited %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Each order %v, want %v", got, want)
		}
	}
	n := 0
	c.Each(func(int32, int32, Cell) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Each did not stop: %d", n)
	}
}

func TestCloneEqual(t *testing.T) {
	c := NewCanvas()
	for i := range int32(100) {
		c.Set(i, i%7, cellOf('o'))
	}
	d := c.Clone()
	if !c.Equal(d) {
		t.Fatal("clone not equal")
	}
	d.Set(0, 0, cellOf('z'))
	if c.Equal(d) || c.Get(0, 0) != cellOf('o') {
		t.Fatal("clone shares storage")
	}
	d.Set(0, 0, cellOf('o'))
	d.Set(500, 500, cellOf('o'))
	if c.Equal(d) {
		t.Fatal("different tile sets reported equal")
	}
}

// TestConcurrentReads backs the documented promise that readers may share a
// canvas: reads must not mutate (no caches on the Canvas itself). Run with
// -race.
func TestConcurrentReads(t *testing.T) {
	c := sampleCanvas()
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			var dst []Cell
			for range 20 {
				dst = c.Region(Rect{-40, -40, 200, 80}, dst)
				c.Get(3, 3)
				c.Bounds()
				c.Each(func(int32, int32, Cell) bool { return true })
				c.Runs()
				c.MarshalBinary()
				c.Revert(Effect{{0, 0, Cell{}, cellOf('x')}})
				RenderANSI(c, Rect{-5, -5, 40, 10})
			}
		}()
	}
	for range 4 {
		<-done
	}
}
