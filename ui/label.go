package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
)

// A peer's name label is anchored: while their cursor moves it stays where
// it is, as long as it stays near its resting place (one cell right of and
// below the cursor, or the left/above variants at the screen's edges) and
// does not cover the cursor; it catches up once the cursor has been still
// for labelSettle, and at once when the cursor leaves that neighbourhood.
// A moved cursor then costs the terminal its two cells, not also the label's
// old and new cells (DESIGN.md §7's 64 bytes a move), and every still
// screen is what it was with a label that follows exactly.
const (
	labelSettle = 150 * time.Millisecond
	labelSlackX = 12 // columns the label may lag its resting place by
	labelSlackY = 3  // rows
)

// labelAnchor is where a peer's label was last drawn, in canvas cells, so
// that it stays on the same canvas cell when our own view pans.
type labelAnchor struct {
	set  bool
	x, y int32
}

// settleMsg is due when a moving cursor may have come to rest, so that its
// label's catch-up is drawn even when nothing else happens.
type settleMsg struct{}

// placeLabel returns the screen cell where peer ps's label of width n is
// drawn, given its resting place (rx, ry) and the cursor (sx, sy), and
// remembers it as the label's anchor.
func (m *Model) placeLabel(ps *peerState, vp model.Rect, rx, ry, sx, sy, n int) (int, int) {
	a := &ps.label
	x, y := int(int64(a.x)-int64(vp.X)), int(int64(a.y)-int64(vp.Y))
	stay := a.set && m.now().Sub(ps.moved) < labelSettle &&
		abs(x-rx) <= labelSlackX && abs(y-ry) <= labelSlackY &&
		x >= 0 && x+n <= m.w && y >= 0 && y < m.canvasH() &&
		(y != sy || sx < x || sx >= x+n)
	if !stay {
		x, y = rx, ry
	}
	a.set, a.x, a.y = true, vp.X+int32(x), vp.Y+int32(y)
	return x, y
}

// labelWidth is the cells a label takes.
func labelWidth(s string) int {
	n := 0
	for _, r := range s {
		n += cellWidth(r)
	}
	return n
}

// settleTimer returns a command that delivers settleMsg when the next
// moving cursor will have been still for labelSettle, if one is moving
// and no such command is already waiting. One timer at a time, however
// many peers move: it is re-armed when it fires.
func (m *Model) settleTimer() tea.Cmd {
	if m.settlePending {
		return nil
	}
	now := m.now()
	var due time.Duration
	for _, ps := range m.peers {
		if !ps.label.set {
			continue
		}
		if d := ps.moved.Add(labelSettle).Sub(now); d > 0 && (due == 0 || d < due) {
			due = d
		}
	}
	if due == 0 {
		return nil
	}
	m.settlePending = true
	return m.after(due, settleMsg{})
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
