package ui

import (
	"fmt"
	"time"

	"github.com/tcanvas/tcanvas/model"
)

// stroke is a drag in progress: pen, eraser, line, rectangle, box, or a
// selection being spanned. It is committed when released (mouse up, or a
// second space) and shown to peers as a ghost meanwhile.
type stroke struct {
	active bool
	mouse  bool // started by the mouse: ends on release, not on space
	tool   Tool
	s      shape
	seen   map[model.Point]bool // shapeFree: cells already in s.pts
	full   bool                 // shapeFree hit maxCells
	// shapePath: whether the elbow goes along the row first, and whether
	// that was chosen (by the first move away from the start, or v) yet.
	hFirst, elbowSet bool
}

func (m *Model) cursor() model.Point { return model.Point{X: m.cx, Y: m.cy} }

// beginStroke starts a stroke of the current tool at the cursor.
func (m *Model) beginStroke(mouse bool) {
	p := m.cursor()
	st := stroke{active: true, mouse: mouse, tool: m.tool}
	st.s = shape{a: p, b: p, ch: m.brush, style: m.boxStyle}
	switch m.tool {
	case ToolPen, ToolErase:
		st.s.kind = shapeFree
		if m.tool == ToolErase {
			st.s.ch = 0
		}
		st.seen = map[model.Point]bool{p: true}
		st.s.pts = []model.Point{p}
	case ToolLine:
		st.s.kind = shapeLine
		if !m.lineBrush {
			st.s.kind, st.s.arrows = shapePath, m.arrows
			st.s.pts = []model.Point{p}
		}
	case ToolRect:
		st.s.kind = shapeRect
		if m.rectFilled {
			st.s.kind = shapeRectFill
		}
	case ToolBox:
		st.s.kind = shapeBox
	case ToolSelect:
		st.s.kind = shapeNone // shown as a selection, not drawn
		m.sel = model.Rect{}
	default:
		return
	}
	m.st = st
}

// extendStroke follows the cursor with the active stroke.
func (m *Model) extendStroke() {
	if !m.st.active {
		return
	}
	p := m.cursor()
	if m.st.s.kind == shapePath {
		m.st.s.b = p
		if !m.st.elbowSet && p != m.st.s.a {
			// The first move decides where the elbow goes: a drag that
			// sets off sideways runs along the row first.
			dx, dy := int64(p.X)-int64(m.st.s.a.X), int64(p.Y)-int64(m.st.s.a.Y)
			m.st.hFirst, m.st.elbowSet = abs64(dx) >= abs64(dy), true
		}
		m.routeLine()
		return
	}
	if m.st.s.kind != shapeFree {
		m.st.s.b = p
		return
	}
	// The mouse skips cells when it moves fast; join the last cell to this
	// one so a quick stroke is still a line.
	last := m.st.s.pts[len(m.st.s.pts)-1]
	linePoints(last, p, maxCells, func(x, y int32) {
		q := model.Point{X: x, Y: y}
		if m.st.seen[q] {
			return
		}
		if len(m.st.s.pts) >= maxCells {
			m.st.full = true
			return
		}
		m.st.seen[q] = true
		m.st.s.pts = append(m.st.s.pts, q)
	})
	m.st.s.b = p
}

// routeLine lays the line being drawn out from its ends: one elbow, and
// arrowheads that stop short of a box line they are drawn onto.
func (m *Model) routeLine() {
	s := &m.st.s
	s.arrows = m.arrows
	s.pts = model.TrimArrows(model.Route(s.a, s.b, m.st.hFirst), s.arrows, m.under)
}

// flipElbow puts the elbow of the line being drawn on its other side.
func (m *Model) flipElbow() {
	if !m.st.active || m.st.s.kind != shapePath {
		m.say("v flips the elbow of a line while you draw it", 3*time.Second)
		return
	}
	m.st.hFirst, m.st.elbowSet = !m.st.hFirst, true
	m.routeLine()
}

// arrowNames describe the arrowhead settings, in the order > cycles them.
var arrowCycle = [...]model.Arrows{0, model.ArrowEnd, model.ArrowBoth, model.ArrowStart}

var arrowNames = map[model.Arrows]string{0: "no arrows", model.ArrowEnd: "arrow at the end", model.ArrowBoth: "arrows at both ends", model.ArrowStart: "arrow at the start"}

// cycleArrows steps the line tool's arrowheads: none, end, both, start.
func (m *Model) cycleArrows() {
	i := 0
	for j, a := range arrowCycle {
		if a == m.arrows {
			i = j
		}
	}
	m.arrows = arrowCycle[(i+1)%len(arrowCycle)]
	if m.st.active && m.st.s.kind == shapePath {
		m.routeLine()
	}
	m.say("line: "+arrowNames[m.arrows], 2*time.Second)
}

