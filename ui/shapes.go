package ui

import (
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// maxCells bounds what one commit, and so one stroke, may touch.
var maxCells = model.DefaultLimits.MaxCells

// shapeKind is the geometry of a stroke or ghost.
type shapeKind uint8

const (
	shapeNone     shapeKind = iota
	shapeFree               // the cells visited (pen, eraser)
	shapeLine               // a straight line from a to b
	shapeRect               // a rectangle outline with corners a and b
	shapeRectFill           // a filled rectangle
	shapeBox                // a box of box-drawing glyphs
	shapePath               // a box-drawing line through the corners pts, with arrowheads
	shapeText               // a peer's text being typed: text from a
)

// shape is a stroke's geometry and brush: the same description draws our
// preview, our commit and a peer's ghost, so what you see while dragging is
// what is committed.
type shape struct {
	kind   shapeKind
	a, b   model.Point
	pts    []model.Point // shapeFree: the cells; shapePath: the corners
	ch     rune          // brush; 0 erases (shapeFree only)
	style  model.BoxStyle
	arrows model.Arrows // shapePath
	text   string       // shapeText
}

// boxy reports a shape drawn in box glyphs, which join what they cross.
func (s *shape) boxy() bool { return s.kind == shapeBox || s.kind == shapePath }

// spanRect is the rectangle with corners a and b, both included.
func spanRect(a, b model.Point) model.Rect {
	x0, x1 := min(a.X, b.X), max(a.X, b.X)
	y0, y1 := min(a.Y, b.Y), max(a.Y, b.Y)
	return model.Rect{X: x0, Y: y0, W: x1 - x0 + 1, H: y1 - y0 + 1}
}

// linePoints calls fn for each cell of the line from a to b (Bresenham),
// at most limit cells: a line across the canvas's whole range would not
// fit in a commit anyway, and must not hang the frame that previews it.
func linePoints(a, b model.Point, limit int, fn func(x, y int32)) {
	x0, y0, x1, y1 := int64(a.X), int64(a.Y), int64(b.X), int64(b.Y)
	dx, dy := abs64(x1-x0), -abs64(y1-y0)
	sx, sy := int64(1), int64(1)
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for n := 0; n < limit; n++ {
		fn(int32(x0), int32(y0))
		if x0 == x1 && y0 == y1 {
			return
		}
		// Both branches may run: a diagonal step, so lines are
		// 8-connected and read as thin in ASCII, not as staircases.
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// each calls fn for every cell of s inside clip (nil: everywhere) with the
// rune to draw there. For boxes the rune is the plain glyph; junctions with
// what is already drawn are resolved by the caller (preview) or the
// authority (commit, with Merge).
func (s *shape) each(clip *model.Rect, fn func(x, y int32, ch rune)) {
	in := func(x, y int32) bool { return clip == nil || clip.Contains(x, y) }
	switch s.kind {
	case shapeFree:
		for _, p := range s.pts {
			if in(p.X, p.Y) {
				fn(p.X, p.Y, s.ch)
			}
		}
	case shapeLine:
		linePoints(s.a, s.b, maxCells+1, func(x, y int32) {
			if in(x, y) {
				fn(x, y, s.ch)
			}
		})
	case shapePath:
		model.PathGlyphs(s.pts, s.style, s.arrows, maxCells+1, func(x, y int32, ch rune) {
			if in(x, y) {
				fn(x, y, ch)
			}
		})
	case shapeText:
		x, y := s.a.X, s.a.Y
		for _, r := range s.text {
			if r == '\n' {
				x, y = s.a.X, y+1
				continue
			}
			if in(x, y) {
				fn(x, y, r)
			}
			x++
		}
	case shapeRect, shapeRectFill, shapeBox:
		r := spanRect(s.a, s.b)
		vis := r
		if clip != nil {
			vis = r.Intersect(*clip)
		}
		if vis.Empty() {
			return
		}
		x0, y0 := r.X, r.Y
		x1, y1 := r.X+r.W-1, r.Y+r.H-1
		for y := vis.Y; y < vis.Y+vis.H; y++ {
			edgeRow := y == y0 || y == y1
			for x := vis.X; x < vis.X+vis.W; x++ {
				edgeCol := x == x0 || x == x1
				if s.kind != shapeRectFill && !edgeRow && !edgeCol {
					// Jump over the inside of the outline.
					if x < x1 {
						x = x1 - 1
					}
					continue
				}
				ch := s.ch
				if s.kind == shapeBox {
					up, right := edgeCol && y > y0, edgeRow && x < x1
					down, left := edgeCol && y < y1, edgeRow && x > x0
					ch = model.HalfGlyph(s.style, up, right, down, left)
					if ch == 0 {
						ch = model.BoxGlyph(s.style, up, right, down, left)
					}
					if ch == 0 {
						continue // a one-cell box has no arms to draw
					}
				}
				fn(x, y, ch)
			}
		}
	}
}

// fullOf is the whole line a half line is part of.
func fullOf(r rune) rune { return model.FullLine(r) }

// settle is what box glyph ch becomes over the glyph under it: the
// junction with a box line, or, for a line's end over anything else, the
// full line: a half line alone would look cut short.
func settle(ch, under rune) rune {
	if model.IsBox(under) {
		return model.MergeBox(under, ch)
	}
	return fullOf(ch)
}

// endGlyph is what a line's end makes with what is under it (model.EndGlyph).
func endGlyph(h rune, x, y int32, get func(x, y int32) rune) (rune, bool) {
	return model.EndGlyph(h, x, y, get)
}

// ops returns the operations that commit s in style fg/bg. under reads
// the canvas as we see it (boxes only): a line's end is sent as a half line
// where it meets a box line, so the authority merges it into a T; as the
// elbow it makes with another line's end (see endGlyph); elsewhere whole.
func (s *shape) ops(fg, bg model.Color, under func(x, y int32) rune) []model.Op {
	cell := func(ch rune) model.Cell {
		if ch == 0 {
			return model.Cell{} // an erased cell carries no style
		}
		return model.Cell{Ch: ch, FG: fg, BG: bg}
	}
	switch s.kind {
	case shapeRectFill:
		r := spanRect(s.a, s.b)
		return []model.Op{{Kind: model.OpRect, X: r.X, Y: r.Y, W: r.W, H: r.H, Ch: s.ch, FG: fg, BG: bg}}
	case shapeRect:
		// Four thin rectangles say the same as the perimeter's cells in a
		// fraction of the bytes.
		r := spanRect(s.a, s.b)
		if r.W <= 2 || r.H <= 2 {
			return []model.Op{{Kind: model.OpRect, X: r.X, Y: r.Y, W: r.W, H: r.H, Ch: s.ch, FG: fg, BG: bg}}
		}
		edge := func(x, y, w, h int32) model.Op {
			return model.Op{Kind: model.OpRect, X: x, Y: y, W: w, H: h, Ch: s.ch, FG: fg, BG: bg}
		}
		return []model.Op{
			edge(r.X, r.Y, r.W, 1), edge(r.X, r.Y+r.H-1, r.W, 1),
			edge(r.X, r.Y+1, 1, r.H-2), edge(r.X+r.W-1, r.Y+1, 1, r.H-2),
		}
	}
	var cells []model.CellAt
	s.each(nil, func(x, y int32, ch rune) {
		cells = append(cells, model.CellAt{X: x, Y: y, Cell: cell(ch)})
	})
	if s.boxy() {
		return model.JoinOps(cells, under)
	}
	if len(cells) == 0 {
		return nil
	}
	return []model.Op{{Kind: model.OpSet, Cells: cells}}
}

// ghost describes s for peers, or nil if s has no ghost form.
func (s *shape) ghost() *wire.Ghost {
	switch s.kind {
	case shapeLine:
		return &wire.Ghost{Kind: wire.GhostLine, Ch: s.ch, Points: []model.Point{s.a, s.b}}
	case shapeRect, shapeRectFill:
		return &wire.Ghost{Kind: wire.GhostRect, Ch: s.ch, Points: []model.Point{s.a, s.b}}
	case shapeBox:
		return &wire.Ghost{Kind: wire.GhostBox, Style: s.style, Points: []model.Point{s.a, s.b}}
	case shapePath:
		if len(s.pts) > wire.MaxGhostPoints {
			return nil // never: a path has at most two elbows
		}
		return &wire.Ghost{Kind: wire.GhostPath, Style: s.style, Arrows: uint8(s.arrows), Points: append([]model.Point(nil), s.pts...)}
	case shapeFree:
		pts := s.pts
		if len(pts) > wire.MaxGhostPoints {
			pts = pts[len(pts)-wire.MaxGhostPoints:]
		}
		return &wire.Ghost{Kind: wire.GhostFree, Ch: s.ch, Points: append([]model.Point(nil), pts...)}
	}
	return nil
}

// shapeOfGhost turns a peer's ghost into a shape to draw.
func shapeOfGhost(g *wire.Ghost) (shape, bool) {
	s := shape{ch: g.Ch, style: g.Style}
	switch g.Kind {
	case wire.GhostFree:
		s.kind, s.pts = shapeFree, g.Points
		return s, true
	case wire.GhostPath:
		s.kind, s.pts, s.arrows = shapePath, g.Points, model.Arrows(g.Arrows)
		return s, len(g.Points) >= 2
	case wire.GhostText:
		if len(g.Points) < 1 {
			return s, false
		}
		s.kind, s.a, s.text = shapeText, g.Points[0], g.Text
		return s, true
	case wire.GhostLine:
		s.kind = shapeLine
	case wire.GhostRect:
		s.kind = shapeRect
	case wire.GhostBox:
		s.kind = shapeBox
	default:
		return s, false
	}
	if len(g.Points) < 2 {
		return s, false
	}
	s.a, s.b = g.Points[0], g.Points[1]
	return s, true
}
