package picture

import "math"

// A shape is what a box-drawing or block glyph looks like: polygons in a
// cell's own pixel coordinates (0,0 top-left), filled in the cell's
// foreground at alpha.
type shape struct {
	polys [][]pt
	alpha float32 // 1 for solid; the shades ░▒▓ are less
}

type pt struct{ x, y float32 }

// Line weights of the arms of a box glyph.
const (
	wNone = iota
	wLight
	wHeavy
	wDouble
)

// Arm directions, in the order boxArms packs them.
const (
	up = iota
	right
	down
	left
)

// boxArms packs the weights of the four arms of U+2500+i, two bits each:
// up | right<<2 | down<<4 | left<<6. Zero marks the glyphs drawn another
// way (dashes, arcs, diagonals). Generated from the Unicode names.
var boxArms = [128]uint8{
	0x44, 0x88, 0x11, 0x22, 0x00, 0x00, 0x00, 0x00, // ─━│┃┄┅┆┇
	0x00, 0x00, 0x00, 0x00, 0x14, 0x18, 0x24, 0x28, // ┈┉┊┋┌┍┎┏
	0x50, 0x90, 0x60, 0xa0, 0x05, 0x09, 0x06, 0x0a, // ┐┑┒┓└┕┖┗
	0x41, 0x81, 0x42, 0x82, 0x15, 0x19, 0x16, 0x25, // ┘┙┚┛├┝┞┟
	0x26, 0x1a, 0x29, 0x2a, 0x51, 0x91, 0x52, 0x61, // ┠┡┢┣┤┥┦┧
	0x62, 0x92, 0xa1, 0xa2, 0x54, 0x94, 0x58, 0x98, // ┨┩┪┫┬┭┮┯
	0x64, 0xa4, 0x68, 0xa8, 0x45, 0x85, 0x49, 0x89, // ┰┱┲┳┴┵┶┷
	0x46, 0x86, 0x4a, 0x8a, 0x55, 0x95, 0x59, 0x99, // ┸┹┺┻┼┽┾┿
	0x56, 0x65, 0x66, 0x96, 0x5a, 0xa5, 0x69, 0x9a, // ╀╁╂╃╄╅╆╇
	0xa9, 0xa6, 0x6a, 0xaa, 0x00, 0x00, 0x00, 0x00, // ╈╉╊╋╌╍╎╏
	0xcc, 0x33, 0x1c, 0x34, 0x3c, 0xd0, 0x70, 0xf0, // ═║╒╓╔╕╖╗
	0x0d, 0x07, 0x0f, 0xc1, 0x43, 0xc3, 0x1d, 0x37, // ╘╙╚╛╜╝╞╟
	0x3f, 0xd1, 0x73, 0xf3, 0xdc, 0x74, 0xfc, 0xcd, // ╠╡╢╣╤╥╦╧
	0x47, 0xcf, 0xdd, 0x77, 0xff, 0x00, 0x00, 0x00, // ╨╩╪╫╬╭╮╯
	0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0x04, 0x10, // ╰╱╲╳╴╵╶╷
	0x80, 0x02, 0x08, 0x20, 0x48, 0x21, 0x84, 0x12, // ╸╹╺╻╼╽╾╿
}

// isShape reports whether r is drawn as a shape rather than a font glyph.
func isShape(r rune) bool { return r >= 0x2500 && r <= 0x259f }

// geometry holds a cell's size and the line thicknesses derived from it.
type geometry struct {
	w, h   int
	cx, cy int // the pixel a centred light line starts at
	lw, hw int // light and heavy thickness
	g      int // offset of each line of a double line from the centre
}

func newGeometry(w, h int) geometry {
	lw := max(1, int(math.Round(float64(w)/9)))
	return geometry{w: w, h: h, cx: w / 2, cy: h / 2, lw: lw, hw: 2*lw + 1, g: lw}
}

// span is a half-open interval of pixels across a line.
type span struct{ lo, hi int }

// single is the span of a light or heavy line centred at c.
func (g geometry) single(weight, c int) span {
	t := g.lw
	if weight == wHeavy {
		t = g.hw
	}
	lo := c - t/2
	return span{lo, lo + t}
}

// pair is the spans of the two lines of a double line centred at c.
func (g geometry) pair(c int) (neg, pos span) {
	return span{c - g.g - g.lw/2, c - g.g - g.lw/2 + g.lw}, span{c + g.g - g.lw/2, c + g.g - g.lw/2 + g.lw}
}

// hull is everything a line of weight w centred at c covers across.
func (g geometry) hull(w, c int) span {
	if w == wDouble {
		n, p := g.pair(c)
		return span{n.lo, p.hi}
	}
	return g.single(w, c)
}

