package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/tcanvas/tcanvas/model"
)

// quits reports whether running cmd would end the program.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	switch msg := cmd().(type) {
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if quits(c) {
				return true
			}
		}
	}
	return false
}

// TestHostIsAskedBeforeQuittingEndsTheRoom: in local mode the first q,
// with a guest in the room, only asks; any other key stays; q twice quits.
// Alone, one q quits.
func TestHostIsAskedBeforeQuittingEndsTheRoom(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "host", "lou", model.Indexed(1), func(o *Options) { o.HostsRoom = true })
	guest := dial(t, h.ctx, a.link("host"), "guest", model.Indexed(2))
	h.waitFor("the guest", func() bool { return len(h.m.roster) == 1 })
	press := func(k string) tea.Cmd { _, cmd := h.m.Update(keyMsg(k)); return cmd }
	if quits(press("q")) {
		t.Fatal("the first q quit with a guest in the room")
	}
	if plain, _ := h.screen(); !strings.Contains(plain, "1 other is here: quitting ends the room for them") {
		t.Fatalf("no question on screen:\n%s", plain)
	}
	if quits(press("l")) {
		t.Fatal("another key quit")
	}
	if quits(press("q")) {
		t.Fatal("q after a cancelled quit quit at once")
	}
	if !quits(press("q")) {
		t.Fatal("the second q did not quit")
	}
	guest.Close()
	h2 := newHarness(t, a, "alone", "lou", model.Indexed(1), func(o *Options) { o.HostsRoom = true })
	if _, cmd := h2.m.Update(keyMsg("q")); !quits(cmd) {
		t.Fatal("q alone did not quit")
	}
}
