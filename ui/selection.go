package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
)

// block is a rectangle of cells: the clipboard, or what a move carries.
// Empty cells in it are transparent when it is dropped.
type block struct {
	w, h  int32
	cells []model.Cell
}

func (b *block) at(x, y int32) model.Cell { return b.cells[y*b.w+x] }

// text is the block as plain text, for the terminal's clipboard.
func (b *block) text() string {
	var sb strings.Builder
	for y := range b.h {
		row := b.cells[y*b.w : (y+1)*b.w]
		end := len(row)
		for end > 0 && (row[end-1].Ch == 0 || row[end-1].Ch == ' ') {
			end--
		}
		for _, c := range row[:end] {
			switch c.Ch {
			case 0:
				sb.WriteByte(' ')
			case model.Continuation: // written with its wide cell
			default:
				sb.WriteRune(c.Ch)
			}
		}
		if y < b.h-1 {
			sb.WriteByte('\n')
		}
	}
	return sb.String()
}

// blockOfText lays text out as a block in the current colours: how a
// terminal paste becomes something to place. Wide characters take two
// columns; characters a cell cannot hold (see cellRune) become '?', one
// per character, so the rest of the line keeps its place; tabs become
// spaces.
func blockOfText(s string, fg, bg model.Color) *block {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.ReplaceAll(s, "\t", "    ")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	rows := make([][]rune, len(lines))
	b := &block{h: int32(len(lines))}
	for y, l := range lines {
		eachCluster(l, func(cl string) {
			r, err := cellRune(cl)
			if err != nil {
				r = '?'
			}
			rows[y] = append(rows[y], r)
		})
		b.w = max(b.w, lineWidth(rows[y]))
	}
	if b.w == 0 || int64(b.w)*int64(b.h) > int64(maxCells) {
		return nil
	}
	b.cells = make([]model.Cell, b.w*b.h)
	for y, row := range rows {
		x := 0
		for _, r := range row {
			c := model.Cell{Ch: r, FG: fg, BG: bg}
			if r != ' ' {
				b.cells[y*int(b.w)+x] = c
			}
			if c.IsWide() {
				x++
				b.cells[y*int(b.w)+x] = model.Cell{Ch: model.Continuation, FG: fg, BG: bg}
			}
			x++
		}
	}
	return b
}

// floating is a block following the cursor until it is dropped: a paste,
// or a move of the selection (src is where it came from).
type floating struct {
	b     *block
	off   model.Point // the cursor's position inside the block
	src   model.Rect  // move: the cells the block leaves; empty for a paste
	mouse bool        // dragged: dropped on release

	// The move's commit as last previewed, for a destination and the
	// canvas as of a seq and a count of pending commits: frames come far
	// more often than the block moves.
	prevAt      model.Point
	prevSeq     uint64
	prevPending int
	prevOps     []model.Op
	prevOK      bool
}

func (f *floating) rect(cursor model.Point) model.Rect {
	return model.Rect{X: cursor.X - f.off.X, Y: cursor.Y - f.off.Y, W: f.b.w, H: f.b.h}
}

func (m *Model) copyRect(r model.Rect) *block {
	return &block{w: r.W, h: r.H, cells: m.sess.Region(r, nil)}
}

// copySel puts the selection in the clipboard, and its text in the
// terminal's clipboard too (OSC 52), so it can be pasted elsewhere.
func (m *Model) copySel() tea.Cmd {
	if m.sel.Empty() {
		m.say("nothing selected: s, then space or drag, selects", 3*time.Second)
		return nil
	}
	m.clip = m.copyRect(m.sel)
	m.say("copied: P or ctrl+v pastes", 3*time.Second)
	return tea.SetClipboard(m.clip.text())
}

// clearRectOp erases r.
func clearRectOp(r model.Rect) model.Op {
	return model.Op{Kind: model.OpRect, X: r.X, Y: r.Y, W: r.W, H: r.H}
}

func (m *Model) cutSel() tea.Cmd {
	if m.sel.Empty() {
		m.eraseAt(m.cursor())
		return nil
	}
	if m.readOnly() {
		return m.copySel()
	}
	cmd := m.copySel()
	if m.commit([]model.Op{clearRectOp(m.sel)}) {
		m.say("cut: P or ctrl+v pastes", 3*time.Second)
	}
	m.sel = model.Rect{}
	return cmd
}

