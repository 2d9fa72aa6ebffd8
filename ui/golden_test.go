package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Golden screens: one per tool and per overlay, at 80×24 and 256 colours,
// produced by the real model over a real session and authority. Screen
// cell (x, y) shows canvas cell (x-2, y-1): the origin starts a little in
// from the corner.

func TestGoldenEmpty(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "empty", "ann", model.Indexed(203))
	h.golden("empty")
}

func TestGoldenPen(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "pen", "ann", model.Indexed(203))
	// Keyboard: space puts the pen down, moves draw, space lifts it.
	h.keys("p", "space")
	h.repeat("l", 6)
	h.repeat("j", 3)
	h.keys("space")
	// Mouse: a fast diagonal drag still draws a connected stroke.
	h.keys("B", "*", "]")
	h.drag(tea.MouseLeft, [2]int{20, 3}, [2]int{24, 5}, [2]int{34, 9})
	h.sync()
	h.golden("pen")
}

func TestGoldenLine(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "line", "ann", model.Indexed(203))
	// Keyboard: moving right first puts the elbow at the far end of the row.
	h.keys("/", "space")
	h.repeat("l", 12)
	h.repeat("j", 5)
	h.keys("space")
	// Mouse, with an arrowhead: a drag that sets off downwards runs down first.
	h.keys(">")
	h.drag(tea.MouseLeft, [2]int{20, 2}, [2]int{20, 4}, [2]int{34, 8})
	// v flips the elbow; > again: arrows at both ends; / again: double.
	h.keys("/", ">", "o")
	h.repeat("l", 40)
	h.repeat("j", 9)
	h.keys("space")
	h.repeat("l", 10)
	h.repeat("j", 4)
	h.keys("v", "space")
	// The brush line at any angle is the last style of the cycle.
	h.keys("/", "/", "/", "B", "o")
	h.drag(tea.MouseLeft, [2]int{4, 12}, [2]int{14, 20})
	// A line in progress is previewed as it will be committed.
	h.keys("/")
	h.send(tea.MouseClickMsg{X: 60, Y: 2, Button: tea.MouseLeft}, tea.MouseMotionMsg{X: 70, Y: 6, Button: tea.MouseLeft})
	h.sync()
	h.golden("line")
}

func TestGoldenRect(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "rect", "ann", model.Indexed(203))
	h.keys("r", "space")
	h.repeat("l", 10)
	h.repeat("j", 4)
	h.keys("space")
	// r again: filled, in colour.
	h.keys("r", "B", "%", "]", "]", "}")
	h.drag(tea.MouseLeft, [2]int{20, 8}, [2]int{30, 12})
	h.sync()
	h.golden("rect")
}

func TestGoldenBox(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "box", "ann", model.Indexed(203))
	// Each style in turn (b again cycles), then crossing boxes whose
	// junctions merge.
	h.keys("b")
	for i := range 4 {
		if i > 0 {
			h.keys("b")
		}
		h.drag(tea.MouseLeft, [2]int{3 + 12*i, 2}, [2]int{11 + 12*i, 5})
	}
	h.keys("b") // rounded → single
	h.drag(tea.MouseLeft, [2]int{5, 8}, [2]int{20, 14})
	h.drag(tea.MouseLeft, [2]int{12, 11}, [2]int{30, 17})
	// Someone else's box crossing ours joins at the authority too.
	other := dial(t, h.ctx, a.link("box"), "bob", model.Indexed(114))
	s := shape{kind: shapeBox, a: model.Point{X: 20, Y: 5}, b: model.Point{X: 40, Y: 11}, style: model.BoxDouble}
	if _, err := other.Commit(s.ops(0, 0, func(x, y int32) rune { return other.Get(x, y).Ch })); err != nil {
		t.Fatal(err)
	}
	if err := other.Sync(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.waitFor("bob's box", func() bool { return h.sess.Info().Seq == other.Info().Seq })
	h.golden("box")
}

