package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// at returns the n cells of screen row y from column x, as the user reads them.
func at(plain string, x, y, n int) string {
	lines := strings.Split(plain, "\n")
	if y >= len(lines) {
		return ""
	}
	r := []rune(lines[y] + strings.Repeat(" ", x+n))
	return string(r[x : x+n])
}

// TestGoldenLabelAnchor: a peer's name label stays where it is while their
// cursor moves near it, comes back to its resting place (one cell right of
// and below the cursor) once the cursor has been still for labelSettle, by
// a frame the model schedules itself, moves at once when the cursor jumps,
// and is hidden while a moving cursor is on it or has left it behind, for
// labelHideMax at most. Screen cell (x, y) shows canvas cell (x-2, y-1).
func TestGoldenLabelAnchor(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "label", "ann", model.Indexed(203))
	bob := dial(t, h.ctx, a.link("label"), "bob", model.Indexed(114))
	h.waitFor("the roster", func() bool { return len(h.m.roster) == 1 })
	moveTo := func(p model.Point) {
		t.Helper()
		point(bob, p, wire.Presence{})
		h.waitFor("bob's cursor to move", func() bool { b := h.peer("bob"); return b != nil && b.p.Cursor == p })
	}
	hidden := func(what string) {
		t.Helper()
		plain, _ := h.screen()
		lines := strings.Split(plain, "\n")
		if canvas := strings.Join(lines[:len(lines)-1], "\n"); strings.Contains(canvas, "bob") {
			t.Fatalf("%s: want bob's label out of the way, found it on the canvas:\n%s", what, plain)
		}
	}
	// settle runs the frame the model scheduled for a cursor at rest, as
	// Bubble Tea would (the harness runs no commands).
	settle := func() {
		t.Helper()
		h.m.settlePending = false
		catchUp := h.m.settleTimer()
		if catchUp == nil {
			t.Fatal("no catch-up frame is due for a moving cursor")
		}
		h.clock = h.clock.Add(labelSettle)
		h.send(catchUp())
	}
	label := func(what string, x, y int) {
		t.Helper()
		plain, _ := h.screen()
		if got := at(plain, x, y, 3); got != "bob" {
			t.Fatalf("%s: want bob's label at screen %d,%d, found %q there; the screen:\n%s", what, x, y, got, plain)
		}
	}

	moveTo(model.Point{X: 10, Y: 5})
	label("first seen", 13, 7)

	// (a) Moving a cell a frame, right and then down: the label stays.
	h.clock = h.clock.Add(time.Second) // it had rested
	for _, p := range []model.Point{{X: 11, Y: 5}, {X: 12, Y: 5}, {X: 13, Y: 5}, {X: 14, Y: 5}, {X: 14, Y: 6}, {X: 15, Y: 6}, {X: 16, Y: 6}} {
		h.clock = h.clock.Add(16 * time.Millisecond)
		moveTo(p)
		label("moving", 13, 7)
	}
	if !h.m.settlePending {
		t.Fatal("the moves scheduled no catch-up frame")
	}
	h.golden("label_moving") // bob's cursor at 18,7, his label still at 13,7

	// (b) Still for less than labelSettle: still put. Then the frame the
	// model scheduled arrives and the label is back at its resting place.
	// The harness runs no commands: run the timer's here, as Bubble Tea would.
	h.m.settlePending = false
	catchUp := h.m.settleTimer()
	if catchUp == nil {
		t.Fatal("no catch-up frame is due for a label away from its resting place")
	}
	h.clock = h.clock.Add(labelSettle - time.Millisecond)
	h.send(frameMsg{})
	label("still for less than the pause", 13, 7)
	h.clock = h.clock.Add(time.Millisecond)
	msg := catchUp()
	if _, ok := msg.(settleMsg); !ok {
		t.Fatalf("the catch-up command delivered %T, want settleMsg", msg)
	}
	h.send(msg)
	label("after the pause", 19, 8)
	h.golden("label_settled") // what the screen was before anchoring: the label at rest
	if h.m.settleTimer() != nil {
		t.Fatal("a catch-up frame is scheduled with every cursor at rest")
	}

	// (c) A jump far away: the label is at its new resting place at once.
	h.clock = h.clock.Add(16 * time.Millisecond)
	moveTo(model.Point{X: 40, Y: 12})
	label("after a jump", 43, 14)

	// A move onto the label's row under it: rather than cover the cursor
	// or chase it, the label steps out of the way until the cursor rests.
	h.clock = h.clock.Add(16 * time.Millisecond)
	moveTo(model.Point{X: 41, Y: 13}) // screen 43,14: where "b" was
	hidden("with the cursor where the label was")
	settle()
	label("rested where the label was", 44, 15)

	// Leaving the neighbourhood, one cell a frame: the label stays while it
	// lags at most labelSlackX columns, then steps out of the way.
	for x := int32(42); x <= 41+labelSlackX; x++ {
		h.clock = h.clock.Add(16 * time.Millisecond)
		moveTo(model.Point{X: x, Y: 13})
	}
	label("at the neighbourhood's edge", 44, 15)
	h.clock = h.clock.Add(16 * time.Millisecond)
	moveTo(model.Point{X: 42 + labelSlackX, Y: 13})
	hidden("past the neighbourhood's edge")

	// Moving on (back and forth over two cells): hidden for labelHideMax,
	// then at its resting place, and anchored there again.
	gone := h.clock
	x := int32(42 + labelSlackX)
	for h.clock.Add(16*time.Millisecond).Sub(gone) < labelHideMax {
		h.clock = h.clock.Add(16 * time.Millisecond)
		x = 85 + labelSlackX - x // 42+slack ↔ 43+slack
		moveTo(model.Point{X: x, Y: 13})
		hidden("still moving")
	}
	h.clock = h.clock.Add(16 * time.Millisecond)
	x = 85 + labelSlackX - x
	moveTo(model.Point{X: x, Y: 13})
	label("after moving for labelHideMax", int(x)+3, 15)
	h.clock = h.clock.Add(16 * time.Millisecond)
	moveTo(model.Point{X: 85 + labelSlackX - x, Y: 13})
	label("anchored again", int(x)+3, 15)
}
