package ui

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tcanvas/tcanvas/model"
)

// build draws the frame: the canvas region read into the grid, overlays on
// top, then the grid encoded into the view's content.
func (m *Model) build() {
	w, h := m.w, m.h
	if w <= 0 || h <= 0 {
		m.view = tea.NewView("")
		return
	}
	n := w * h
	if cap(m.scr) < n {
		m.scr = make([]model.Cell, n)
	}
	m.scr = m.scr[:n]
	m.hits = m.hits[:0]
	ch := m.canvasH()
	vp := m.viewport()
	if ch > 0 {
		// The region's rows are exactly the grid's top rows: the session
		// copies the cells straight into the frame, no per-cell work here.
		m.sess.Region(vp, m.scr[:w*ch])
	}
	clear(m.scr[w*ch:])

	m.drawGhosts(vp)
	m.drawStroke(vp)
	m.drawTyping(vp)
	m.drawSelection(vp)
	m.drawFloat(vp)
	m.drawPeers(vp)
	m.drawCursor(vp)
	m.drawNotice()
	m.drawStatus()
	if m.showPeers {
		m.drawPeerList()
	}
	if m.pal != nil {
		m.drawPalette()
	}
	if m.inv != nil {
		m.drawInvite()
	}
	if m.showHelp {
		m.drawHelp()
	}

	v := tea.NewView(m.encode())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeAllMotion
	v.WindowTitle = "tcanvas · " + m.sess.Room()
	if m.text != nil && m.pal == nil && !m.showHelp {
		// Typing shows the terminal's own caret, where input methods and
		// screen readers expect it (the mouse may point elsewhere).
		if c := m.text.caret(); vp.Contains(c.X, c.Y) {
			v.Cursor = tea.NewCursor(int(c.X-m.vx), int(c.Y-m.vy))
			v.Cursor.Shape = tea.CursorBar
		}
	}
	m.view = v
}

// drawCursor draws our cell cursor as the cell in reverse video. It is
// drawn rather than left to the terminal's cursor so that a frame where
// only someone else moved writes only their cells: with a visible terminal
// cursor, Bubble Tea hides it, moves it back and shows it around every
// update.
func (m *Model) drawCursor(vp model.Rect) {
	if m.text != nil || m.pal != nil || m.showHelp {
		return
	}
	if c := m.canvasCell(vp, m.cx, m.cy); c != nil {
		if c.Ch == 0 {
			c.Ch = ' '
		}
		if l := m.canvasCell(vp, m.cx-1, m.cy); c.Ch == model.Continuation && l != nil && l.IsWide() {
			c = l // the cursor is on the right half: encode draws the pair in the wide cell's style
		}
		c.Attr ^= model.Reverse
	}
}

// setCanvasCell draws c over canvas cell (x, y) of the screen, with its
// continuation when it is wide. encode shows a wide cell whose right half
// is off screen or drawn over as a space, so overlays cannot leave half a
// character on screen either.
func (m *Model) setCanvasCell(vp model.Rect, x, y int32, c model.Cell) {
	if p := m.canvasCell(vp, x, y); p != nil {
		*p = c
	}
	if c.IsWide() {
		if p := m.canvasCell(vp, x+1, y); p != nil {
			*p = model.Cell{Ch: model.Continuation, FG: c.FG, BG: c.BG, Attr: c.Attr}
		}
	}
}

// cell returns the grid cell at screen (x, y), or nil off screen.
func (m *Model) cell(x, y int) *model.Cell {
	if x < 0 || y < 0 || x >= m.w || y >= m.h {
		return nil
	}
	return &m.scr[y*m.w+x]
}

// canvasCell returns the grid cell showing canvas cell (x, y), or nil.
func (m *Model) canvasCell(vp model.Rect, x, y int32) *model.Cell {
	if !vp.Contains(x, y) {
		return nil
	}
	return &m.scr[int(y-vp.Y)*m.w+int(x-vp.X)]
}

// put writes s at (x, y) in style st (Ch ignored), clipped to the screen
// and to [x, limit). It returns the column after the last rune.
func (m *Model) put(x, y int, s string, st model.Cell, limit int) int {
	limit = min(limit, m.w)
	for _, r := range s {
		w := cellWidth(r)
		if x+w > limit {
			break
		}
		if c := m.cell(x, y); c != nil {
			*c = st
			c.Ch = r
		}
		if w == 2 {
			if c := m.cell(x+1, y); c != nil {
				*c = st
				c.Ch = model.Continuation
			}
		}
		x += w
	}
	return x
}

