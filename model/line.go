package model

// Lines and arrows: orthogonal box-drawing lines through a few corners,
// with optional arrowheads, and the rules by which their ends join what is
// already drawn. The line tool, its ghosts and connector re-routing
// (connector.go) all draw through PathGlyphs and JoinOps, so a preview, a
// commit and a re-routed connector look the same.

// Dir is a direction on the grid, in the arm order of box glyphs.
type Dir uint8

// Directions.
const (
	DirUp Dir = iota
	DirRight
	DirDown
	DirLeft
)

var dirStep = [4]Point{{0, -1}, {1, 0}, {0, 1}, {-1, 0}}

// Step returns the neighbour of p in direction d.
func (d Dir) Step(p Point) Point { return Point{p.X + dirStep[d&3].X, p.Y + dirStep[d&3].Y} }

// Back is the opposite direction.
func (d Dir) Back() Dir { return (d + 2) & 3 }

// Horizontal reports left or right.
func (d Dir) Horizontal() bool { return d&1 == 1 }

// arrowHeads point up, right, down, left. They are the black triangles of
// Geometric Shapes, one column wide in every terminal we know of (ASCII
// mode shows them as ^ > v <).
var arrowHeads = [4]rune{'▲', '▶', '▼', '◀'}

// ArrowHead returns the arrowhead pointing in direction d.
func ArrowHead(d Dir) rune { return arrowHeads[d&3] }

// ArrowDir reports the direction arrowhead r points in.
func ArrowDir(r rune) (Dir, bool) {
	for d, a := range arrowHeads {
		if a == r {
			return Dir(d), true
		}
	}
	return 0, false
}

// Arms reports the directions in which glyph r connects to a line: a box
// glyph's arms, or an arrowhead's tail (the side opposite its point).
func Arms(r rune) (a [4]bool) {
	if IsBox(r) {
		x := armsOf[r-boxFirst]
		for d := range 4 {
			a[d] = x.arm(d) != no
		}
		return a
	}
	if d, ok := ArrowDir(r); ok {
		a[d.Back()] = true
	}
	return a
}

// Arrows says which ends of a line carry an arrowhead.
type Arrows uint8

// Arrowhead flags.
const (
	ArrowStart Arrows = 1 << iota
	ArrowEnd
	ArrowBoth = ArrowStart | ArrowEnd
)

// Route returns the corners of the line from a to b with at most one
// elbow: straight when a and b share a row or column, otherwise along the
// row first (hFirst) or the column first.
func Route(a, b Point, hFirst bool) []Point {
	switch {
	case a == b:
		return []Point{a}
	case a.X == b.X || a.Y == b.Y:
		return []Point{a, b}
	case hFirst:
		return []Point{a, {b.X, a.Y}, b}
	}
	return []Point{a, {a.X, b.Y}, b}
}

// PathCells returns the cells of the orthogonal polyline through corners,
// in order, at most limit of them. A segment that is not orthogonal is
// drawn as an elbow, row first, so any input gives a connected path.
func PathCells(corners []Point, limit int) []Point {
	if len(corners) == 0 || limit <= 0 {
		return nil
	}
	cells := []Point{corners[0]}
	cur := corners[0]
	for _, c := range corners[1:] {
		for cur != c && len(cells) < limit {
			switch {
			case cur.X < c.X:
				cur.X++
			case cur.X > c.X:
				cur.X--
			case cur.Y < c.Y:
				cur.Y++
			default:
				cur.Y--
			}
			cells = append(cells, cur)
		}
	}
	return cells
}

// dirTo is the direction from p to its neighbour q.
func dirTo(p, q Point) Dir {
	switch {
	case q.Y < p.Y:
		return DirUp
	case q.X > p.X:
		return DirRight
	case q.Y > p.Y:
		return DirDown
	}
	return DirLeft
}

// PathGlyphs calls fn with each cell of the line through corners and the
// glyph to draw there in style s: full lines and elbows inside, half lines
// at the ends (so that an end meeting another line makes a T, see
// EndGlyph), arrowheads at the ends arrows asks for. A path of one cell
// draws nothing: it has no direction.
func PathGlyphs(corners []Point, s BoxStyle, arrows Arrows, limit int, fn func(x, y int32, ch rune)) {
	cells := PathCells(corners, limit)
	n := len(cells)
	if n < 2 {
		return
	}
	for i, p := range cells {
		var a [4]bool
		if i > 0 {
			a[dirTo(p, cells[i-1])] = true
		}
		if i < n-1 {
			a[dirTo(p, cells[i+1])] = true
		}
		var ch rune
		switch {
		case i == 0 && arrows&ArrowStart != 0:
			ch = ArrowHead(dirTo(p, cells[1]).Back())
		case i == n-1 && arrows&ArrowEnd != 0:
			ch = ArrowHead(dirTo(cells[n-2], p))
		case i == 0 || i == n-1:
			ch = HalfGlyph(s, a[0], a[1], a[2], a[3])
			if ch == 0 {
				ch = BoxGlyph(s, a[0], a[1], a[2], a[3])
			}
		default:
			ch = BoxGlyph(s, a[0], a[1], a[2], a[3])
		}
		fn(p.X, p.Y, ch)
	}
}

