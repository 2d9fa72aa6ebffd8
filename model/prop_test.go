package model

import (
	"encoding/json"
	"reflect"
	"testing"

	"pgregory.net/rapid"
)

// Generators. Coordinates cluster in a small window (so ops overlap, tiles
// fill up past the sparse/dense threshold and empty again) around a base
// that is sometimes near the coordinate limits.

var propRunes = []rune("ab #.─│┌┐└┘├┼═║╔╬━┃┏╋╭╯╴╶éλ█漢字😀あ")

func genStyle(t *rapid.T) (Color, Color, Attr) {
	color := func(label string) Color {
		switch rapid.IntRange(0, 3).Draw(t, label+"kind") {
		case 1:
			return Indexed(rapid.Uint8().Draw(t, label+"idx"))
		case 2:
			return RGB(rapid.Uint8().Draw(t, label+"r"), rapid.Uint8().Draw(t, label+"g"), 7)
		}
		return ColorDefault
	}
	fg, bg := color("fg"), color("bg")
	attr := Attr(rapid.Uint8Range(0, uint8(AttrMask)).Draw(t, "attr"))
	return fg, bg, attr
}

func genCell(t *rapid.T) Cell {
	if rapid.IntRange(0, 4).Draw(t, "erase") == 0 {
		return Cell{}
	}
	fg, bg, attr := genStyle(t)
	return Cell{rapid.SampledFrom(propRunes).Draw(t, "ch"), fg, bg, attr}
}

type window struct{ x, y int32 }

func genWindow(t *rapid.T) window {
	return rapid.SampledFrom([]window{{0, 0}, {-1 << 20, 1 << 20}, {MaxCoord - 100, -MaxCoord + 100}}).Draw(t, "window")
}

func genOp(w window) *rapid.Generator[Op] {
	return rapid.Custom(func(t *rapid.T) Op {
		x := w.x + rapid.Int32Range(-40, 40).Draw(t, "x")
		y := w.y + rapid.Int32Range(-20, 20).Draw(t, "y")
		switch rapid.IntRange(0, 2).Draw(t, "kind") {
		case 0:
			n := rapid.IntRange(0, 30).Draw(t, "n")
			var cells []CellAt
			for range n {
				cells = append(cells, CellAt{
					x + rapid.Int32Range(-3, 3).Draw(t, "dx"),
					y + rapid.Int32Range(-3, 3).Draw(t, "dy"),
					genCell(t),
				})
			}
			return Op{Kind: OpSet, Cells: cells, Merge: rapid.Bool().Draw(t, "merge")}
		case 1:
			op := Op{Kind: OpRect, X: x, Y: y, W: rapid.Int32Range(1, 40).Draw(t, "w"), H: rapid.Int32Range(1, 20).Draw(t, "h")}
			if c := genCell(t); c.Ch != 0 {
				op.Ch, op.FG, op.BG, op.Attr = c.Ch, c.FG, c.BG, c.Attr
				if c.IsWide() && op.W%2 != 0 {
					op.W++ // a wide fill has an even width
				}
			}
			return op
		}
		fg, bg, attr := genStyle(t)
		text := rapid.StringOfN(rapid.SampledFrom(append([]rune("\n\n"), propRunes...)), 0, 40, -1).Draw(t, "text")
		return Op{Kind: OpText, X: x, Y: y, Text: text, FG: fg, BG: bg, Attr: attr}
	})
}

func genOps(w window) *rapid.Generator[[]Op] {
	return rapid.SliceOfN(genOp(w), 0, 6)
}

func genCanvas(t *rapid.T, w window) *Canvas {
	c := NewCanvas()
	for _, ops := range rapid.SliceOfN(genOps(w), 0, 4).Draw(t, "history") {
		c.Apply(ops)
	}
	return c
}