func TestGoldenText(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "text", "ann", model.Indexed(203))
	h.keys("t")
	h.repeat("l", 3)
	h.repeat("j", 2)
	h.keys("space")
	h.typeText("Hello, canvas!\nsecond linx")
	h.keys("backspace", "e", "esc")
	// Typing in progress shows its caret (the cursor below) and a preview.
	h.keys("]", "]")
	h.tap(10, 12)
	h.typeText("typing…")
	h.sync()
	h.golden("text")
}

func TestGoldenErase(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "erase", "ann", model.Indexed(203))
	h.keys("r", "r")
	h.drag(tea.MouseLeft, [2]int{4, 2}, [2]int{30, 10})
	h.keys("e")
	h.drag(tea.MouseLeft, [2]int{4, 6}, [2]int{30, 6})
	h.keys("space")
	h.repeat("k", 3)
	h.keys("space")
	h.sync()
	h.golden("erase")
}

func TestGoldenFill(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "fill", "ann", model.Indexed(203))
	h.keys("b")
	h.drag(tea.MouseLeft, [2]int{4, 2}, [2]int{24, 10})
	h.drag(tea.MouseLeft, [2]int{14, 2}, [2]int{14, 10}) // a one-column box is a divider
	h.keys("f", "B", ".", "]", "]")
	h.tap(8, 5) // the left half only: the divider bounds it
	h.keys("B", "~", "]", "}")
	h.tap(50, 15) // outside: the fill stops at the screen's edges
	h.sync()
	h.golden("fill")
}

func TestGoldenSelect(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "select", "ann", model.Indexed(203))
	h.keys("t")
	h.tap(3, 2)
	h.typeText("copy me\nand me")
	h.keys("esc", "s")
	// Keyboard selection of both lines, copy, paste four rows down.
	h.keys("o", "l", "j", "space")
	h.repeat("l", 6)
	h.keys("j", "space", "y")
	h.repeat("j", 4)
	h.keys("P", "space")
	// Select the copy with the mouse and drag it away.
	h.drag(tea.MouseLeft, [2]int{9, 7}, [2]int{15, 8})
	h.drag(tea.MouseLeft, [2]int{10, 7}, [2]int{25, 10}, [2]int{40, 14})
	h.sync()
	h.golden("select")
}

func TestGoldenPick(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "pick", "ann", model.Indexed(203))
	h.keys("B", "@", "]", "]", "]", "}")
	h.tap(5, 3)
	h.keys("B", "-", "[", "[", "[", "{")
	h.keys("i")
	h.tap(5, 3) // picks '@' and its colours, back to the pen
	h.tap(7, 3)
	h.sync()
	h.golden("pick")
}

func TestGoldenPalette(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "palette", "ann", model.Indexed(203))
	h.keys("c")
	h.repeat("j", 3)
	h.repeat("l", 7)
	h.golden("palette")
	h.keys("enter")
	h.keys("c", "tab", "#")
	h.typeText("3a5f8c")
	h.keys("enter", "r", "r")
	h.drag(tea.MouseLeft, [2]int{4, 3}, [2]int{12, 6})
	h.sync()
	h.golden("palette_used")
}

func TestGoldenHelp(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "help", "ann", model.Indexed(203))
	h.keys("?")
	h.golden("help")
	h.repeat("j", 30)
	h.golden("help_scrolled")
}

func TestGoldenPeers(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "peers", "ann", model.Indexed(203))
	bob := dial(t, h.ctx, a.link("peers"), "bob", model.Indexed(114))
	cy := dial(t, h.ctx, a.link("peers"), "cy", model.Indexed(75))
	h.waitFor("the roster", func() bool { return len(h.m.roster) == 2 })
	// bob points inside the view and drags a box; cy is off to the right.
	point(bob, model.Point{X: 10, Y: 5}, wire.Presence{Ghost: &wire.Ghost{Kind: wire.GhostBox, Style: model.BoxRounded,
		Points: []model.Point{{X: 10, Y: 5}, {X: 30, Y: 12}}}})
	point(cy, model.Point{X: 500, Y: 8}, wire.Presence{})
	h.waitFor("their presence", func() bool {
		b, c := h.peer("bob"), h.peer("cy")
		return b != nil && b.p.Ghost != nil && c != nil && c.p.Cursor.X == 500
	})
	h.keys("tab")
	h.golden("peers")
}

