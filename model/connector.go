package model

// Connectors: the lines that touch a box's border from outside. Moving a
// selection that holds a box stretches them (rubber-band routing): each
// keeps its far end, loses its old cells, and is drawn again from the
// box's new position with fresh elbows, all in the commit of the move, so
// one undo puts everything back.

// Connector is one line attached to a box.
type Connector struct {
	Border Point // the box's border cell the line touches
	Side   Dir   // which side of the box: the direction from Border to the line
	Joined bool  // Border has an arm toward the line (a junction such as ├)
	// Path is the line's own cells, from the one next to Border to the far
	// end; FarJoined means the line ends in a junction or border at Far
	// that is not its own, and stays when the line is re-routed.
	Path      []Point
	Far       Point
	FarJoined bool
	FarDir    Dir // the direction the line runs in as it arrives at Far
	Arrows    Arrows
	Cell      Cell // the style of the line's first cell, for drawing it again
}

// BoxStyleOf guesses the style a line glyph was drawn in.
func BoxStyleOf(r rune) BoxStyle {
	if isArc(r) {
		return BoxRounded
	}
	if !IsBox(r) {
		return BoxSingle
	}
	a := armsOf[r-boxFirst]
	for d := range 4 {
		switch a.arm(d) {
		case hv:
			return BoxHeavy
		case db:
			return BoxDouble
		}
	}
	return BoxSingle
}

// FindBoxes returns the closed box outlines lying wholly inside r, each the
// smallest one from its top-left corner. get reads the canvas.
func FindBoxes(get func(x, y int32) rune, r Rect) []Rect {
	var boxes []Rect
	if r.Empty() || r.Area() > int64(DefaultLimits.MaxCells) {
		return nil
	}
	arm := func(x, y int32, d Dir) bool { return Arms(get(x, y))[d] && IsBox(get(x, y)) }
	x1, y1 := r.X+r.W-1, r.Y+r.H-1
	for y := r.Y; y < y1; y++ {
		for x := r.X; x < x1; x++ {
			if !arm(x, y, DirRight) || !arm(x, y, DirDown) {
				continue
			}
			if b, ok := boxFrom(arm, x, y, x1, y1); ok {
				boxes = append(boxes, b)
			}
		}
	}
	return boxes
}

// boxFrom finds the smallest outline with its top-left corner at (x0, y0)
// and its far corner no further than (xm, ym).
func boxFrom(arm func(x, y int32, d Dir) bool, x0, y0, xm, ym int32) (Rect, bool) {
	for x1 := x0 + 1; x1 <= xm && arm(x1, y0, DirLeft); x1++ {
		if !arm(x1, y0, DirDown) {
			continue
		}
		for y1 := y0 + 1; y1 <= ym && arm(x0, y1, DirUp); y1++ {
			if arm(x0, y1, DirRight) && closed(arm, x0, y0, x1, y1) {
				return Rect{x0, y0, x1 - x0 + 1, y1 - y0 + 1}, true
			}
		}
	}
	return Rect{}, false
}

// closed reports whether the outline x0..x1 × y0..y1 is connected all round.
func closed(arm func(x, y int32, d Dir) bool, x0, y0, x1, y1 int32) bool {
	for x := x0; x <= x1; x++ {
		for _, y := range [2]int32{y0, y1} {
			if x < x1 && !arm(x, y, DirRight) || x > x0 && !arm(x, y, DirLeft) {
				return false
			}
		}
	}
	for y := y0; y <= y1; y++ {
		for _, x := range [2]int32{x0, x1} {
			if y < y1 && !arm(x, y, DirDown) || y > y0 && !arm(x, y, DirUp) {
				return false
			}
		}
	}
	return true
}

// Connectors returns the lines that touch box from outside keep, each
// traced to its far end. A line whose far end is inside keep moves whole
// with it and is no connector; one that cannot be traced (it runs back into
// keep, loops, or starts at a junction) is left alone.
func Connectors(get func(x, y int32) Cell, box, keep Rect) []Connector {
	ch := func(p Point) rune { return get(p.X, p.Y).Ch }
	var out []Connector
	try := func(b Point, side Dir) {
		o := side.Step(b)
		if keep.Contains(o.X, o.Y) {
			return
		}
		oc := ch(o)
		ad, arrow := ArrowDir(oc)
		if !Arms(oc)[side.Back()] && !(arrow && ad == side.Back()) {
			return // nothing there points at the box
		}
		c := Connector{Border: b, Side: side, Joined: Arms(ch(b))[side], Cell: get(o.X, o.Y)}
		if arrow && ad == side.Back() {
			c.Arrows |= ArrowStart
		}
		if !trace(ch, keep, o, side, &c) {
			return
		}
		for _, p := range c.Path {
			if cell := get(p.X, p.Y); IsBox(cell.Ch) {
				c.Cell = cell // the style of a line glyph, not of an arrowhead
				break
			}
		}
		out = append(out, c)
	}
	x1, y1 := box.X+box.W-1, box.Y+box.H-1
	for x := box.X; x <= x1; x++ {
		try(Point{x, box.Y}, DirUp)
		try(Point{x, y1}, DirDown)
	}
	for y := box.Y; y <= y1; y++ {
		try(Point{box.X, y}, DirLeft)
		try(Point{x1, y}, DirRight)
	}
	return out
}