func TestPropApplyInverse(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWindow(t)
		c := genCanvas(t, w)
		ops := genOps(w).Draw(t, "ops")
		if err := ValidateOps(ops, DefaultLimits); err != nil {
			t.Fatalf("generated invalid ops: %v", err)
		}
		before := c.Clone()
		e := c.Apply(ops)
		after := c.Clone()
		checkWhole(t, c)

		// The effect describes the change exactly: distinct cells, real
		// changes, and replaying the Afters onto before gives after.
		seen := map[Point]bool{}
		replay := before.Clone()
		for _, ch := range e {
			p := Point{ch.X, ch.Y}
			if seen[p] || ch.Before == ch.After || before.Get(ch.X, ch.Y) != ch.Before || after.Get(ch.X, ch.Y) != ch.After {
				t.Fatalf("bad change %+v", ch)
			}
			seen[p] = true
			rawSet(replay, ch.X, ch.Y, ch.After)
		}
		if !replay.Equal(after) {
			t.Fatal("effect does not account for every changed cell")
		}

		inv := e.Inverse()
		if err := ValidateOps(inv, Limits{MaxCells: 1 << 20}); err != nil {
			t.Fatalf("inverse invalid: %v", err)
		}
		if rev := c.Revert(e); !reflect.DeepEqual(rev, inv) {
			t.Fatal("Revert right after Apply differs from Inverse")
		}
		c.Apply(inv)
		if !c.Equal(before) {
			t.Fatal("apply then inverse did not restore the canvas")
		}
	})
}

func TestPropRevertKeepsOthersWork(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWindow(t)
		c := genCanvas(t, w)
		mine := c.Apply(genOps(w).Draw(t, "mine"))
		theirs := c.Apply(genOps(w).Draw(t, "theirs"))
		c.Apply(c.Revert(mine))
		for _, ch := range theirs {
			if got := c.Get(ch.X, ch.Y); got != ch.After {
				t.Fatalf("undo clobbered a later write at (%d,%d): %v, want %v", ch.X, ch.Y, got, ch.After)
			}
		}
	})
}

func TestPropBinaryRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWindow(t)
		c := genCanvas(t, w)
		b, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var d Canvas
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !d.Equal(c) {
			t.Fatal("snapshot round trip changed the canvas")
		}

		e := c.Apply(genOps(w).Draw(t, "ops"))
		got, err := DecodeEffect(AppendEffect(nil, e))
		if err != nil {
			t.Fatalf("decode effect: %v", err)
		}
		if len(got) != len(e) || len(e) > 0 && !reflect.DeepEqual(got, e) {
			t.Fatal("effect round trip differs")
		}
	})
}

func TestPropRunsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := genCanvas(t, genWindow(t))
		d := NewCanvas()
		d.Apply(c.Runs())
		if !d.Equal(c) {
			t.Fatal("Runs did not reproduce the canvas")
		}
	})
}

func TestPropRegionMatchesGet(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWindow(t)
		c := genCanvas(t, w)
		r := Rect{
			w.x + rapid.Int32Range(-80, 80).Draw(t, "rx"),
			w.y + rapid.Int32Range(-40, 40).Draw(t, "ry"),
			rapid.Int32Range(0, 100).Draw(t, "rw"),
			rapid.Int32Range(0, 50).Draw(t, "rh"),
		}
		dst := make([]Cell, rapid.IntRange(0, 6000).Draw(t, "cap"))
		for i := range dst {
			dst[i] = cellOf('!')
		}
		got := c.Region(r, dst)
		if int64(len(got)) != r.Area() {
			t.Fatalf("len %d, want %d", len(got), r.Area())
		}
		for i, cell := range got {
			x, y := r.X+int32(i)%r.W, r.Y+int32(i)/r.W
			if want := c.Get(x, y); cell != want {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, cell, want)
			}
		}
		// Bounds encloses every drawn cell and is tight.
		b, ok := c.Bounds()
		if ok != (c.Len() > 0) {
			t.Fatal("Bounds presence wrong")
		}
		n := 0
		var tight Rect
		c.Each(func(x, y int32, _ Cell) bool {
			n++
			tight = tight.Union(Rect{x, y, 1, 1})
			return true
		})
		if n != c.Len() || tight != b {
			t.Fatalf("Each saw %d cells (Len %d), bounds %v vs %v", n, c.Len(), tight, b)
		}
	})
}

func TestPropOpJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ops := genOps(genWindow(t)).Draw(t, "ops")
		b, err := json.Marshal(ops)
		if err != nil {
			t.Fatal(err)
		}
		var got []Op
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if len(ops) == 0 && len(got) == 0 {
			return
		}
		if !reflect.DeepEqual(got, ops) {
			t.Fatalf("JSON round trip:\n%+v\n%+v", ops, got)
		}
	})
}
