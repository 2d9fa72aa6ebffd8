package model

import (
	"encoding/json"
	"errors"
	"testing"

	"pgregory.net/rapid"
)

// logRoom plays an authority: draws are applied as committed, undos and
// redos are resolved with Toggle and applied as their ops, and every
// commit's entry is kept for later toggles.
type logRoom struct {
	c   *Canvas
	log []LogEntry // log[i] is commit i+1
}

func newLogRoom() *logRoom { return &logRoom{c: NewCanvas()} }

func (r *logRoom) draw(ops ...Op) uint64 {
	r.log = append(r.log, LogEntry{Ops: ops, Effect: r.c.Apply(ops)})
	return uint64(len(r.log))
}

func (r *logRoom) entry(seq uint64) (LogEntry, error) {
	if seq == 0 || seq > uint64(len(r.log)) {
		return LogEntry{}, errors.New("no such commit")
	}
	return r.log[seq-1], nil
}

func (r *logRoom) toggle(t interface{ Fatalf(string, ...any) }, target uint64) uint64 {
	ops, err := r.c.Toggle(uint64(len(r.log)), target, 1, r.entry)
	if err != nil {
		t.Fatalf("toggle %d: %v", target, err)
	}
	r.log = append(r.log, LogEntry{Target: target, Effect: r.c.Apply(ops)})
	return uint64(len(r.log))
}

// inEffect is the reference meaning of the log, computed apart from
// Toggle: a commit is in effect unless a commit in effect reverts it.
func (r *logRoom) inEffect() []bool {
	by := map[uint64][]uint64{}
	for i, e := range r.log {
		if e.Target != 0 {
			by[e.Target] = append(by[e.Target], uint64(i+1))
		}
	}
	memo := map[uint64]bool{}
	var eff func(seq uint64) bool
	eff = func(seq uint64) bool {
		if v, ok := memo[seq]; ok {
			return v
		}
		v := true
		for _, y := range by[seq] {
			if eff(y) {
				v = false
			}
		}
		memo[seq] = v
		return v
	}
	out := make([]bool, len(r.log))
	for i := range r.log {
		out[i] = eff(uint64(i + 1))
	}
	return out
}

// redrawn is the canvas that drawing only the draws in effect, in order,
// gives.
func (r *logRoom) redrawn() *Canvas {
	c := NewCanvas()
	for i, in := range r.inEffect() {
		if e := r.log[i]; in && e.Target == 0 {
			c.Apply(e.Ops)
		}
	}
	return c
}

// boxOps is a box outline as the canvas's box tool draws it (a box one
// cell wide or high is a line), merged into what is there.
func boxOps(style BoxStyle, x0, y0, w, h int32, fg Color) Op {
	x1, y1 := x0+w-1, y0+h-1
	var cells []CellAt
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			edgeRow, edgeCol := y == y0 || y == y1, x == x0 || x == x1
			if !edgeRow && !edgeCol {
				continue
			}
			up, right := edgeCol && y > y0, edgeRow && x < x1
			down, left := edgeCol && y < y1, edgeRow && x > x0
			if ch := BoxGlyph(style, up, right, down, left); ch != 0 {
				cells = append(cells, CellAt{x, y, Cell{Ch: ch, FG: fg}})
			}
		}
	}
	return Op{Kind: OpSet, Merge: true, Cells: cells}
}

var boxStyles = []BoxStyle{BoxSingle, BoxDouble, BoxHeavy, BoxRounded}

