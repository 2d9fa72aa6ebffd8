package ui

import (
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/model"
)

// TestInvitePanelWrapsTheLink: on a screen narrower than the link, the
// minted link is shown whole, over several lines, and the list follows.
func TestInvitePanelWrapsTheLink(t *testing.T) {
	a := newAuthority(t, false)
	h := newHarness(t, a, "inv", "own", model.Indexed(1))
	h.keys("ctrl+k")
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
