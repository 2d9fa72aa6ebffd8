package sshd_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// rosterNames is the room's roster as obs sees it.
func rosterNames(obs *session.Session) []string {
	var names []string
	for _, p := range obs.Roster() {
		names = append(names, p.Name)
	}
	return names
}

// TestViewersShareOneProgram: two viewers of one room with the same
// terminal size watch one shared canvas program (one "audience"
// participant in the roster beside their own two), both see a commit, and
// one who presses a key gets a program of its own (the help it asked for)
// while the other keeps watching the shared screen.
func TestViewersShareOneProgram(t *testing.T) {
	e := start(t, true, wire.RoleViewer, "")
	ctx := ctxT(t)
	obs := e.observer(ctx, "talk")
	a := e.connect("ann", nil, "talk")
	b := e.connect("bo", nil, "talk")
	a.waitText("seq ")
	b.waitText("seq ")
	deadline := time.Now().Add(20 * time.Second)
	for {
		names := strings.Join(rosterNames(obs), " ")
		if strings.Count(names, "audience") == 1 && strings.Contains(names, "ann") && strings.Contains(names, "bo") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("roster: %s", names)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := obs.Commit([]model.Op{{Kind: model.OpText, X: 3, Y: 2, Text: "shared frame"}}); err != nil {
		t.Fatal(err)
	}
	a.waitText("shared frame")
	b.waitText("shared frame")
	// A peer's text in progress (presence, never committed) is on the
	// shared screen, from the group's own session: the viewers' sessions
	// are quiet while they watch.
	obs.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: 3, Y: 6},
		Ghost: &wire.Ghost{Kind: wire.GhostText, Points: []model.Point{{X: 3, Y: 6}}, Text: "ghostly"}})
	a.waitText("ghostly")
	b.waitText("ghostly")

	a.keys("l")
	a.waitText("1,0") // ann's cursor moved, in ann's own program
	if strings.Contains(b.text(), "1,0") {
		t.Fatalf("bo sees ann's cursor move:\n%s", b.text())
	}
	// Ann's session is loud again: her own program shows the peer's text.
	obs.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: 3, Y: 9},
		Ghost: &wire.Ghost{Kind: wire.GhostText, Points: []model.Point{{X: 3, Y: 9}}, Text: "spectral"}})
	a.waitText("spectral")
	b.waitText("spectral")
	if _, err := obs.Commit([]model.Op{{Kind: model.OpText, X: 3, Y: 4, Text: "after the split"}}); err != nil {
		t.Fatal(err)
	}
	a.waitText("after the split")
	b.waitText("after the split")
	for _, c := range []*client{a, b} {
		c.keys("q")
		if st := c.exit(); st != 0 {
			t.Fatalf("exit status %d", st)
		}
	}
}
