package model

// Box drawing. A glyph of the Unicode block U+2500–U+257F is described by
// its four arms (up, right, down, left), each absent, light, heavy or
// double. Merging two glyphs is then a per-arm union, which is what makes
// crossing strokes join into junctions whatever order they were drawn in.
//
// The dashed glyphs (┄┅┆┇┈┉┊┋╌╍╎╏) and the diagonals (╱╲╳) are not treated
// as box glyphs: a dashed junction does not exist, and turning a dashed
// line solid where another line crosses it would change what its author
// drew. Writing over them simply replaces them.

// BoxStyle selects the line weight of BoxGlyph.
type BoxStyle uint8

// Box styles. BoxRounded is light with arcs for corners.
const (
	BoxSingle BoxStyle = iota
	BoxDouble
	BoxHeavy
	BoxRounded
)

type weight uint8

const (
	no weight = iota
	lt        // light (single)
	hv        // heavy
	db        // double
)

// rank orders weights for merging: when two arms disagree the stronger one
// wins, so merging is commutative. Heavy outranks double because heavy
// combines with light in every arrangement, double does not.
var rank = [4]uint8{no: 0, lt: 1, db: 2, hv: 3}

// arms packs four weights, two bits each: up, right, down, left.
type arms uint8

func mkArms(u, r, d, l weight) arms { return arms(u) | arms(r)<<2 | arms(d)<<4 | arms(l)<<6 }

func (a arms) arm(dir int) weight { return weight(a >> (2 * dir) & 3) }

// boxTable lists every box glyph this package understands with its arms
// (up, right, down, left). It is the single source for both lookups below.
var boxTable = [...]struct {
	g          rune
	u, r, d, l weight
}{
	{'─', no, lt, no, lt},
	{'━', no, hv, no, hv},
	{'│', lt, no, lt, no},
	{'┃', hv, no, hv, no},
	{'┌', no, lt, lt, no},
	{'┍', no, hv, lt, no},
	{'┎', no, lt, hv, no},
	{'┏', no, hv, hv, no},
	{'┐', no, no, lt, lt},
	{'┑', no, no, lt, hv},
	{'┒', no, no, hv, lt},
	{'┓', no, no, hv, hv},
	{'└', lt, lt, no, no},
	{'┕', lt, hv, no, no},
	{'┖', hv, lt, no, no},
	{'┗', hv, hv, no, no},
	{'┘', lt, no, no, lt},
	{'┙', lt, no, no, hv},
	{'┚', hv, no, no, lt},
	{'┛', hv, no, no, hv},
	{'├', lt, lt, lt, no},
	{'┝', lt, hv, lt, no},
	{'┞', hv, lt, lt, no},
	{'┟', lt, lt, hv, no},
	{'┠', hv, lt, hv, no},
	{'┡', hv, hv, lt, no},
	{'┢', lt, hv, hv, no},
	{'┣', hv, hv, hv, no},
	{'┤', lt, no, lt, lt},
	{'┥', lt, no, lt, hv},
	{'┦', hv, no, lt, lt},
	{'┧', lt, no, hv, lt},
	{'┨', hv, no, hv, lt},
	{'┩', hv, no, lt, hv},
	{'┪', lt, no, hv, hv},
	{'┫', hv, no, hv, hv},
	{'┬', no, lt, lt, lt},
	{'┭', no, lt, lt, hv},
	{'┮', no, hv, lt, lt},
	{'┯', no, hv, lt, hv},
	{'┰', no, lt, hv, lt},
	{'┱', no, lt, hv, hv},
	{'┲', no, hv, hv, lt},
	{'┳', no, hv, hv, hv},
	{'┴', lt, lt, no, lt},
	{'┵', lt, lt, no, hv},
	{'┶', lt, hv, no, lt},
	{'┷', lt, hv, no, hv},
	{'┸', hv, lt, no, lt},
	{'┹', hv, lt, no, hv},
	{'┺', hv, hv, no, lt},
	{'┻', hv, hv, no, hv},
	{'┼', lt, lt, lt, lt},
	{'┽', lt, lt, lt, hv},
	{'┾', lt, hv, lt, lt},
	{'┿', lt, hv, lt, hv},
	{'╀', hv, lt, lt, lt},
	{'╁', lt, lt, hv, lt},
	{'╂', hv, lt, hv, lt},
	{'╃', hv, lt, lt, hv},
	{'╄', hv, hv, lt, lt},
	{'╅', lt, lt, hv, hv},
	{'╆', lt, hv, hv, lt},
	{'╇', hv, hv, lt, hv},
	{'╈', lt, hv, hv, hv},
	{'╉', hv, lt, hv, hv},
	{'╊', hv, hv, hv, lt},
	{'╋', hv, hv, hv, hv},
	{'═', no, db, no, db},
	{'║', db, no, db, no},
	{'╒', no, db, lt, no},
	{'╓', no, lt, db, no},
	{'╔', no, db, db, no},
	{'╕', no, no, lt, db},
	{'╖', no, no, db, lt},
	{'╗', no, no, db, db},
	{'╘', lt, db, no, no},
	{'╙', db, lt, no, no},
	{'╚', db, db, no, no},
	{'╛', lt, no, no, db},
	{'╜', db, no, no, lt},
	{'╝', db, no, no, db},
	{'╞', lt, db, lt, no},
	{'╟', db, lt, db, no},
	{'╠', db, db, db, no},
	{'╡', lt, no, lt, db},
	{'╢', db, no, db, lt},
	{'╣', db, no, db, db},
	{'╤', no, db, lt, db},
	{'╥', no, lt, db, lt},
	{'╦', no, db, db, db},
	{'╧', lt, db, no, db},
	{'╨', db, lt, no, lt},
	{'╩', db, db, no, db},
	{'╪', lt, db, lt, db},
	{'╫', db, lt, db, lt},
	{'╬', db, db, db, db},
	{'╭', no, lt, lt, no},
	{'╮', no, no, lt, lt},
	{'╯', lt, no, no, lt},
	{'╰', lt, lt, no, no},
	{'╴', no, no, no, lt},
	{'╵', lt, no, no, no},
	{'╶', no, lt, no, no},
	{'╷', no, no, lt, no},
	{'╸', no, no, no, hv},
	{'╹', hv, no, no, no},
	{'╺', no, hv, no, no},
	{'╻', no, no, hv, no},
	{'╼', no, hv, no, lt},
	{'╽', lt, no, hv, no},
	{'╾', no, lt, no, hv},
	{'╿', hv, no, lt, no},
}

