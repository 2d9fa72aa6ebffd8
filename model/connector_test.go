package model

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// drawPicture writes a multi-line picture at (0, 0); spaces are empty.
func drawPicture(c *Canvas, pic string) {
	for y, line := range strings.Split(strings.Trim(pic, "\n"), "\n") {
		x := int32(0)
		for _, r := range line {
			if r != ' ' {
				c.Set(x, int32(y), Cell{Ch: r})
			}
			x++
		}
	}
}

func picture(c *Canvas, w, h int32) string {
	var lines []string
	for _, l := range strings.Split(RenderText(c, Rect{0, 0, w, h}), "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	return strings.Join(lines, "\n")
}

func TestPathGlyphs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corners []Point
		style   BoxStyle
		arrows  Arrows
		want    string
	}{
		{"straight", []Point{{0, 0}, {4, 0}}, BoxSingle, 0, "╶───╴"},
		{"arrow end", []Point{{0, 0}, {4, 0}}, BoxSingle, ArrowEnd, "╶───▶"},
		{"both", []Point{{0, 0}, {0, 2}}, BoxHeavy, ArrowBoth, "▲\n┃\n▼"},
		{"elbow", Route(Point{0, 0}, Point{3, 2}, true), BoxSingle, ArrowEnd, "╶──┐\n   │\n   ▼"},
		{"elbow column first", Route(Point{0, 0}, Point{3, 2}, false), BoxRounded, ArrowStart, "▲\n│\n╰──╴"},
		{"double", []Point{{0, 0}, {2, 0}}, BoxDouble, 0, "═══"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCanvas()
			PathGlyphs(tc.corners, tc.style, tc.arrows, 100, func(x, y int32, ch rune) { c.Set(x, y, Cell{Ch: ch}) })
			if got := picture(c, 5, 3); strings.TrimRight(got, "\n") != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestTrimArrows(t *testing.T) {
	c := NewCanvas()
	drawPicture(c, "     │")
	got := TrimArrows([]Point{{0, 0}, {5, 0}}, ArrowEnd, func(x, y int32) rune { return c.Get(x, y).Ch })
	if len(got) != 2 || got[1] != (Point{4, 0}) {
		t.Fatalf("an arrow onto a border stops before it: %v", got)
	}
	got = TrimArrows([]Point{{0, 0}, {4, 0}, {5, 0}}, ArrowEnd, func(x, y int32) rune { return c.Get(x, y).Ch })
	if len(got) != 2 || got[1] != (Point{4, 0}) {
		t.Fatalf("a one-cell last segment folds away: %v", got)
	}
}

const twoBoxes = `
┌──┐      ┌──┐
│A ├─────▶│B │
└──┘      └──┘
`

func TestFindBoxesAndConnectors(t *testing.T) {
	c := NewCanvas()
	drawPicture(c, twoBoxes)
	get := func(x, y int32) rune { return c.Get(x, y).Ch }
	boxes := FindBoxes(get, Rect{0, 0, 14, 3})
	if len(boxes) != 2 || boxes[0] != (Rect{0, 0, 4, 3}) || boxes[1] != (Rect{10, 0, 4, 3}) {
		t.Fatalf("boxes %v", boxes)
	}
	conns := Connectors(c.Get, boxes[0], boxes[0])
	if len(conns) != 1 {
		t.Fatalf("connectors of A: %+v", conns)
	}
	k := conns[0]
	if !k.Joined || k.Side != DirRight || k.Far != (Point{9, 1}) || k.FarJoined || k.Arrows != ArrowEnd || len(k.Path) != 6 {
		t.Fatalf("connector %+v", k)
	}
	// From B's side the arrowhead touches without joining.
	conns = Connectors(c.Get, boxes[1], boxes[1])
	if len(conns) != 1 || conns[0].Joined || conns[0].Arrows != ArrowStart || conns[0].Far != (Point{3, 1}) || !conns[0].FarJoined {
		t.Fatalf("connectors of B: %+v", conns)
	}
	// Both boxes selected: the line moves whole, it connects nothing outside.
	if conns := Connectors(c.Get, boxes[0], Rect{0, 0, 14, 3}); len(conns) != 0 {
		t.Fatalf("a line inside the selection is no connector: %+v", conns)
	}
}

func TestMoveOpsStretchesConnectors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		src    Rect
		dx, dy int32
		want   string
	}{
		{"move A down", Rect{0, 0, 4, 3}, 0, 3, `
          ┌──┐
      ┌──▶│B │
      │   └──┘
┌──┐  │
│A ├──┘
└──┘`},
		{"move B down", Rect{10, 0, 4, 3}, 0, 3, `
┌──┐
│A ├──┐
└──┘  │
      │   ┌──┐
      └──▶│B │
          └──┘`},
		{"move B along the row", Rect{10, 0, 4, 3}, 4, 0, `
┌──┐          ┌──┐
│A ├─────────▶│B │
└──┘          └──┘`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCanvas()
			drawPicture(c, twoBoxes)
			before := c.Clone()
			ops := MoveOps(c.Get, tc.src, tc.dx, tc.dy)
			if err := ValidateOps(ops, DefaultLimits); err != nil {
				t.Fatal(err)
			}
			e := c.Apply(ops)
			if got := picture(c, 20, 7); strings.TrimRight(got, "\n") != strings.Trim(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", got, strings.Trim(tc.want, "\n"))
			}
			c.Apply(c.Revert(e))
			if !c.Equal(before) {
				t.Fatalf("undo left\n%s", picture(c, 20, 7))
			}
		})
	}
}

