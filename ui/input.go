package ui

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
)

// Cursor and view positions stay one cell inside the coordinate limit, so
// that the width of any span between two of them fits in an int32.
const coordLimit = model.MaxCoord - 1

func clampCoord(v int64) int32 { return int32(min(max(v, -coordLimit), coordLimit)) }

// clampView keeps the whole viewport inside the coordinate limit.
func (m *Model) clampView() {
	m.vx = int32(min(max(int64(m.vx), -coordLimit), coordLimit-int64(m.w)))
	m.vy = int32(min(max(int64(m.vy), -coordLimit), coordLimit-int64(m.canvasH())))
}

// keepCursorVisible scrolls the view so that the cursor is on screen,
// except while following someone: then the view is theirs to move, and the
// cursor is kept inside it instead.
func (m *Model) keepCursorVisible() {
	w, h := int32(max(m.w, 1)), int32(max(m.canvasH(), 1))
	if m.follow != 0 {
		m.cx = min(max(m.cx, m.vx), m.vx+w-1)
		m.cy = min(max(m.cy, m.vy), m.vy+h-1)
		return
	}
	switch {
	case m.cx < m.vx:
		m.vx = m.cx
	case m.cx >= m.vx+w:
		m.vx = m.cx - w + 1
	}
	switch {
	case m.cy < m.vy:
		m.vy = m.cy
	case m.cy >= m.vy+h:
		m.vy = m.cy - h + 1
	}
	m.clampView()
}

// moveCursor moves the cell cursor by (dx, dy) and lets whatever follows
// the cursor (a stroke, a floating block) follow.
func (m *Model) moveCursor(dx, dy int32) {
	m.cx = clampCoord(int64(m.cx) + int64(dx))
	m.cy = clampCoord(int64(m.cy) + int64(dy))
	m.keepCursorVisible()
	m.extendStroke()
}

// panBy moves the view, and the cursor with it so that it keeps its place
// on screen (a keyboard stroke in progress extends as the canvas scrolls
// under it). Panning yourself stops following.
func (m *Model) panBy(dx, dy int32) {
	m.stopFollowing()
	ox, oy := m.vx, m.vy
	m.vx = clampCoord(int64(m.vx) + int64(dx))
	m.vy = clampCoord(int64(m.vy) + int64(dy))
	m.clampView()
	m.cx = clampCoord(int64(m.cx) + int64(m.vx-ox))
	m.cy = clampCoord(int64(m.cy) + int64(m.vy-oy))
	m.extendStroke()
}

func (m *Model) stopFollowing() {
	if m.follow != 0 {
		m.say("stopped following "+m.peerName(m.follow), 2*time.Second)
		m.follow = 0
	}
}