// fill paints the screen rectangle with spaces in style st.
func (m *Model) fill(x, y, w, h int, st model.Cell) {
	st.Ch = ' '
	for j := y; j < y+h; j++ {
		for i := x; i < x+w; i++ {
			if c := m.cell(i, j); c != nil {
				*c = st
			}
		}
	}
}

// frame draws a panel: a rounded border with a title, and a cleared inside.
func (m *Model) frame(x, y, w, h int, title string, st model.Cell) {
	m.fill(x, y, w, h, st)
	for i := x + 1; i < x+w-1; i++ {
		m.put(i, y, "─", st, m.w)
		m.put(i, y+h-1, "─", st, m.w)
	}
	for j := y + 1; j < y+h-1; j++ {
		m.put(x, j, "│", st, m.w)
		m.put(x+w-1, j, "│", st, m.w)
	}
	m.put(x, y, "╭", st, m.w)
	m.put(x+w-1, y, "╮", st, m.w)
	m.put(x, y+h-1, "╰", st, m.w)
	m.put(x+w-1, y+h-1, "╯", st, m.w)
	if title != "" {
		t := st
		t.Attr |= model.Bold
		m.put(x+2, y, " "+title+" ", t, x+w-2)
	}
}

func (m *Model) drawGhosts(vp model.Rect) {
	for _, id := range m.peerIDs() {
		ps, _, ok := m.live(id)
		if !ok || ps.p.Ghost == nil {
			continue
		}
		s, ok := shapeOfGhost(ps.p.Ghost)
		if !ok {
			continue
		}
		col := m.peerColor(id)
		s.each(&vp, func(x, y int32, ch rune) {
			c := m.canvasCell(vp, x, y)
			switch {
			case ch == 0:
				ch = '·' // an eraser passing
			case s.boxy():
				ch = m.boxCell(ch, x, y, c.Ch)
			}
			m.setCanvasCell(vp, x, y, model.Cell{Ch: ch, FG: col, BG: c.BG, Attr: model.Faint})
		})
	}
}

// drawStroke previews our stroke exactly as it will be committed,
// junctions with existing box lines included.
func (m *Model) drawStroke(vp model.Rect) {
	if !m.st.active || m.st.s.kind == shapeNone {
		return
	}
	s := &m.st.s
	s.each(&vp, func(x, y int32, ch rune) {
		c := m.canvasCell(vp, x, y)
		if ch == 0 {
			*c = model.Cell{}
			return
		}
		if s.boxy() {
			ch = m.boxCell(ch, x, y, c.Ch)
		}
		m.setCanvasCell(vp, x, y, model.Cell{Ch: ch, FG: m.fg, BG: m.bg})
	})
}

// boxCell previews box glyph ch at x, y over the glyph shown there, as the
// commit will resolve it: merged, and with a line's ends joining others.
func (m *Model) boxCell(ch rune, x, y int32, shown rune) rune {
	if fullOf(ch) != ch {
		g, _ := endGlyph(ch, x, y, m.under)
		return g
	}
	return settle(ch, shown)
}

// under reads the canvas as we see it, for box junctions.
func (m *Model) under(x, y int32) rune { return m.sess.Get(x, y).Ch }

func (m *Model) drawTyping(vp model.Rect) {
	t := m.text
	if t == nil {
		return
	}
	for j, line := range t.lines {
		x := t.at.X
		for _, r := range line {
			c := model.Cell{Ch: r, FG: m.fg, BG: m.bg}
			m.setCanvasCell(vp, x, t.at.Y+int32(j), c)
			x += int32(c.Width())
		}
	}
}

func (m *Model) drawSelection(vp model.Rect) {
	sel := m.sel
	if m.st.active && m.st.tool == ToolSelect {
		sel = spanRect(m.st.s.a, m.st.s.b)
	}
	if m.float != nil {
		return // the block being moved is shown instead
	}
	r := sel.Intersect(vp)
	for y := r.Y; y < r.Y+r.H; y++ {
		for x := r.X; x < r.X+r.W; x++ {
			c := m.canvasCell(vp, x, y)
			c.Attr ^= model.Reverse
		}
	}
}

func (m *Model) drawFloat(vp model.Rect) {
	f := m.float
	if f == nil || !f.src.Empty() && m.previewMove(vp) {
		return
	}
	src := f.src.Intersect(vp)
	for y := src.Y; y < src.Y+src.H; y++ {
		for x := src.X; x < src.X+src.W; x++ {
			*m.canvasCell(vp, x, y) = model.Cell{}
		}
	}
	dst := f.rect(m.cursor())
	for y := range f.b.h {
		for x := range f.b.w {
			b := f.b.at(x, y)
			if b.Ch == 0 {
				continue
			}
			if c := m.canvasCell(vp, dst.X+x, dst.Y+y); c != nil {
				*c = b
			}
		}
	}
}

