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

// TestInvitePanelWrapsTheLink: on a screen narrower than the link, the
// minted link is shown whole, over several lines, and the list follows.
func TestInvitePanelWrapsTheLink(t *testing.T) {
	a := newAuthority(t, false)
	h := newHarness(t, a, "inv", "own", model.Indexed(1))
	h.keys("ctrl+o")
	h.waitFor("the token list", func() bool { return h.m.inv != nil && h.m.inv.loaded })
	h.keys("e")
	h.waitFor("the minted link", func() bool { return h.m.inv.minted != nil && len(h.m.inv.tokens) == 2 })
	plain, _ := h.screen()
	// Strip the panel's borders and all spacing: the pieces join up.
	squeeze := strings.NewReplacer("│", "", " ", "", "\n", "")
	if !strings.Contains(squeeze.Replace(plain), squeeze.Replace(h.m.inv.minted.Command)) {
		t.Fatalf("the link %s is not whole on screen:\n%s", h.m.inv.minted.Command, plain)
	}
	if !strings.Contains(plain, "live tokens · 2") {
		t.Fatalf("no token list:\n%s", plain)
	}
}