// trace follows a line from o, entered going in direction in, to its far
// end, filling c's path fields. It reports false for a line it cannot
// follow unambiguously.
func trace(ch func(Point) rune, keep Rect, o Point, in Dir, c *Connector) bool {
	seen := make(map[Point]bool, 64)
	cur, from := o, in.Back() // from: the arm of cur that points back
	for len(c.Path) < DefaultLimits.MaxCells {
		if keep.Contains(cur.X, cur.Y) || seen[cur] {
			return false
		}
		seen[cur] = true
		c.Path = append(c.Path, cur)
		g := ch(cur)
		if _, arrow := ArrowDir(g); arrow && len(c.Path) > 1 {
			c.Far, c.FarDir, c.Arrows = cur, from.Back(), c.Arrows|ArrowEnd
			return true
		}
		a := Arms(g)
		var next []Dir
		for d := range Dir(4) {
			if a[d] && d != from {
				next = append(next, d)
			}
		}
		switch len(next) {
		case 0:
			c.Far, c.FarDir = cur, from.Back()
			return true
		case 1:
		default:
			return false // a junction of the line's own: ambiguous
		}
		d := next[0]
		n := d.Step(cur)
		na := Arms(ch(n))
		if !na[d.Back()] {
			c.Far, c.FarDir = cur, from.Back() // the arm dangles: a full glyph at the end
			return true
		}
		count := 0
		for _, v := range na {
			if v {
				count++
			}
		}
		if _, arrow := ArrowDir(ch(n)); count > 2 && !arrow {
			if keep.Contains(n.X, n.Y) {
				return false // it ends on something that moves too
			}
			c.Far, c.FarJoined, c.FarDir = n, true, d
			return true
		}
		cur, from = n, d.Back()
	}
	return false
}

// reroute returns the corners of a connector's new line from start, which
// leaves the box towards side, to far, arriving in direction farDir: one
// elbow when the two directions cross, two (a Z, bending half way) when
// they are parallel, none when start and far line up.
func reroute(start Point, side Dir, far Point, farDir Dir) []Point {
	if start == far {
		return []Point{start}
	}
	hStart, hFar := side.Horizontal(), farDir.Horizontal()
	switch {
	case hStart && start.Y == far.Y, !hStart && start.X == far.X:
		return []Point{start, far}
	case hStart && !hFar:
		return []Point{start, {far.X, start.Y}, far}
	case !hStart && hFar:
		return []Point{start, {start.X, far.Y}, far}
	case hStart:
		mx := start.X + (far.X-start.X)/2
		if mx == start.X {
			mx = side.Step(start).X // leave the box before turning
		}
		return []Point{start, {mx, start.Y}, {mx, far.Y}, far}
	}
	my := start.Y + (far.Y-start.Y)/2
	if my == start.Y {
		my = side.Step(start).Y
	}
	return []Point{start, {start.X, my}, {far.X, my}, far}
}

// bestRoute chooses among a few routes from start to far the one that
// crosses the least of what is drawn (boxes included: the one just moved,
// and the one at the far end), then the one with fewer bends, then the
// shorter. Besides the plain route of reroute, the candidates step out of
// the box first and into the far end last, so a box moved past its
// partner is walked round rather than crossed.
func bestRoute(start Point, side Dir, far Point, farDir Dir, get func(x, y int32) rune) []Point {
	s1, f1 := side.Step(start), farDir.Back().Step(far)
	candidates := [][]Point{
		reroute(start, side, far, farDir),
		{start, s1, {f1.X, s1.Y}, f1, far},
		{start, s1, {s1.X, f1.Y}, f1, far},
	}
	var best []Point
	bestScore := int64(-1)
	for _, c := range candidates {
		c = simplify(c)
		cells := PathCells(c, DefaultLimits.MaxCells)
		seen := make(map[Point]bool, len(cells))
		var crossed, repeats int64
		for i, p := range cells {
			if seen[p] {
				repeats++
			}
			seen[p] = true
			if i > 0 && i < len(cells)-1 && get(p.X, p.Y) != 0 {
				crossed++
			}
		}
		score := repeats*1e9 + crossed*1e6 + int64(len(c))*1e3 + int64(len(cells))
		if bestScore < 0 || score < bestScore {
			best, bestScore = c, score
		}
	}
	return best
}