// handleKey dispatches a key press. The modes come first: the help
// overlay, a pending brush choice, the palette, typing, then the key map.
func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	s := k.String()
	if m.quitting.armed && !key.Matches(k, m.keys.Quit) {
		m.cancelQuit()
		return nil
	}
	if s == "ctrl+c" && m.text == nil {
		return m.quit()
	}
	if m.showHelp {
		// Scroll keys scroll a help taller than the screen; any other
		// key closes it, and does nothing else.
		switch s {
		case "j", "down":
			m.helpTop++
		case "k", "up":
			m.helpTop--
		case "pgdown", "space":
			m.helpTop += max(m.h-4, 1)
		case "pgup":
			m.helpTop -= max(m.h-4, 1)
		default:
			m.showHelp = false
		}
		return nil
	}
	if m.wantBrush {
		m.wantBrush = false
		if s == "esc" {
			return nil
		}
		text := k.Text
		if s == "space" {
			text = " "
		}
		r, err := cellRune(text)
		if text == "" {
			err = errNoBrush
		}
		if err != nil {
			m.say("a brush is one character: "+err.Error(), 4*time.Second)
			return nil
		}
		m.brush = r
		m.say("brush "+quoteRune(m.brush), 2*time.Second)
		return nil
	}
	if m.pal != nil {
		return m.paletteKey(k)
	}
	if m.inv != nil {
		return m.inviteKey(k)
	}
	if m.prompt != nil {
		return m.promptKey(k)
	}
	if m.text != nil {
		_, cmd := m.textKey(k)
		return cmd
	}
	km := &m.keys
	switch {
	case key.Matches(k, km.Quit):
		return m.quit()
	case key.Matches(k, km.Invite):
		m.openInvite()
	case key.Matches(k, km.Save):
		return m.save()
	case key.Matches(k, km.Help):
		m.showHelp, m.helpTop = true, 0
	case key.Matches(k, km.Cancel):
		switch {
		case m.float != nil:
			m.float = nil
		case m.st.active:
			m.cancelStroke()
		case !m.sel.Empty():
			m.sel = model.Rect{}
		case m.showPeers:
			m.showPeers = false
		}
	case key.Matches(k, km.Act):
		m.act()

	case key.Matches(k, km.Up):
		m.moveCursor(0, -1)
	case key.Matches(k, km.Down):
		m.moveCursor(0, 1)
	case key.Matches(k, km.Left):
		m.moveCursor(-1, 0)
	case key.Matches(k, km.Right):
		m.moveCursor(1, 0)
	case key.Matches(k, km.FastUp):
		m.moveCursor(0, -8)
	case key.Matches(k, km.FastDown):
		m.moveCursor(0, 8)
	case key.Matches(k, km.FastLeft):
		m.moveCursor(-8, 0)
	case key.Matches(k, km.FastRight):
		m.moveCursor(8, 0)
	case key.Matches(k, km.PanUp):
		m.panBy(0, -4)
	case key.Matches(k, km.PanDown):
		m.panBy(0, 4)
	case key.Matches(k, km.PanLeft):
		m.panBy(-8, 0)
	case key.Matches(k, km.PanRight):
		m.panBy(8, 0)
	case key.Matches(k, km.PageUp):
		m.panBy(0, -int32(max(m.canvasH()-2, 1)))
	case key.Matches(k, km.PageDown):
		m.panBy(0, int32(max(m.canvasH()-2, 1)))
	case key.Matches(k, km.Origin):
		m.stopFollowing()
		m.vx, m.vy = -2, -1
		m.clampView()
		m.cx, m.cy = 0, 0
		m.extendStroke()

	case key.Matches(k, km.Pen):
		m.setTool(ToolPen)
	case key.Matches(k, km.Line):
		m.setTool(ToolLine)
	case key.Matches(k, km.Rect):
		m.setTool(ToolRect)
	case key.Matches(k, km.Box):
		m.setTool(ToolBox)
	case key.Matches(k, km.Text):
		m.setTool(ToolText)
	case key.Matches(k, km.Erase):
		m.setTool(ToolErase)
	case key.Matches(k, km.Fill):
		m.setTool(ToolFill)
	case key.Matches(k, km.Select):
		m.setTool(ToolSelect)
	case key.Matches(k, km.Pick):
		m.setTool(ToolPick)
	case key.Matches(k, km.Brush):
		m.wantBrush = true
		m.say("type the brush character (esc cancels)", 10*time.Second)
	case key.Matches(k, km.Palette):
		m.openPalette(false)
	case key.Matches(k, km.FGPrev):
		m.fg = stepColor(m.fg, -1)
	case key.Matches(k, km.FGNext):
		m.fg = stepColor(m.fg, 1)
	case key.Matches(k, km.BGPrev):
		m.bg = stepColor(m.bg, -1)
	case key.Matches(k, km.BGNext):
		m.bg = stepColor(m.bg, 1)
	case key.Matches(k, km.ASCII):
		m.ascii = !m.ascii
	case key.Matches(k, km.Elbow):
		m.flipElbow()
	case key.Matches(k, km.Arrows):
		m.cycleArrows()

	case key.Matches(k, km.Copy):
		return m.copySel()
	case key.Matches(k, km.Cut):
		return m.cutSel()
	case key.Matches(k, km.Delete):
		m.deleteSel()
	case key.Matches(k, km.Move):
		m.startMove(false)
	case key.Matches(k, km.Paste):
		m.paste(m.clip)
	case key.Matches(k, km.Import):
		m.startImport()

	case key.Matches(k, km.Undo):
		m.undo()
	case key.Matches(k, km.Redo):
		m.redo()

	case key.Matches(k, km.Peers):
		m.showPeers = !m.showPeers
		if m.showPeers {
			m.setRoster(m.sess.Roster())
		}
	case key.Matches(k, km.NextPeer):
		m.jump(1)
	case key.Matches(k, km.PrevPeer):
		m.jump(-1)
	case key.Matches(k, km.Follow):
		m.toggleFollow()
	case key.Matches(k, km.Invisible):
		m.invisible = !m.invisible
		if m.invisible {
			m.say("invisible: no one sees your cursor (your commits still show)", 4*time.Second)
		} else {
			m.say("visible again", 2*time.Second)
		}
	case key.Matches(k, km.NoFollow):
		m.noFollow = !m.noFollow
		if m.noFollow {
			m.say("no one can follow you now", 3*time.Second)
		} else {
			m.say("others may follow you again", 3*time.Second)
		}
	}
	return nil
}

func (m *Model) undo() {
	if _, err := m.sess.Undo(); err != nil {
		m.say(err.Error(), 3*time.Second)
	}
}

func (m *Model) redo() {
	if _, err := m.sess.Redo(); err != nil {
		m.say(err.Error(), 3*time.Second)
	}
}

// quit finishes what is in progress that has something to keep (typed
// text) and ends the program. Strokes being dragged are dropped, as they
// would be by esc. The session sends what is pending in the background;
// the caller closes it.
// handlePaste places pasted text: typed in when typing, otherwise as a
// block to drop.
func (m *Model) handlePaste(s string) tea.Cmd {
	if m.text != nil {
		if msg := m.text.insert(s); msg != "" {
			m.say(msg, 4*time.Second)
		}
		c := m.text.caret()
		m.cx, m.cy = c.X, c.Y
		m.keepCursorVisible()
		return nil
	}
	if b := blockOfText(s, m.fg, m.bg); b != nil {
		m.paste(b)
	}
	return nil
}

func linkText(l session.Link, now time.Time) string {
	switch l.State {
	case session.Online:
		return "online"
	case session.Connecting:
		if l.Attempt > 0 {
			return "reconnecting…"
		}
		return "connecting…"
	case session.Offline:
		left := l.RetryAt.Sub(now).Round(time.Second)
		if left < time.Second {
			return "offline, retrying…"
		}
		return "offline, retry in " + left.String()
	}
	return "closed"
}