func (m *Model) deleteSel() {
	if m.sel.Empty() {
		m.eraseAt(m.cursor())
		return
	}
	if m.readOnly() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	m.commit([]model.Op{clearRectOp(m.sel)})
	m.sel = model.Rect{}
}

// startMove lifts the selection so that it follows the cursor.
func (m *Model) startMove(mouse bool) {
	if m.sel.Empty() {
		m.say("nothing selected to move", 3*time.Second)
		return
	}
	if m.readOnly() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	p := m.cursor()
	off := model.Point{X: p.X - m.sel.X, Y: p.Y - m.sel.Y}
	off.X = min(max(off.X, 0), m.sel.W-1)
	off.Y = min(max(off.Y, 0), m.sel.H-1)
	m.float = &floating{b: m.copyRect(m.sel), off: off, src: m.sel, mouse: mouse}
}

// paste places the clipboard at the cursor, to be moved and dropped.
func (m *Model) paste(b *block) {
	if b == nil {
		m.say("the clipboard is empty: select, then y copies", 3*time.Second)
		return
	}
	if m.readOnly() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	m.cancelStroke()
	m.float = &floating{b: b}
	m.say("move it, then space or click to drop; esc cancels", 4*time.Second)
}

// dropFloat commits the floating block where it is. A move erases its
// source, writes its cells and stretches the lines attached to the boxes
// it carries (model.MoveOps), all in one commit, so one undo puts it back.
func (m *Model) dropFloat() {
	f := m.float
	m.float = nil
	if f == nil {
		return
	}
	dst := f.rect(m.cursor())
	if !f.src.Empty() {
		if dst.X == f.src.X && dst.Y == f.src.Y {
			return // dropped where it was
		}
		ops := model.MoveOps(m.sess.Get, f.src, dst.X-f.src.X, dst.Y-f.src.Y)
		if ops == nil {
			m.say(fmt.Sprintf("cannot move %d×%d cells: one commit may touch at most %d", f.src.W, f.src.H, maxCells), 5*time.Second)
			return
		}
		if m.commit(ops) {
			m.sel = dst // the selection travels with what was moved
		}
		return
	}
	var cells []model.CellAt
	for y := range f.b.h {
		for x := range f.b.w {
			if c := f.b.at(x, y); c.Ch != 0 && c.Ch != model.Continuation { // a wide cell brings its own
				cells = append(cells, model.CellAt{X: dst.X + x, Y: dst.Y + y, Cell: c})
			}
		}
	}
	if len(cells) > 0 {
		m.commit([]model.Op{{Kind: model.OpSet, Cells: cells}})
	}
}

// previewMove draws a move in progress as its commit will leave the
// screen, connectors stretched, by playing the commit's ops onto the
// frame. It reports false when there is nothing to show that way.
func (m *Model) previewMove(vp model.Rect) bool {
	f := m.float
	dst := f.rect(m.cursor())
	at := model.Point{X: dst.X, Y: dst.Y}
	info := m.sess.Info()
	if !f.prevOK || f.prevAt != at || f.prevSeq != info.Seq || f.prevPending != info.Pending {
		f.prevOps = model.MoveOps(m.sess.Get, f.src, dst.X-f.src.X, dst.Y-f.src.Y)
		f.prevAt, f.prevSeq, f.prevPending, f.prevOK = at, info.Seq, info.Pending, true
	}
	ops := f.prevOps
	if ops == nil {
		return false
	}
	for _, op := range ops {
		switch op.Kind {
		case model.OpRect:
			r := model.Rect{X: op.X, Y: op.Y, W: op.W, H: op.H}.Intersect(vp)
			for y := r.Y; y < r.Y+r.H; y++ {
				for x := r.X; x < r.X+r.W; x++ {
					*m.canvasCell(vp, x, y) = model.Cell{Ch: op.Ch, FG: op.FG, BG: op.BG, Attr: op.Attr}
				}
			}
		case model.OpSet:
			for _, ca := range op.Cells {
				c := m.canvasCell(vp, ca.X, ca.Y)
				if c == nil {
					continue
				}
				cell := ca.Cell
				if op.Merge {
					cell.Ch = model.MergeBox(c.Ch, cell.Ch)
				}
				*c = cell
			}
		}
	}
	return true
}
