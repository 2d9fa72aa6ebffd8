package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
)

// A peer's name label is anchored: while their cursor moves it stays where
// it is, as long as it stays near its resting place (one cell right of and
// below the cursor, or the left/above variants at the screen's edges) and
// does not cover the cursor. When a moving cursor leaves that neighbourhood
// the label steps out of the way instead of chasing it: it is hidden until
// the cursor has been still for labelSettle, or for at most labelHideMax
// of continuous motion, and then drawn at its resting place. A jump (the
// cursor farther from where it was last drawn than the neighbourhood) puts
// the label at its new resting place at once, as does a cursor that
// appears. A moved cursor then costs the terminal its two cells, not also
// the label's old and new cells (DESIGN.md §7's 64 bytes a move), and
// every still screen is what it was with a label that follows exactly.
const (
	labelSettle  = 150 * time.Millisecond
	labelHideMax = time.Second
	labelSlackX  = 12 // columns the label may lag its resting place by
	labelSlackY  = 3  // rows
)

// labelAnchor is where a peer's label was last drawn, in canvas cells, so
// that it stays on the same canvas cell when our own view pans, and where
// their cursor was then.
type labelAnchor struct {
	set    bool
	x, y   int32
	cx, cy int32     // the cursor, when the label was last placed
	hidden time.Time // when it stepped out of the way; zero while shown
}

// settleMsg is due when a moving cursor may have come to rest, so that its
// label's catch-up is drawn even when nothing else happens.
type settleMsg struct{}

// placeLabel returns the screen cell where peer ps's label of width n is
// drawn, given its resting place (rx, ry) and the cursor (sx, sy), and
// remembers it as the label's anchor; ok is false while the label is
// hidden.
func (m *Model) placeLabel(ps *peerState, vp model.Rect, rx, ry, sx, sy, n int) (x, y int, ok bool) {
	a := &ps.label
	now := m.now()
	cx, cy := vp.X+int32(sx), vp.Y+int32(sy)
	moving := a.set && now.Sub(ps.moved) < labelSettle
	jumped := abs64(int64(cx)-int64(a.cx)) > labelSlackX || abs64(int64(cy)-int64(a.cy)) > labelSlackY
	x, y = int(int64(a.x)-int64(vp.X)), int(int64(a.y)-int64(vp.Y))
	fits := abs(x-rx) <= labelSlackX && abs(y-ry) <= labelSlackY &&
		x >= 0 && x+n <= m.w && y >= 0 && y < m.canvasH() &&
		(y != sy || sx < x || sx >= x+n)
	a.cx, a.cy = cx, cy
	switch {
	case !moving || jumped:
	case a.hidden.IsZero() && fits:
		return x, y, true // stays put
	case a.hidden.IsZero():
		a.hidden = now
		return 0, 0, false
	case now.Sub(a.hidden) < labelHideMax:
		return 0, 0, false
	}
	a.set, a.x, a.y, a.hidden = true, vp.X+int32(rx), vp.Y+int32(ry), time.Time{}
	return rx, ry, true
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