// genDraw is a stroke by one of a few authors: mostly boxes and lines
// that cross (all within a 12x8 area), sometimes text or an eraser.
func genDraw(t *rapid.T) []Op {
	author := rapid.IntRange(0, 2).Draw(t, "author")
	fg := Indexed(uint8(1 + author))
	x, y := rapid.Int32Range(0, 9).Draw(t, "x"), rapid.Int32Range(0, 6).Draw(t, "y")
	switch rapid.IntRange(0, 9).Draw(t, "shape") {
	case 0:
		return []Op{{Kind: OpText, X: x, Y: y, Text: rapid.SampledFrom([]string{"ab", "─x", "│"}).Draw(t, "text"), FG: fg}}
	case 1:
		w, h := rapid.Int32Range(1, 4).Draw(t, "ew"), rapid.Int32Range(1, 3).Draw(t, "eh")
		return []Op{{Kind: OpRect, X: x, Y: y, W: w, H: h}}
	case 2, 3: // a line: a box one cell thick
		style := rapid.SampledFrom(boxStyles).Draw(t, "style")
		n := rapid.Int32Range(1, 8).Draw(t, "len")
		if rapid.Bool().Draw(t, "vertical") {
			return []Op{boxOps(style, x, y, 1, n, fg)}
		}
		return []Op{boxOps(style, x, y, n, 1, fg)}
	}
	style := rapid.SampledFrom(boxStyles).Draw(t, "style")
	w, h := rapid.Int32Range(2, 8).Draw(t, "w"), rapid.Int32Range(2, 6).Draw(t, "h")
	return []Op{boxOps(style, x, y, w, h, fg)}
}

// TestPropToggleEqualsRedrawing: for any sequence of crossing boxes and
// lines by several authors, undos of any draw or redo and redos of any
// undo, the canvas is what drawing only the draws still in effect, in
// order, gives.
func TestPropToggleEqualsRedrawing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r := newLogRoom()
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for range steps {
			var undoable, redoable []uint64
			for i, e := range r.log {
				seq := uint64(i + 1)
				if e.Target == 0 || isRedo(r.log, seq) {
					undoable = append(undoable, seq)
				} else {
					redoable = append(redoable, seq)
				}
			}
			switch k := rapid.IntRange(0, 5).Draw(t, "action"); {
			case k <= 2 || len(undoable) == 0:
				r.draw(genDraw(t)...)
			case k <= 4:
				r.toggle(t, rapid.SampledFrom(undoable).Draw(t, "undo"))
			case len(redoable) > 0:
				r.toggle(t, rapid.SampledFrom(redoable).Draw(t, "redo"))
			}
			if want := r.redrawn(); !r.c.Equal(want) {
				t.Fatalf("after %d commits:\n%s\nwant (redrawn):\n%s", len(r.log),
					RenderText(r.c, Rect{X: -1, Y: -1, W: 20, H: 14}), RenderText(want, Rect{X: -1, Y: -1, W: 20, H: 14}))
			}
		}
	})
}

// isRedo tells a redo from an undo: an undo reverts a draw or a redo, a
// redo reverts an undo, so the kinds alternate down the chain.
func isRedo(log []LogEntry, seq uint64) bool {
	redo := false
	for e := log[seq-1]; e.Target != 0; e = log[e.Target-1] {
		redo = !redo
	}
	return !redo
}

// TestToggleCrossingBoxes is the case of the issue, both ways round: Bob
// draws a box, Alice a box that crosses it (the crossings merge into ┼);
// undoing either leaves the other's box whole, in plain lines; redo puts
// the junctions back.
func TestToggleCrossingBoxes(t *testing.T) {
	bob, alice := Indexed(1), Indexed(2)
	both := "" +
		"┌───┐\n" +
		"│ ┌─┼──┐\n" +
		"└─┼─┘  │\n" +
		"  └────┘"
	bobOnly := "" +
		"┌───┐\n" +
		"│   │\n" +
		"└───┘\n"
	aliceOnly := "" +
		"\n" +
		"  ┌────┐\n" +
		"  │    │\n" +
		"  └────┘"
	for _, order := range []string{"bob first", "alice first"} {
		r := newLogRoom()
		var b, a uint64
		if order == "bob first" {
			b = r.draw(boxOps(BoxSingle, 0, 0, 5, 3, bob))
			a = r.draw(boxOps(BoxSingle, 2, 1, 6, 3, alice))
		} else {
			a = r.draw(boxOps(BoxSingle, 2, 1, 6, 3, alice))
			b = r.draw(boxOps(BoxSingle, 0, 0, 5, 3, bob))
		}
		view := func() string { return RenderText(r.c, Rect{W: 8, H: 4}) }
		if got := view(); got != both {
			t.Fatalf("%s: drawn:\n%s", order, got)
		}
		ub := r.toggle(t, b)
		if got := view(); got != aliceOnly {
			t.Fatalf("%s: Bob undoes:\n%s\nwant:\n%s", order, got, aliceOnly)
		}
		if c := r.c.Get(4, 1); c.FG != alice {
			t.Fatalf("%s: Alice's line where the junction was is %+v", order, c)
		}
		r.toggle(t, ub) // redo
		if got := view(); got != both {
			t.Fatalf("%s: Bob redoes:\n%s", order, got)
		}
		r.toggle(t, a)
		if got := view(); got != bobOnly {
			t.Fatalf("%s: Alice undoes:\n%s\nwant:\n%s", order, got, bobOnly)
		}
	}
}

