package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// panDrag is a mouse pan: the view moves with the pointer from where the
// button went down.
type panDrag struct {
	sx, sy int
	vx, vy int32
}

// hit is a clickable region of the last frame.
type hit struct {
	x0, x1, y int // columns [x0, x1) of row y
	kind      hitKind
	arg       int
}

type hitKind uint8

const (
	hitTool hitKind = iota + 1
	hitPeer
	hitPeers
	hitHelp
	hitPalette
)

func (m *Model) hitAt(x, y int) (hit, bool) {
	for i := len(m.hits) - 1; i >= 0; i-- {
		h := m.hits[i]
		if y == h.y && x >= h.x0 && x < h.x1 {
			return h, true
		}
	}
	return hit{}, false
}

func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	ev := msg.Mouse()
	inCanvas := ev.Y >= 0 && ev.Y < m.canvasH() && ev.X >= 0 && ev.X < m.w
	switch msg.(type) {
	case tea.MouseWheelMsg:
		switch ev.Button {
		case tea.MouseWheelUp, tea.MouseWheelDown:
			d := int32(3)
			if ev.Button == tea.MouseWheelUp {
				d = -3
			}
			if ev.Mod.Contains(tea.ModShift) {
				m.panBy(2*d, 0)
			} else {
				m.panBy(0, d)
			}
		case tea.MouseWheelLeft:
			m.panBy(-6, 0)
		case tea.MouseWheelRight:
			m.panBy(6, 0)
		}
		return nil

	case tea.MouseClickMsg:
		if m.showHelp {
			m.showHelp = false
			return nil
		}
		if h, ok := m.hitAt(ev.X, ev.Y); ok {
			m.clickHit(h)
			return nil
		}
		if m.pal != nil {
			m.pal = nil // a click outside the palette closes it
			return nil
		}
		if !inCanvas {
			return nil
		}
		pan := ev.Button == tea.MouseRight || ev.Button == tea.MouseMiddle ||
			ev.Button == tea.MouseLeft && ev.Mod.Contains(tea.ModAlt) ||
			ev.Button == tea.MouseLeft && ev.Mod.Contains(tea.ModCtrl)
		if pan {
			m.pan = &panDrag{sx: ev.X, sy: ev.Y, vx: m.vx, vy: m.vy}
			return nil
		}
		if ev.Button != tea.MouseLeft {
			return nil
		}
		m.pointAt(ev.X, ev.Y)
		m.press()
		return nil

	case tea.MouseMotionMsg:
		if m.pan != nil {
			m.stopFollowing()
			m.vx = m.pan.vx - int32(ev.X-m.pan.sx)
			m.vy = m.pan.vy - int32(ev.Y-m.pan.sy)
			m.clampView()
			if inCanvas {
				m.pointAt(ev.X, ev.Y)
			}
			return nil
		}
		if inCanvas && m.pal == nil && !m.showHelp {
			m.pointAt(ev.X, ev.Y)
		}
		return nil

	case tea.MouseReleaseMsg:
		if m.pan != nil {
			m.pan = nil
			return nil
		}
		if inCanvas {
			m.pointAt(ev.X, ev.Y)
		}
		if m.st.active && m.st.mouse {
			m.finishStroke()
		}
		if m.float != nil && m.float.mouse {
			m.dropFloat()
		}
	}
	return nil
}

// pointAt puts the cursor on the canvas cell under screen cell (x, y).
func (m *Model) pointAt(x, y int) {
	m.cx = clampCoord(int64(m.vx) + int64(x))
	m.cy = clampCoord(int64(m.vy) + int64(y))
	m.extendStroke()
}

// press is a left click on the canvas at the cursor.
func (m *Model) press() {
	if m.float != nil {
		m.dropFloat()
		return
	}
	if m.text != nil {
		m.finishText()
		if m.tool == ToolText {
			m.beginText(m.cursor())
		}
		return
	}
	if m.readOnly() && m.tool.draws() {
		m.say("read-only: your role in this room cannot draw", 3*time.Second)
		return
	}
	switch m.tool {
	case ToolSelect:
		if !m.sel.Empty() && m.sel.Contains(m.cx, m.cy) {
			m.startMove(true)
			return
		}
		m.beginStroke(true)
	case ToolPen, ToolErase, ToolLine, ToolRect, ToolBox:
		m.beginStroke(true)
	case ToolText:
		m.beginText(m.cursor())
	case ToolFill:
		m.fillAt(m.cursor())
	case ToolPick:
		m.pickAt(m.cursor())
	}
}

func (m *Model) clickHit(h hit) {
	switch h.kind {
	case hitTool:
		m.setTool(Tool(h.arg))
	case hitPeer:
		m.jumpTo(uint16(h.arg))
	case hitPeers:
		m.showPeers = !m.showPeers
		if m.showPeers {
			m.setRoster(m.sess.Roster())
		}
	case hitHelp:
		m.showHelp = true
	case hitPalette:
		m.paletteClick(h.arg)
	}
}