func TestGoldenViewer(t *testing.T) {
	a := newAuthority(t, false) // closed room: the first joiner owns it
	owner := dial(t, testCtx(t), a.link("ro"), "owner", model.Indexed(114))
	if _, err := owner.Commit([]model.Op{{Kind: model.OpText, X: 0, Y: 0, Text: "look, don't touch"}}); err != nil {
		t.Fatal(err)
	}
	owner.Sync(testCtx(t))
	h := newHarness(t, a, "ro", "ann", model.Indexed(203))
	h.keys("r", "space", "l", "space")
	h.golden("viewer")
}

func TestGoldenASCII(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "ascii", "ann", model.Indexed(203), func(o *Options) { o.ASCII = true })
	h.keys("b", "b", "b") // heavy
	h.drag(tea.MouseLeft, [2]int{4, 2}, [2]int{20, 8})
	h.keys("b", "b") // rounded, then single
	h.drag(tea.MouseLeft, [2]int{12, 5}, [2]int{30, 12})
	h.keys("tab")
	h.sync()
	h.golden("ascii")
}

// TestGoldenUndoJunctions: undo leaves no stray junctions. Left, bob's
// box came first and alice's crossed it; right, alice's came first and
// bob's crossed it. Every crossing merged into a junction; bob then undoes
// both of his boxes (u, u). Alice's boxes are left whole, in plain lines
// where bob's crossed them, and bob's arms are gone. Redo (U, U) brings
// back the screen as it was drawn.
func TestGoldenUndoJunctions(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "undo-junctions", "bob", model.Indexed(114))
	alice := dial(t, h.ctx, a.link("undo-junctions"), "alice", model.Indexed(203))
	aliceBox := func(x0, y0, x1, y1 int32, style model.BoxStyle) {
		t.Helper()
		s := shape{kind: shapeBox, a: model.Point{X: x0, Y: y0}, b: model.Point{X: x1, Y: y1}, style: style}
		if _, err := alice.Commit(s.ops(0, 0, func(x, y int32) rune { return alice.Get(x, y).Ch })); err != nil {
			t.Fatal(err)
		}
		if err := alice.Sync(h.ctx); err != nil {
			t.Fatal(err)
		}
		h.waitFor("alice's box", func() bool { return h.sess.Info().Seq == alice.Info().Seq })
	}
	h.keys("b")
	h.drag(tea.MouseLeft, [2]int{4, 2}, [2]int{20, 9}) // bob's box
	h.sync()
	aliceBox(10, 5, 30, 13, model.BoxSingle) // crosses it
	aliceBox(40, 1, 60, 8, model.BoxDouble)
	h.drag(tea.MouseLeft, [2]int{50, 5}, [2]int{72, 14}) // bob's box crosses alice's
	h.sync()
	merged := canvasText(h.sess, model.Rect{W: 80, H: 20})
	if !strings.Contains(merged, "┼") || !strings.Contains(merged, "╪") {
		t.Fatalf("the boxes did not merge where they cross:\n%s", merged)
	}
	h.keys("u", "u")
	h.sync()
	h.waitFor("alice to see both undos", func() bool { return alice.Info().Seq == h.sess.Info().Seq })
	got := canvasText(h.sess, model.Rect{W: 80, H: 20})
	want := model.NewCanvas()
	for _, s := range []shape{
		{kind: shapeBox, a: model.Point{X: 10, Y: 5}, b: model.Point{X: 30, Y: 13}, style: model.BoxSingle},
		{kind: shapeBox, a: model.Point{X: 40, Y: 1}, b: model.Point{X: 60, Y: 8}, style: model.BoxDouble},
	} {
		want.Apply(s.ops(0, 0, func(x, y int32) rune { return want.Get(x, y).Ch }))
	}
	if w := model.RenderText(want, model.Rect{W: 80, H: 20}); got != w || canvasText(alice, model.Rect{W: 80, H: 20}) != w {
		t.Fatalf("after bob's undos:\n%s\nwant alice's boxes alone:\n%s", got, w)
	}
	h.golden("undo_junctions")
	// U, U: both boxes come back, and with them every junction.
	h.keys("U", "U")
	h.sync()
	h.waitFor("alice to see both redos", func() bool { return alice.Info().Seq == h.sess.Info().Seq })
	if got := canvasText(h.sess, model.Rect{W: 80, H: 20}); got != merged || canvasText(alice, model.Rect{W: 80, H: 20}) != merged {
		t.Fatalf("after bob's redos:\n%s\nwant as first drawn:\n%s", got, merged)
	}
	h.golden("undo_junctions_redo")
}