// TestToggleKeepsALineDrawnTwice: a line drawn over an identical line
// changes nothing, yet it is there: undoing the first copy keeps it, and
// undoing it too clears the cell.
func TestToggleKeepsALineDrawnTwice(t *testing.T) {
	r := newLogRoom()
	first := r.draw(boxOps(BoxSingle, 0, 0, 3, 1, Indexed(1)))
	second := r.draw(boxOps(BoxSingle, 0, 0, 3, 1, Indexed(1)))
	r.toggle(t, first)
	if got := RenderText(r.c, Rect{W: 3, H: 1}); got != "───" {
		t.Fatalf("after undoing the first copy: %q", got)
	}
	r.toggle(t, second)
	if r.c.Len() != 0 {
		t.Fatalf("after undoing both: %q", RenderText(r.c, Rect{W: 3, H: 1}))
	}
}

// TestToggleHistoryLimit: a toggle that would replay past the floor says
// so, and reads nothing below it but the root draw.
func TestToggleHistoryLimit(t *testing.T) {
	r := newLogRoom()
	old := r.draw(boxOps(BoxSingle, 0, 0, 3, 1, 0))
	for range 5 {
		r.draw(Op{Kind: OpText, X: 9, Y: 9, Text: "x"})
	}
	if _, err := r.c.Toggle(uint64(len(r.log)), old, 3, r.entry); !errors.Is(err, ErrHistoryTooLong) {
		t.Fatalf("toggle past the floor: %v", err)
	}
	if _, err := r.c.Toggle(uint64(len(r.log)), 99, 1, r.entry); err == nil {
		t.Fatal("toggle of a commit that does not exist")
	}
}

// benchLog is a room of n boxes of 20x10, each crossing the one before,
// and returns it with the seq of the first.
func benchLog(n int) *logRoom {
	r := newLogRoom()
	for i := range n {
		x, y := int32(i%50)*3, int32(i/50)*2
		r.draw(boxOps(boxStyles[i%4], x, y, 20, 10, Indexed(uint8(i%3))))
	}
	return r
}

// BenchmarkToggle is one undo as the authority resolves it: of the newest
// box, and of the box 1023 commits back (the farthest the authority
// replays), each in a log of 1024 crossing boxes. Compare with
// BenchmarkRevert, the cell-by-cell undo it replaces.
func BenchmarkToggle(b *testing.B) {
	r := benchLog(1024)
	now := uint64(len(r.log))
	for _, bc := range []struct {
		name   string
		target uint64
	}{{"newest", now}, {"1023back", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.c.Toggle(now, bc.target, 1, r.entry); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRevert(b *testing.B) {
	r := benchLog(1024)
	e := r.log[len(r.log)-1].Effect
	for b.Loop() {
		r.c.Revert(e)
	}
}

// BenchmarkToggleLogDecode is what a toggle 1023 commits back would add
// if it decoded the log as stored (JSON ops, binary effects): why the
// authority keeps the newest commits decoded.
func BenchmarkToggleLogDecode(b *testing.B) {
	r := benchLog(1024)
	var ops, effs [][]byte
	for _, e := range r.log {
		j, err := json.Marshal(e.Ops)
		if err != nil {
			b.Fatal(err)
		}
		ops, effs = append(ops, j), append(effs, AppendEffect(nil, e.Effect))
	}
	for b.Loop() {
		for i := range ops {
			var o []Op
			if err := json.Unmarshal(ops[i], &o); err != nil {
				b.Fatal(err)
			}
			if _, err := DecodeEffect(effs[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