// simplify drops repeated corners and corners in the middle of a straight run.
func simplify(c []Point) []Point {
	out := make([]Point, 0, len(c))
	for _, p := range c {
		if n := len(out); n > 0 && out[n-1] == p {
			continue
		}
		if n := len(out); n >= 2 {
			a, b := out[n-2], out[n-1]
			if (a.X == b.X && b.X == p.X) || (a.Y == b.Y && b.Y == p.Y) {
				if between(a, b, p) {
					out[n-1] = p
					continue
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// between reports whether b lies on the straight run from a to p, so that
// dropping it keeps the same cells (a run that turns back is kept whole).
func between(a, b, p Point) bool {
	in := func(a, b, p int32) bool { return min(a, p) <= b && b <= max(a, p) }
	return in(a.X, b.X, p.X) && in(a.Y, b.Y, p.Y)
}

// overlay is the canvas as it will be part-way through a commit: get with
// some cells replaced.
type overlay struct {
	get func(x, y int32) Cell
	set map[Point]Cell
}

func (o *overlay) cell(x, y int32) Cell {
	if c, ok := o.set[Point{x, y}]; ok {
		return c
	}
	return o.get(x, y)
}

func (o *overlay) rune(x, y int32) rune { return o.cell(x, y).Ch }

// MoveOps returns one commit that moves the drawn cells of src by (dx, dy)
// (empty cells are transparent: they do not erase at the destination) and
// re-routes the connectors of every box in src. get reads the canvas as the
// committer sees it. It returns nil when there is nothing to move.
func MoveOps(get func(x, y int32) Cell, src Rect, dx, dy int32) []Op {
	if src.Empty() || dx == 0 && dy == 0 || src.Area() > int64(DefaultLimits.MaxCells) {
		return nil
	}
	ov := &overlay{get: get, set: make(map[Point]Cell, 2*src.Area())}
	var conns []Connector
	for _, b := range FindBoxes(func(x, y int32) rune { return get(x, y).Ch }, src) {
		conns = append(conns, Connectors(get, b, src)...)
	}
	for y := src.Y; y < src.Y+src.H; y++ {
		for x := src.X; x < src.X+src.W; x++ {
			ov.set[Point{x, y}] = Cell{}
		}
	}
	ops := []Op{{Kind: OpRect, X: src.X, Y: src.Y, W: src.W, H: src.H}}
	// Old lines go before the moved cells land (they may land on them) and
	// all of them before any new one, so that a new route never merges with
	// an old one.
	var erase []CellAt
	for _, c := range conns {
		for _, p := range c.Path {
			if ov.cell(p.X, p.Y) != (Cell{}) {
				erase = append(erase, CellAt{X: p.X, Y: p.Y})
				ov.set[p] = Cell{}
			}
		}
	}
	if len(erase) > 0 {
		ops = append(ops, Op{Kind: OpSet, Cells: erase})
	}
	var moved []CellAt
	for y := src.Y; y < src.Y+src.H; y++ {
		for x := src.X; x < src.X+src.W; x++ {
			if c := get(x, y); c.Ch != 0 {
				moved = append(moved, CellAt{x + dx, y + dy, c})
				ov.set[Point{x + dx, y + dy}] = c
			}
		}
	}
	if len(moved) > 0 {
		ops = append(ops, Op{Kind: OpSet, Cells: moved})
	}
	for _, c := range conns {
		border := Point{c.Border.X + dx, c.Border.Y + dy}
		start := border
		if !c.Joined {
			start = c.Side.Step(border) // it touched the box without joining it
		}
		corners := bestRoute(start, c.Side, c.Far, c.FarDir, ov.rune)
		corners = TrimArrows(corners, c.Arrows&ArrowEnd, ov.rune)
		st := c.Cell
		style := BoxStyleOf(st.Ch)
		var cells []CellAt
		PathGlyphs(corners, style, c.Arrows, DefaultLimits.MaxCells, func(x, y int32, ch rune) {
			st.Ch = ch
			cells = append(cells, CellAt{x, y, st})
		})
		// Ends stay as they were: a joined end keeps its junction, a free
		// one is drawn whole.
		for _, op := range JoinOps(cells, ov.rune) {
			ops = append(ops, op)
			for _, ca := range op.Cells {
				cell := ca.Cell
				if op.Merge {
					cell.Ch = MergeBox(ov.rune(ca.X, ca.Y), cell.Ch)
				}
				ov.set[Point{ca.X, ca.Y}] = cell
			}
		}
	}
	return ops
}