// TestGoldenConnector: an arrow with an elbow between two boxes; moving
// the first box stretches the arrow (a new elbow, the same far end), and
// one undo puts everything back.
func TestGoldenConnector(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "connector", "ann", model.Indexed(203))
	h.keys("b")
	h.drag(tea.MouseLeft, [2]int{4, 2}, [2]int{16, 6})
	h.drag(tea.MouseLeft, [2]int{40, 10}, [2]int{54, 14})
	// From the first box's right side to the top of the second.
	h.keys("/", ">")
	h.drag(tea.MouseLeft, [2]int{16, 4}, [2]int{30, 4}, [2]int{47, 10})
	h.sync()
	h.golden("connector_before")
	before := canvasText(h.sess, model.Rect{X: -2, Y: -1, W: 80, H: 23})
	// Select the first box and drag it down and right: the arrow gets a new
	// elbow and keeps its far end.
	h.keys("s")
	h.drag(tea.MouseLeft, [2]int{4, 2}, [2]int{16, 6})
	h.drag(tea.MouseLeft, [2]int{8, 4}, [2]int{10, 5}, [2]int{14, 6})
	h.sync()
	h.golden("connector_after")
	h.keys("esc", "u")
	h.sync()
	if got := canvasText(h.sess, model.Rect{X: -2, Y: -1, W: 80, H: 23}); got != before {
		t.Fatalf("one undo did not restore the drawing:\n%s\nwant\n%s", got, before)
	}
	// While the box is dragged, the arrow is shown stretching with it:
	// here past the other box, which the new route walks round.
	h.drag(tea.MouseLeft, [2]int{4, 2}, [2]int{16, 6})
	h.send(tea.MouseClickMsg{X: 8, Y: 4, Button: tea.MouseLeft}, tea.MouseMotionMsg{X: 40, Y: 14, Button: tea.MouseLeft},
		tea.MouseMotionMsg{X: 64, Y: 16, Button: tea.MouseLeft})
	h.sync()
	h.golden("connector_moving")
}

// TestGoldenGhosts: what peers are doing before they commit it: bob drags
// an arrow with an elbow, cy types two lines of text.
func TestGoldenGhosts(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "ghosts", "ann", model.Indexed(203))
	bob := dial(t, h.ctx, a.link("ghosts"), "bob", model.Indexed(114))
	cy := dial(t, h.ctx, a.link("ghosts"), "cy", model.Indexed(75))
	h.waitFor("the roster", func() bool { return len(h.m.roster) == 2 })
	point(bob, model.Point{X: 30, Y: 12}, wire.Presence{Ghost: &wire.Ghost{Kind: wire.GhostPath, Style: model.BoxRounded,
		Arrows: uint8(model.ArrowEnd), Points: []model.Point{{X: 4, Y: 3}, {X: 30, Y: 3}, {X: 30, Y: 12}}}})
	point(cy, model.Point{X: 46, Y: 7}, wire.Presence{Ghost: &wire.Ghost{Kind: wire.GhostText,
		Points: []model.Point{{X: 40, Y: 6}}, Text: "work in\nprogress"}})
	h.waitFor("their ghosts", func() bool {
		b, c := h.peer("bob"), h.peer("cy")
		return b != nil && b.p.Ghost != nil && c != nil && c.p.Ghost != nil
	})
	h.golden("ghosts")
}