// peerIDs are the roster's peers in ID order, so that overlapping cursors
// stack the same way on every frame.
func (m *Model) peerIDs() []uint16 {
	ids := make([]uint16, 0, len(m.roster))
	for id := range m.roster {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// peerColors are given to peers that did not choose a colour.
var peerColors = [...]uint8{203, 114, 75, 221, 177, 80, 215, 147}

func (m *Model) peerColor(id uint16) model.Color {
	if p, ok := m.roster[id]; ok && !p.Color.IsDefault() {
		return p.Color
	}
	return model.Indexed(peerColors[int(id)%len(peerColors)])
}

// drawPeers draws each visible peer's cursor in their colour with their
// name beside it, or an arrow at the screen's edge pointing at them.
func (m *Model) drawPeers(vp model.Rect) {
	ch := m.canvasH()
	if ch <= 0 {
		return
	}
	for _, id := range m.peerIDs() {
		ps, age, ok := m.live(id)
		if !ok || !ps.p.HasCursor {
			if ps := m.peers[id]; ps != nil {
				ps.label.set = false // at its resting place when it shows again
			}
			continue
		}
		col := m.peerColor(id)
		// A block of the peer's colour with the glyph in the terminal's
		// background, as a terminal draws its own cursor: legible on any
		// theme where the colour is visible at all, and the shortest SGR
		// (reverse and one colour) for a cell that moves every frame.
		tag := model.Cell{FG: col, Attr: model.Reverse}
		faded := age > fadeAfter
		if faded {
			tag = model.Cell{FG: col, Attr: model.Faint}
		}
		name := m.peerLabel(id)
		if m.roster[id].Bot {
			name += " (bot)"
		}
		p := ps.p.Cursor
		if vp.Contains(p.X, p.Y) {
			sx, sy := int(p.X-vp.X), int(p.Y-vp.Y)
			c := m.cell(sx, sy)
			if faded {
				c.FG, c.Attr = col, c.Attr|model.Faint
			} else {
				c.FG, c.BG, c.Attr = tag.FG, tag.BG, c.Attr|tag.Attr
				if c.Ch == 0 {
					c.Ch = ' '
				}
			}
			ly := sy + 1
			if ly >= ch {
				ly = sy - 1
			}
			lx := sx + 1
			if n := utf8.RuneCountInString(name); lx+n > m.w {
				lx = sx - n
			}
			if lx, ly, ok := m.placeLabel(ps, vp, lx, ly, sx, sy, labelWidth(name)); ok {
				m.put(lx, ly, name, tag, m.w)
			}
			continue
		}
		// Off screen: an arrow on the edge, on the line towards them; the
		// label is back at its resting place when they return.
		ps.label.set = false
		sx := int(min(max(int64(p.X)-int64(vp.X), 0), int64(m.w-1)))
		sy := int(min(max(int64(p.Y)-int64(vp.Y), 0), int64(ch-1)))
		left, right := int64(p.X) < int64(vp.X), int64(p.X) >= int64(vp.X)+int64(vp.W)
		up, down := int64(p.Y) < int64(vp.Y), int64(p.Y) >= int64(vp.Y)+int64(vp.H)
		arrow := "→"
		switch {
		case up && left:
			arrow = "↖"
		case up && right:
			arrow = "↗"
		case down && left:
			arrow = "↙"
		case down && right:
			arrow = "↘"
		case up:
			arrow = "↑"
		case down:
			arrow = "↓"
		case left:
			arrow = "←"
		}
		label := arrow + name
		if right {
			label = name + arrow
		}
		n := utf8.RuneCountInString(label)
		lx := sx
		if right || lx+n > m.w {
			lx = sx - n + 1
		}
		m.put(max(lx, 0), sy, label, tag, m.w)
	}
}

// noColor reports a terminal that shows no colour (or NO_COLOR is set).
func (m *Model) noColor() bool {
	return m.profile == colorprofile.ASCII || m.profile == colorprofile.NoTTY
}

// contrast picks black or white text for a background colour.
func contrast(c model.Color) model.Color {
	if luminance(c) > 0.5 {
		return model.Indexed(16) // black in the cube: not remapped by themes
	}
	return model.Indexed(231) // white
}

// ansi16 approximates the xterm defaults of the 16 ANSI colours.
var ansi16 = [16][3]uint8{
	{0, 0, 0}, {205, 0, 0}, {0, 205, 0}, {205, 205, 0}, {0, 0, 238}, {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
	{127, 127, 127}, {255, 0, 0}, {0, 255, 0}, {255, 255, 0}, {92, 92, 255}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
}

// rgbOf gives the colour's approximate RGB; the default counts as black
// (a dark terminal background).
func rgbOf(c model.Color) (r, g, b uint8) {
	if r, g, b, ok := c.RGB(); ok {
		return r, g, b
	}
	i, ok := c.Index()
	switch {
	case !ok:
		return 0, 0, 0
	case i < 16:
		v := ansi16[i]
		return v[0], v[1], v[2]
	case i < 232:
		steps := [6]uint8{0, 95, 135, 175, 215, 255}
		i -= 16
		return steps[i/36], steps[i/6%6], steps[i%6]
	}
	v := 8 + 10*(i-232)
	return v, v, v
}

func luminance(c model.Color) float64 {
	r, g, b := rgbOf(c)
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 255
}

// encode writes the grid as one string: a row per line, an SGR sequence
// only where the style changes, each taken from the cache. Runes are
// written as they are, except that in ASCII mode box and arrow glyphs
// become their ASCII look-alikes, and control characters never reach the
// terminal.
func (m *Model) encode() string {
	var sb strings.Builder
	sb.Grow(m.frameLen + m.frameLen/8 + 64)
	cur := model.Cell{Attr: 0xff} // no real style: the first cell sets one
	for y := range m.h {
		if y > 0 {
			sb.WriteByte('\n')
		}
		row := m.scr[y*m.w : (y+1)*m.w]
		for i := 0; i < len(row); i++ {
			c := row[i]
			st := model.Cell{FG: c.FG, BG: c.BG, Attr: c.Attr}
			if st != cur {
				sb.WriteString(m.sgrOf(st))
				cur = st
			}
			r := c.Ch
			switch {
			case r == 0:
				sb.WriteByte(' ')
				continue
			case r < 0x80:
				if r < 0x20 || r == 0x7f {
					r = '?'
				}
				sb.WriteByte(byte(r))
				continue
			case r == model.Continuation:
				sb.WriteByte(' ') // a right half whose wide cell was drawn over
				continue
			case r >= 0x1100 && c.IsWide():
				// A wide rune covers its continuation's column too; without
				// one (cut by the screen's edge, or drawn over) it is a space.
				if i+1 == len(row) || row[i+1].Ch != model.Continuation {
					sb.WriteByte(' ')
					continue
				}
				i++
				if m.ascii {
					sb.WriteString(asciiWide)
					continue
				}
			case m.ascii:
				r = asciiOf(r)
			case r < 0xa0:
				r = '?'
			}
			sb.WriteRune(r)
		}
	}
	sb.WriteString("\x1b[m")
	m.frameLen = sb.Len()
	return sb.String()
}

// sgrOf returns the SGR sequence that sets style st (a Cell whose Ch is
// 0), computed once per style and then cached: a frame looks up one
// string per style change, and builds none.
func (m *Model) sgrOf(st model.Cell) string {
	if s, ok := m.sgr[st]; ok {
		return s
	}
	b := []byte("\x1b[0")
	for _, a := range [...]struct {
		a model.Attr
		p string
	}{{model.Bold, "1"}, {model.Faint, "2"}, {model.Italic, "3"}, {model.Underline, "4"}, {model.Reverse, "7"}, {model.Strike, "9"}} {
		if st.Attr&a.a != 0 {
			b = append(b, ';')
			b = append(b, a.p...)
		}
	}
	b = appendColorSGR(b, st.FG, 30, 90, "38")
	b = appendColorSGR(b, st.BG, 40, 100, "48")
	s := string(append(b, 'm'))
	if len(m.sgr) > 4096 {
		clear(m.sgr) // a canvas of endless truecolor styles must not grow it forever
	}
	m.sgr[st] = s
	return s
}

func appendColorSGR(b []byte, c model.Color, base, bright int, ext string) []byte {
	if i, ok := c.Index(); ok {
		b = append(b, ';')
		switch {
		case i < 8:
			return strconv.AppendInt(b, int64(base)+int64(i), 10)
		case i < 16:
			return strconv.AppendInt(b, int64(bright)+int64(i)-8, 10)
		}
		b = append(b, ext...)
		b = append(b, ";5;"...)
		return strconv.AppendInt(b, int64(i), 10)
	}
	if r, g, bl, ok := c.RGB(); ok {
		b = append(b, ';')
		b = append(b, ext...)
		b = append(b, ";2;"...)
		b = strconv.AppendInt(b, int64(r), 10)
		b = append(b, ';')
		b = strconv.AppendInt(b, int64(g), 10)
		b = append(b, ';')
		return strconv.AppendInt(b, int64(bl), 10)
	}
	return b
}