// TestMoveWithConnectorsUndoProperty: for random boxes joined by random
// lines, moving a box by a random offset keeps every one of its
// connectors attached (the same far ends, found again at the new place),
// and undoing the move (the authority's Revert) restores the canvas
// exactly.
func TestMoveWithConnectorsUndoProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := NewCanvas()
		get := func(x, y int32) rune { return c.Get(x, y).Ch }
		box := func(r Rect, s BoxStyle) {
			x1, y1 := r.X+r.W-1, r.Y+r.H-1
			var cells []CellAt
			PathGlyphs([]Point{{r.X, r.Y}, {x1, r.Y}, {x1, y1}, {r.X, y1}, {r.X, r.Y}, {r.X + 1, r.Y}}, s, 0, 1000,
				func(x, y int32, ch rune) { cells = append(cells, CellAt{x, y, Cell{Ch: ch}}) })
			c.Apply([]Op{{Kind: OpSet, Cells: cells, Merge: true}})
		}
		style := BoxStyle(rapid.IntRange(0, 3).Draw(t, "style"))
		a := Rect{0, 0, rapid.Int32Range(3, 8).Draw(t, "aw"), rapid.Int32Range(3, 6).Draw(t, "ah")}
		b := Rect{rapid.Int32Range(a.W+6, 40).Draw(t, "bx"), rapid.Int32Range(-10, 10).Draw(t, "by"),
			rapid.Int32Range(3, 8).Draw(t, "bw"), rapid.Int32Range(3, 6).Draw(t, "bh")}
		box(a, style)
		box(b, style)
		// A line from A's right side to B's left side, with an elbow.
		from := Point{a.X + a.W - 1, a.Y + rapid.Int32Range(1, a.H-2).Draw(t, "fy")}
		to := Point{b.X, b.Y + rapid.Int32Range(1, b.H-2).Draw(t, "ty")}
		arrows := Arrows(rapid.IntRange(0, 3).Draw(t, "arrows"))
		corners := TrimArrows(reroute(from, DirRight, to, DirRight), arrows, get)
		var cells []CellAt
		PathGlyphs(corners, style, arrows, 1000, func(x, y int32, ch rune) { cells = append(cells, CellAt{x, y, Cell{Ch: ch}}) })
		c.Apply(JoinOps(cells, get))
		want := Connectors(c.Get, a, a)
		if len(want) != 1 {
			t.Skipf("the line does not connect as drawn: %d connectors", len(want)) // e.g. its elbow ran along a border
		}
		before := c.Clone()
		dx, dy := rapid.Int32Range(-3, 3).Draw(t, "dx"), rapid.Int32Range(-12, 12).Draw(t, "dy")
		if dx == 0 && dy == 0 {
			dy = 1
		}
		e := c.Apply(MoveOps(c.Get, a, dx, dy))
		moved := Rect{a.X + dx, a.Y + dy, a.W, a.H}
		got := Connectors(c.Get, moved, moved)
		if len(got) != 1 || got[0].Far != want[0].Far || got[0].Arrows != want[0].Arrows {
			t.Fatalf("after moving by (%d,%d): connectors %+v, want far end %v arrows %v\n%s",
				dx, dy, got, want[0].Far, want[0].Arrows, RenderText(c, Rect{-5, -15, 60, 35}))
		}
		c.Apply(c.Revert(e))
		if !c.Equal(before) {
			t.Fatalf("undo did not restore the canvas:\n%s\nwant\n%s", RenderText(c, Rect{-5, -15, 60, 35}), RenderText(before, Rect{-5, -15, 60, 35}))
		}
	})
}

// BenchmarkMoveOps: moving a 40×12 selection holding a box with four
// connectors, as a drop (and each frame of a move's preview) computes it.
func BenchmarkMoveOps(b *testing.B) {
	c := NewCanvas()
	drawPicture(c, twoBoxes)
	box := func(r Rect) {
		var cells []CellAt
		x1, y1 := r.X+r.W-1, r.Y+r.H-1
		PathGlyphs([]Point{{r.X, r.Y}, {x1, r.Y}, {x1, y1}, {r.X, y1}, {r.X, r.Y}, {r.X + 1, r.Y}}, BoxSingle, 0, 1000,
			func(x, y int32, ch rune) { cells = append(cells, CellAt{x, y, Cell{Ch: ch}}) })
		c.Apply([]Op{{Kind: OpSet, Cells: cells, Merge: true}})
	}
	get := func(x, y int32) rune { return c.Get(x, y).Ch }
	box(Rect{100, 100, 40, 12})
	for i, far := range []Point{{200, 90}, {200, 130}, {60, 80}, {60, 140}} {
		from := Point{139, int32(102 + 2*i)}
		if i >= 2 {
			from = Point{100, int32(102 + 2*i)}
		}
		var cells []CellAt
		PathGlyphs(TrimArrows(Route(from, far, true), ArrowEnd, get), BoxSingle, ArrowEnd, 1000,
			func(x, y int32, ch rune) { cells = append(cells, CellAt{x, y, Cell{Ch: ch}}) })
		c.Apply(JoinOps(cells, get))
	}
	if n := len(Connectors(c.Get, Rect{100, 100, 40, 12}, Rect{100, 100, 40, 12})); n != 4 {
		b.Fatalf("%d connectors", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		MoveOps(c.Get, Rect{100, 100, 40, 12}, 3, 5)
	}
}
