package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestLookAlikeNamesShowPeerIDs is finding 9 of issue 15: a participant
// named "bоb" (Cyrillic о) passed for "bob". When two names look alike,
// the cursor labels and the peer list show the peer ID the authority
// assigned beside each; a name like nobody else's stays bare.
func TestLookAlikeNamesShowPeerIDs(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "alike", "ann", model.Indexed(203))
	bob := dial(t, h.ctx, a.link("alike"), "bob", model.Indexed(114))
	fake := dial(t, h.ctx, a.link("alike"), "bоb", model.Indexed(75))
	cy := dial(t, h.ctx, a.link("alike"), "cy", model.Indexed(40))
	h.waitFor("the roster", func() bool { return len(h.m.roster) == 3 })
	point(bob, model.Point{X: 5, Y: 3}, wire.Presence{})
	point(fake, model.Point{X: 5, Y: 8}, wire.Presence{})
	point(cy, model.Point{X: 30, Y: 3}, wire.Presence{})
	h.waitFor("their cursors", func() bool { return h.peer("bob") != nil && h.peer("bоb") != nil && h.peer("cy") != nil })
	ids := map[string]uint16{}
	for id, p := range h.m.roster {
		ids[p.Name] = id
	}
	want := []string{fmt.Sprintf("bob#%d", ids["bob"]), fmt.Sprintf("bоb#%d", ids["bоb"])}
	plain, _ := h.screen()
	for _, w := range want {
		if !strings.Contains(plain, w) {
			t.Fatalf("cursor labels lack %q:\n%s", w, plain)
		}
	}
	if strings.Contains(plain, fmt.Sprintf("cy#%d", ids["cy"])) || !strings.Contains(plain, "cy") {
		t.Fatalf("a name like nobody else's should stay bare:\n%s", plain)
	}
	h.keys("tab")
	plain, _ = h.screen()
	for _, w := range want {
		if !strings.Contains(plain, w) {
			t.Fatalf("peer list lacks %q:\n%s", w, plain)
		}
	}
}