// boxShape draws a glyph from its arms. Each arm runs from the cell's edge
// to the centre and stops where it meets the lines across it, so that
// corners close and double lines join like the glyphs in a font.
func boxShape(g geometry, arms uint8) shape {
	var wt [4]int
	for d := range 4 {
		wt[d] = int(arms >> (2 * d) & 3)
	}
	var polys [][]pt
	rect := func(x0, y0, x1, y1 int) {
		if x1 > x0 && y1 > y0 {
			polys = append(polys, box(float32(x0), float32(y0), float32(x1), float32(y1)))
		}
	}
	// Along the arm's axis the centre is ca; the lines across it are the
	// arms perpendicular to it, neg (up or left) and pos (down or right).
	for d, w := range wt {
		if w == wNone {
			continue
		}
		horizontal := d == left || d == right
		ca, cb, la := g.cx, g.cy, g.w
		pneg, ppos := wt[up], wt[down]
		if !horizontal {
			ca, cb, la = g.cy, g.cx, g.h
			pneg, ppos = wt[left], wt[right]
		}
		toPos := d == right || d == down // the arm runs from the centre towards the far edge
		// stop returns where a line of this arm ends near the centre: the
		// start of its extent for an arm towards the far edge, the end
		// otherwise. same is the perpendicular arm on the line's own side
		// (none for a single line), other the one opposite.
		stop := func(same, other int, single bool) int {
			near := func(w int) span { // the perpendicular line nearest to this arm's edge
				if w == wDouble {
					n, p := g.pair(ca)
					if toPos {
						return p
					}
					return n
				}
				return g.single(w, ca)
			}
			far := func(w int) span {
				if w == wDouble {
					n, p := g.pair(ca)
					if toPos {
						return n
					}
					return p
				}
				return g.single(w, ca)
			}
			var s span
			switch {
			case single:
				s = g.single(wLight, ca)
				for _, p := range []int{pneg, ppos} {
					if p != wNone {
						h := g.hull(p, ca)
						s = span{min(s.lo, h.lo), max(s.hi, h.hi)}
					}
				}
			case same != wNone:
				s = near(same)
			case other != wNone:
				s = far(other)
			default:
				n, p := g.pair(ca)
				s = span{n.lo, p.hi}
			}
			if toPos {
				return s.lo
			}
			return s.hi
		}
		emit := func(across span, end int) {
			a0, a1 := end, la
			if !toPos {
				a0, a1 = 0, end
			}
			if horizontal {
				rect(a0, across.lo, a1, across.hi)
			} else {
				rect(across.lo, a0, across.hi, a1)
			}
		}
		if w == wDouble {
			n, p := g.pair(cb)
			emit(n, stop(pneg, ppos, false))
			emit(p, stop(ppos, pneg, false))
		} else {
			emit(g.single(w, cb), stop(0, 0, true))
		}
	}
	return shape{polys: polys, alpha: 1}
}

// box is a clockwise rectangle.
func box(x0, y0, x1, y1 float32) []pt { return []pt{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}} }

// arcShape draws ╭╮╯╰: a quarter circle joining the centre lines, sx and
// sy the directions (±1) of its two arms.
func arcShape(g geometry, sx, sy float32) shape {
	t := float32(g.lw)
	sx0, sy0 := g.single(wLight, g.cx), g.single(wLight, g.cy)
	xc, yc := float32(sx0.lo+sx0.hi)/2, float32(sy0.lo+sy0.hi)/2 // centres of the light lines
	r := min(xc, float32(g.w)-xc, yc, float32(g.h)-yc)
	ox, oy := xc+sx*r, yc+sy*r
	const n = 16
	var ring []pt
	for i := 0; i <= n; i++ { // outer edge
		phi := float64(i) / n * math.Pi / 2
		ring = append(ring, pt{ox - sx*(r+t/2)*float32(math.Cos(phi)), oy - sy*(r+t/2)*float32(math.Sin(phi))})
	}
	for i := n; i >= 0; i-- { // inner edge, back
		phi := float64(i) / n * math.Pi / 2
		ring = append(ring, pt{ox - sx*(r-t/2)*float32(math.Cos(phi)), oy - sy*(r-t/2)*float32(math.Sin(phi))})
	}
	polys := [][]pt{ring}
	// The straight parts from the arc's ends to the edges.
	ex, ey := float32(g.w), float32(g.h)
	if sx < 0 {
		ex = 0
	}
	if sy < 0 {
		ey = 0
	}
	polys = append(polys, box(min(ox, ex), yc-t/2, max(ox, ex), yc+t/2), box(xc-t/2, min(oy, ey), xc+t/2, max(oy, ey)))
	return shape{polys: polys, alpha: 1}
}

// diagonal is a line of thickness t from (x0,y0) to (x1,y1).
func diagonal(x0, y0, x1, y1, t float32) []pt {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	nx, ny := -dy/l*t/2, dx/l*t/2
	return []pt{{x0 + nx, y0 + ny}, {x1 + nx, y1 + ny}, {x1 - nx, y1 - ny}, {x0 - nx, y0 - ny}}
}

