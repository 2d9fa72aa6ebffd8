package ui

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestTextGhostFitsAPacket: the text being typed goes to peers from the
// line before the caret's, cut to wire.MaxGhostText bytes at a rune
// boundary, and the packet carrying it decodes.
func TestTextGhostFitsAPacket(t *testing.T) {
	te := &textEdit{at: model.Point{X: 5, Y: 7}, lines: [][]rune{nil}}
	te.insert("first\nsecond\nthird")
	g := te.ghost()
	if g.Text != "second\nthird" || g.Points[0] != (model.Point{X: 5, Y: 8}) {
		t.Fatalf("ghost %q at %v", g.Text, g.Points)
	}
	te.insert(strings.Repeat("é", wire.MaxGhostText))
	g = te.ghost()
	if len(g.Text) > wire.MaxGhostText || !utf8.ValidString(g.Text) || !strings.HasPrefix(g.Text, "second\nthirdé") {
		t.Fatalf("long ghost: %d bytes, %q…", len(g.Text), g.Text[:20])
	}
	p := wire.Presence{HasCursor: true, Cursor: model.Point{X: 1 << 29, Y: -1 << 29}, HasViewport: true,
		Viewport: model.Rect{X: 1 << 29, Y: 1 << 29, W: 4096, H: 4096}, HasTool: true, Tool: 5, Brush: '#', Ghost: g}
	b := p.AppendBinary(nil)
	if len(b) > wire.MaxPresenceBytes {
		t.Fatalf("packet of %d bytes, limit %d", len(b), wire.MaxPresenceBytes)
	}
	q, err := wire.DecodePresence(b)
	if err != nil || q.Ghost.Text != g.Text {
		t.Fatalf("decode: %v", err)
	}
}