const (
	boxFirst = 0x2500
	boxLast  = 0x257f
	arcFirst = 0x256d // ╭ ╮ ╯ ╰
	arcLast  = 0x2570
)

var (
	armsOf  [boxLast - boxFirst + 1]arms // glyph -> arms; 0 for non-box glyphs
	glyphOf [256]rune                    // arms -> glyph (never an arc); 0 if none exists
)

// arcOf returns the rounded form of a light corner, or 0.
func arcOf(g rune) rune {
	switch g {
	case '┌':
		return '╭'
	case '┐':
		return '╮'
	case '┘':
		return '╯'
	case '└':
		return '╰'
	}
	return 0
}

func init() {
	for _, e := range boxTable {
		a := mkArms(e.u, e.r, e.d, e.l)
		armsOf[e.g-boxFirst] = a
		if !isArc(e.g) {
			glyphOf[a] = e.g
		}
	}
}

// IsBox reports whether r is a box-drawing glyph that MergeBox joins.
func IsBox(r rune) bool { return r >= boxFirst && r <= boxLast && armsOf[r-boxFirst] != 0 }

func isArc(r rune) bool { return r >= arcFirst && r <= arcLast }

// BoxGlyph returns the glyph of style s with the given arms, or 0 if no arm
// is set. A single arm gives the full line through the cell rather than a
// half line: a one-cell stroke should be visible as a line. Unknown styles
// draw as BoxSingle.
func BoxGlyph(s BoxStyle, up, right, down, left bool) rune {
	w := lt
	switch s {
	case BoxDouble:
		w = db
	case BoxHeavy:
		w = hv
	}
	pick := func(b bool) weight {
		if b {
			return w
		}
		return no
	}
	switch {
	case !up && !right && !down && !left:
		return 0
	case (up || down) && !right && !left && !(up && down):
		up, down = true, true
	case (left || right) && !up && !down && !(left && right):
		left, right = true, true
	}
	g := glyphOf[mkArms(pick(up), pick(right), pick(down), pick(left))]
	if s == BoxRounded {
		if arc := arcOf(g); arc != 0 {
			return arc
		}
	}
	return g
}

// MergeBox returns the glyph for drawing box glyph new over box glyph old:
// the union of their arms, the stronger weight winning where both have an
// arm (heavy > double > light). Unicode lacks many double/other mixes; such
// a result degrades by turning its double arms light, after which a glyph
// always exists (every light/heavy combination is encoded). Arcs count as
// light corners, and the result is an arc only if it is a light corner and
// either input was an arc. If either rune is not a box glyph, MergeBox
// returns new unchanged.
//
// MergeBox is symmetric and idempotent for box glyphs, so two crossing
// strokes make the same junction whichever lands first. It is not always
// associative: with three strokes on one cell, a degraded intermediate can
// make the result depend on their order. Replicas still agree, because
// every replica applies commits in the authority's order.
func MergeBox(old, new rune) rune {
	if !IsBox(old) || !IsBox(new) {
		return new
	}
	a, b := armsOf[old-boxFirst], armsOf[new-boxFirst]
	var m, light arms
	for dir := range 4 {
		w := a.arm(dir)
		if v := b.arm(dir); rank[v] > rank[w] {
			w = v
		}
		m |= arms(w) << (2 * dir)
		if w == db {
			w = lt
		}
		light |= arms(w) << (2 * dir)
	}
	g := glyphOf[m]
	if g == 0 {
		g = glyphOf[light]
	}
	if isArc(old) || isArc(new) {
		if arc := arcOf(g); arc != 0 {
			return arc
		}
	}
	return g
}