// finishStroke commits the active stroke, or turns a selection drag into
// the selection.
func (m *Model) finishStroke() {
	if !m.st.active {
		return
	}
	st := m.st
	m.st = stroke{}
	if st.tool == ToolSelect {
		m.sel = spanRect(st.s.a, st.s.b)
		if st.mouse && st.s.a == st.s.b {
			m.sel = model.Rect{} // a click without a drag clears the selection
		}
		return
	}
	if st.full {
		m.say(fmt.Sprintf("stroke cut at %d cells, the most one commit may touch", maxCells), 5*time.Second)
	}
	m.commit(st.s.ops(m.fg, m.bg, m.under))
}

func (m *Model) cancelStroke() { m.st = stroke{} }

// act is space (or enter): what the current tool does at the cursor.
func (m *Model) act() {
	if m.float != nil {
		m.dropFloat()
		return
	}
	if m.readOnly() && m.tool.draws() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	switch m.tool {
	case ToolPen, ToolErase, ToolLine, ToolRect, ToolBox, ToolSelect:
		if m.st.active {
			m.finishStroke()
		} else {
			m.beginStroke(false)
		}
	case ToolText:
		m.beginText(m.cursor())
	case ToolFill:
		m.fillAt(m.cursor())
	case ToolPick:
		m.pickAt(m.cursor())
	}
}

// fillAt flood-fills the region of cells equal to the one at p with the
// brush. The canvas is unbounded, so the fill is bounded by what is on
// screen (and by maxCells): an open region fills to the screen's edges,
// which is what the user can see and check.
func (m *Model) fillAt(p model.Point) {
	vp := m.viewport()
	if !vp.Contains(p.X, p.Y) || vp.Empty() {
		return
	}
	cells := m.sess.Region(vp, nil)
	w, h := int(vp.W), int(vp.H)
	start := int(p.Y-vp.Y)*w + int(p.X-vp.X)
	target := cells[start]
	repl := model.Cell{Ch: m.brush, FG: m.fg, BG: m.bg}
	if target == repl {
		return
	}
	filled := make([]bool, len(cells))
	queue := []int{start}
	filled[start] = true
	n := 1
	try := func(j int) {
		if !filled[j] && cells[j] == target && n < maxCells {
			filled[j] = true
			n++
			queue = append(queue, j)
		}
	}
	for len(queue) > 0 {
		i := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if x := i % w; x > 0 {
			try(i - 1)
		}
		if x := i % w; x < w-1 {
			try(i + 1)
		}
		if i >= w {
			try(i - w)
		}
		if i+w < len(cells) {
			try(i + w)
		}
	}
	if n >= maxCells {
		m.say(fmt.Sprintf("fill stopped at %d cells, the most one commit may touch", maxCells), 5*time.Second)
	}
	// One thin rectangle per horizontal run: a fill is mostly long runs.
	var ops []model.Op
	for y := range h {
		for x := 0; x < w; {
			if !filled[y*w+x] {
				x++
				continue
			}
			x0 := x
			for x < w && filled[y*w+x] {
				x++
			}
			ops = append(ops, model.Op{Kind: model.OpRect, X: vp.X + int32(x0), Y: vp.Y + int32(y),
				W: int32(x - x0), H: 1, Ch: m.brush, FG: m.fg, BG: m.bg})
		}
	}
	m.commit(ops)
}

// pickAt takes the brush and colours from the cell at p (an empty cell
// gives the default colours and keeps the brush), then returns to the tool
// that was in use.
func (m *Model) pickAt(p model.Point) {
	c := m.sess.Get(p.X, p.Y)
	if c.IsContinuation() {
		c = m.sess.Get(p.X-1, p.Y) // the right half of a wide character
	}
	if c.Ch != 0 {
		m.brush = c.Ch
	}
	m.fg, m.bg = c.FG, c.BG
	m.say(fmt.Sprintf("picked %q, fg %s, bg %s", m.brush, colorName(m.fg), colorName(m.bg)), 3*time.Second)
	if m.tool == ToolPick {
		m.tool = m.prevTool
	}
}

// eraseAt erases one cell: x or delete with nothing selected.
func (m *Model) eraseAt(p model.Point) {
	if m.readOnly() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	if m.sess.Get(p.X, p.Y).IsEmpty() {
		return
	}
	m.commit([]model.Op{{Kind: model.OpSet, Cells: []model.CellAt{{X: p.X, Y: p.Y}}}})
}