// TrimArrows moves an arrowed end that lies on a box glyph one cell back
// along the line: an arrow drawn onto a box's border points at it (──▶│)
// instead of replacing the border with its head. corners is not modified.
func TrimArrows(corners []Point, arrows Arrows, get func(x, y int32) rune) []Point {
	n := len(corners)
	if n < 2 || arrows == 0 {
		return corners
	}
	out := append([]Point(nil), corners...)
	trim := func(end, next int) {
		p := out[end]
		if !IsBox(get(p.X, p.Y)) {
			return
		}
		q := dirTo(p, out[next]).Step(p)
		if q == out[next] && len(out) == 2 {
			return // a two-cell line would vanish
		}
		if q == out[next] {
			out = append(out[:end], out[end+1:]...)
			if end > 0 {
				end--
			}
		}
		out[end] = q
	}
	if arrows&ArrowEnd != 0 {
		trim(n-1, n-2)
	}
	if arrows&ArrowStart != 0 && len(out) >= 2 {
		trim(0, 1)
	}
	return out
}

// HalfGlyph is the half line of a box cell with exactly one arm: the end
// of a line, so that a line ending on another box line merges into a T (┬)
// instead of crossing it (┼). Double lines have no half glyphs; 0 means
// "use the full glyph".
func HalfGlyph(s BoxStyle, up, right, down, left bool) rune {
	n := 0
	for _, a := range [...]bool{up, right, down, left} {
		if a {
			n++
		}
	}
	if n != 1 || s == BoxDouble {
		return 0
	}
	h := [4]rune{'╵', '╶', '╷', '╴'}
	if s == BoxHeavy {
		h = [4]rune{'╹', '╺', '╻', '╸'}
	}
	switch {
	case up:
		return h[0]
	case right:
		return h[1]
	case down:
		return h[2]
	}
	return h[3]
}

// FullLine is the whole line a half line is part of; other runes are
// returned as they are.
func FullLine(r rune) rune {
	switch r {
	case '╵', '╷':
		return '│'
	case '╴', '╶':
		return '─'
	case '╹', '╻':
		return '┃'
	case '╸', '╺':
		return '━'
	}
	return r
}

// lineEnds are straight full lines and the half line each becomes when one
// of its ends dangles: {half keeping the first arm, half keeping the second}.
// Arms are up/down or left/right.
var lineEnds = map[rune][2]rune{
	'─': {'╴', '╶'}, '│': {'╵', '╷'},
	'━': {'╸', '╺'}, '┃': {'╹', '╻'},
}

// connects reports whether the box glyph n at a neighbour has an arm
// pointing back at us (toward is the half line pointing from it to us).
func connects(n, toward rune) bool { return IsBox(n) && MergeBox(n, toward) == n }

// EndGlyph is what a line's end (a half glyph h at x, y) makes with the
// glyph under it. Most of the time that is the authority's merge, so it
// reports exact=false and the cell is sent with Merge. When the glyph under
// it is itself the end of a straight line, drawn whole, merging would
// overshoot: two lines meeting at an elbow would make ┬ rather than ┐. Then
// the dangling half is trimmed off first and the result is sent exact.
func EndGlyph(h rune, x, y int32, get func(x, y int32) rune) (g rune, exact bool) {
	u := get(x, y)
	if !IsBox(u) {
		return FullLine(h), false
	}
	halves, ok := lineEnds[u]
	if !ok {
		return h, false
	}
	var a, b bool // the first (left/up) and second (right/down) arm connect
	if u == '─' || u == '━' {
		a, b = connects(get(x-1, y), '╶'), connects(get(x+1, y), '╴')
	} else {
		a, b = connects(get(x, y-1), '╷'), connects(get(x, y+1), '╵')
	}
	switch {
	case a && !b:
		return MergeBox(halves[0], h), true
	case b && !a:
		return MergeBox(halves[1], h), true
	}
	return h, false
}

// JoinOps turns drawn box cells into the ops that commit them so that they
// join what is under them: a line's ends (half glyphs) as EndGlyph says,
// everything else merged by the authority (Merge), which also leaves
// non-box cells such as arrowheads as they are. under reads the canvas as
// the committer sees it.
func JoinOps(cells []CellAt, under func(x, y int32) rune) []Op {
	var merged, exact []CellAt
	for _, c := range cells {
		if ch := c.Cell.Ch; FullLine(ch) != ch {
			g, ex := EndGlyph(ch, c.X, c.Y, under)
			c.Cell.Ch = g
			if ex {
				exact = append(exact, c)
				continue
			}
		}
		merged = append(merged, c)
	}
	var ops []Op
	if len(merged) > 0 {
		ops = append(ops, Op{Kind: OpSet, Cells: merged, Merge: true})
	}
	if len(exact) > 0 {
		ops = append(ops, Op{Kind: OpSet, Cells: exact})
	}
	return ops
}