// dashShape draws n dashes along a horizontal or vertical centre line.
func dashShape(g geometry, n int, heavy, vertical bool) shape {
	w := wLight
	if heavy {
		w = wHeavy
	}
	var polys [][]pt
	l := float32(g.w)
	across := g.single(w, g.cy)
	if vertical {
		l = float32(g.h)
		across = g.single(w, g.cx)
	}
	step := l / float32(n)
	gap := max(1, step/4)
	for i := range n {
		a0, a1 := float32(i)*step+gap/2, float32(i+1)*step-gap/2
		if vertical {
			polys = append(polys, box(float32(across.lo), a0, float32(across.hi), a1))
		} else {
			polys = append(polys, box(a0, float32(across.lo), a1, float32(across.hi)))
		}
	}
	return shape{polys: polys, alpha: 1}
}

// blockShape draws U+2580–U+259F: eighths, halves, quadrants and shades.
func blockShape(g geometry, r rune) shape {
	w, h := float32(g.w), float32(g.h)
	solid := func(rs ...[]pt) shape { return shape{polys: rs, alpha: 1} }
	switch {
	case r == 0x2580: // ▀
		return solid(box(0, 0, w, h/2))
	case r >= 0x2581 && r <= 0x2588: // ▁ … █: lower eighths
		f := float32(r-0x2580) / 8
		return solid(box(0, h*(1-f), w, h))
	case r >= 0x2589 && r <= 0x258f: // ▉ … ▏: left eighths
		f := float32(0x2590-r) / 8
		return solid(box(0, 0, w*f, h))
	case r == 0x2590: // ▐
		return solid(box(w/2, 0, w, h))
	case r >= 0x2591 && r <= 0x2593: // ░▒▓
		return shape{polys: [][]pt{box(0, 0, w, h)}, alpha: float32(r-0x2590) / 4}
	case r == 0x2594: // ▔
		return solid(box(0, 0, w, h/8))
	case r == 0x2595: // ▕
		return solid(box(w*7/8, 0, w, h))
	}
	// Quadrants ▖▗▘▙▚▛▜▝▞▟: bits upper-left, upper-right, lower-left, lower-right.
	quads := [...]uint8{0b0010, 0b0001, 0b1000, 0b1011, 0b1001, 0b1110, 0b1101, 0b0100, 0b0110, 0b0111}
	q := quads[r-0x2596]
	var polys [][]pt
	for i, b := range []uint8{0b1000, 0b0100, 0b0010, 0b0001} {
		if q&b != 0 {
			x0, y0 := float32(i%2)*w/2, float32(i/2)*h/2
			polys = append(polys, box(x0, y0, x0+w/2, y0+h/2))
		}
	}
	return solid(polys...)
}

// glyphShape returns the shape of r, which isShape accepts.
func glyphShape(g geometry, r rune) shape {
	if r >= 0x2580 {
		return blockShape(g, r)
	}
	if a := boxArms[r-0x2500]; a != 0 {
		return boxShape(g, a)
	}
	w, h, t := float32(g.w), float32(g.h), float32(g.lw)
	switch r {
	case '╭':
		return arcShape(g, 1, 1)
	case '╮':
		return arcShape(g, -1, 1)
	case '╯':
		return arcShape(g, -1, -1)
	case '╰':
		return arcShape(g, 1, -1)
	case '╱':
		return shape{polys: [][]pt{diagonal(w, 0, 0, h, t)}, alpha: 1}
	case '╲':
		return shape{polys: [][]pt{diagonal(0, 0, w, h, t)}, alpha: 1}
	case '╳':
		return shape{polys: [][]pt{diagonal(w, 0, 0, h, t), diagonal(0, 0, w, h, t)}, alpha: 1}
	}
	// Dashes: ┄┅┆┇ triple, ┈┉┊┋ quadruple, ╌╍╎╏ double; light, heavy,
	// light vertical, heavy vertical in each group of four.
	var base rune
	n := 3
	switch {
	case r >= 0x2504 && r <= 0x2507:
		base = 0x2504
	case r >= 0x2508 && r <= 0x250b:
		base, n = 0x2508, 4
	default: // 0x254c–0x254f
		base, n = 0x254c, 2
	}
	i := r - base
	return dashShape(g, n, i%2 == 1, i >= 2)
}

// oriented returns p wound clockwise (on screen), so that overlapping
// polygons add up rather than cancel when rasterized together.
func oriented(p []pt) []pt {
	var a float32
	for i := range p {
		q := p[(i+1)%len(p)]
		a += p[i].x*q.y - q.x*p[i].y
	}
	if a >= 0 {
		return p
	}
	out := make([]pt, len(p))
	for i := range p {
		out[i] = p[len(p)-1-i]
	}
	return out
}