// wideScene draws what people type beyond ASCII: a box holding a line of
// CJK and emoji typed with the text tool, an accent typed as a separate
// combining key (composed onto its letter), an emoji with a skin tone (two
// code points: refused, with the notice on screen), and a pasted line of
// wide characters dropped so that it cuts a wide character in half.
func wideScene(t *testing.T, name string, opts ...func(*Options)) *harness {
	h := newHarness(t, newAuthority(t, true), name, "ann", model.Indexed(203), opts...)
	h.keys("b")
	h.drag(tea.MouseLeft, [2]int{4, 2}, [2]int{30, 6})
	h.keys("t")
	h.tap(6, 3)
	h.typeText("漢字 😀 wide\nnaïve cafe")
	h.keys("\u0301") // composes with the e before it: café
	h.keys("esc")
	h.send(tea.PasteMsg{Content: "日本語 ★ ✓ 🎉"})
	h.tap(9, 9) // drop it
	h.tap(10, 9)
	h.typeText("x") // over the right half of 日: erases all of it
	h.send(tea.KeyPressMsg{Text: "👍🏽"})
	h.keys("esc")
	h.sync()
	return h
}

func TestGoldenWide(t *testing.T) {
	h := wideScene(t, "wide")
	if got := canvasText(h.sess, model.Rect{X: 4, Y: 2, W: 20, H: 1}); got != "漢字 😀 wide" {
		t.Fatalf("typed line on the canvas: %q", got)
	}
	if got := canvasText(h.sess, model.Rect{X: 4, Y: 3, W: 20, H: 1}); got != "naïve café" {
		t.Fatalf("composed line on the canvas: %q", got)
	}
	if got := canvasText(h.sess, model.Rect{X: 7, Y: 8, W: 20, H: 1}); got != " x本語 ★ ✓ 🎉" {
		t.Fatalf("pasted line on the canvas: %q", got)
	}
	h.golden("wide")
}

func TestGoldenWideASCII(t *testing.T) {
	h := wideScene(t, "wide_ascii", func(o *Options) { o.ASCII = true })
	plain, _ := h.screen()
	for _, r := range plain {
		if r != '\n' && (r < 0x20 || r > 0x7e) {
			t.Fatalf("ASCII mode shows %q (%U)", r, r)
		}
	}
	h.golden("wide_ascii")
}

// TestPaletteNoColor: with NO_COLOR every swatch would be a blank space;
// each is named by its index instead, the chosen one reversed, and the
// whole panel stays inside ASCII in ASCII mode.
func TestPaletteNoColor(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "nocolor", "ann", model.Indexed(203), func(o *Options) {
		o.Profile = colorprofile.ASCII
		o.ASCII = true
	})
	h.keys("c")
	plain, _ := h.screen()
	for _, want := range []string{"0001020304", "c4c5c6", "e8e9ea", "now default"} {
		if !strings.Contains(plain, want) {
			t.Fatalf("palette without colour lacks %q:\n%s", want, plain)
		}
	}
	for _, r := range plain {
		if r != '\n' && (r < 0x20 || r > 0x7e) {
			t.Fatalf("ASCII mode shows %q in the palette", r)
		}
	}
	h.keys("esc", "?")
	help, _ := h.screen()
	if !strings.Contains(help, "ASCII") {
		t.Fatalf("help did not open:\n%s", help)
	}
	for _, r := range help {
		if r != '\n' && (r < 0x20 || r > 0x7e) {
			t.Fatalf("ASCII mode shows %q in the help", r)
		}
	}
}

// TestWideBrush: a wide brush is accepted, a freehand stroke across a row
// draws one character per two columns, a rect fill of odd width is
// evened, and a two-code-point brush is refused with a message.
func TestWideBrush(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "widebrush", "ann", model.Indexed(203))
	h.keys("B", "漢")
	h.keys("p", "space")
	h.repeat("l", 6)
	h.keys("space")
	h.sync()
	if got := canvasText(h.sess, model.Rect{W: 10, H: 1}); got != "漢漢漢漢" {
		t.Fatalf("wide stroke: %q", got)
	}
	h.send(keyMsg("B"), tea.KeyPressMsg{Text: "👍🏽"})
	plain, _ := h.screen()
	if !strings.Contains(plain, "U+1F44D U+1F3FD") {
		t.Fatalf("no message for a two-code-point brush:\n%s", plain)
	}
}
