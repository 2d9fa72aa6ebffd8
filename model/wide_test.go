package model

import (
	"testing"

	"pgregory.net/rapid"
)

// rawSet writes one cell without the wide-cell rules, as a replica
// replaying an effect cell by cell would.
func rawSet(c *Canvas, x, y int32, cell Cell) {
	cur := cursor{c: c}
	cur.set(x, y, cell)
}

type fataler interface {
	Fatalf(format string, args ...any)
}

// checkWhole fails unless every wide cell of c has its continuation, with
// its style, to its right, and every continuation has its wide cell.
func checkWhole(t fataler, c *Canvas) {
	conts := 0
	c.Each(func(x, y int32, cell Cell) bool {
		switch {
		case cell.IsWide():
			if next := c.Get(x+1, y); next != cell.continuation() {
				t.Fatalf("wide %q at (%d,%d) is followed by %+v, not its continuation", cell.Ch, x, y, next)
			}
		case cell.IsContinuation():
			conts++
			if prev := c.Get(x-1, y); !prev.IsWide() || prev.continuation() != cell {
				t.Fatalf("continuation at (%d,%d) follows %+v, not a wide cell of its style", x, y, prev)
			}
		}
		return true
	})
	if conts != c.conts {
		t.Fatalf("canvas counts %d continuations, holds %d", c.conts, conts)
	}
}

// TestPropWideNeverHalf applies random commits (writes, rects, texts full of
// wide runes), undoes random earlier ones against a canvas that has moved on
// since, and rolls some back with Inverse; after every step no canvas holds
// half a character, the binary and run forms reproduce it, and an inverse
// applied straight after its commit restores the canvas exactly.
func TestPropWideNeverHalf(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWindow(t)
		c := NewCanvas()
		var effects []Effect
		for range rapid.IntRange(1, 12).Draw(t, "steps") {
			switch rapid.IntRange(0, 3).Draw(t, "step") {
			case 0, 1:
				ops := genOps(w).Draw(t, "ops")
				if err := ValidateOps(ops, DefaultLimits); err != nil {
					t.Fatalf("generated invalid ops: %v", err)
				}
				effects = append(effects, c.Apply(ops))
			case 2:
				if len(effects) == 0 {
					continue
				}
				e := effects[rapid.IntRange(0, len(effects)-1).Draw(t, "undo")]
				rev := c.Revert(e)
				if err := ValidateOps(rev, Limits{MaxCells: 1 << 20}); err != nil {
					t.Fatalf("revert invalid: %v", err)
				}
				effects = append(effects, c.Apply(rev))
			case 3:
				before := c.Clone()
				e := c.Apply(genOps(w).Draw(t, "rolled back"))
				checkWhole(t, c)
				c.Apply(e.Inverse())
				if !c.Equal(before) {
					t.Fatal("inverse after apply did not restore the canvas")
				}
			}
			checkWhole(t, c)
		}
		b, _ := c.MarshalBinary()
		var d Canvas
		if err := d.UnmarshalBinary(b); err != nil || !d.Equal(c) {
			t.Fatalf("snapshot round trip: %v", err)
		}
		checkWhole(t, &d)
		r := NewCanvas()
		r.Apply(c.Runs())
		if !r.Equal(c) {
			t.Fatal("runs round trip changed the canvas")
		}
	})
}

func TestWideWrites(t *testing.T) {
	c := NewCanvas()
	text := func(x int32, s string) Effect { return c.Apply([]Op{{Kind: OpText, X: x, Text: s}}) }
	row := func() string { return RenderText(c, Rect{0, 0, 8, 1}) }

	text(0, "a漢字b")
	if got := row(); got != "a漢字b" {
		t.Fatalf("row %q", got)
	}
	if c.Get(2, 0).Ch != Continuation || c.Get(5, 0).Ch != 'b' {
		t.Fatal("wide runes do not take two cells")
	}
	// Writing over the right half of 漢 clears its left half too.
	text(2, "x")
	if got := row(); got != "a x字b" {
		t.Fatalf("after writing the right half: %q", got)
	}
	// A wide rune written over the right half of 字 clears its left half
	// and takes the b's cell for its own right half.
	text(4, "😀")
	if got := row(); got != "a x 😀" {
		t.Fatalf("after writing over a right half: %q", got)
	}
	// One landing across two wide runes clears both; undo restores them.
	text(0, "字字字")
	e := text(1, "漢")
	if got := row(); got != " 漢 字" {
		t.Fatalf("straddling write: %q", got)
	}
	c.Apply(e.Inverse())
	if got := row(); got != "字字字" {
		t.Fatalf("undo of straddling write: %q", got)
	}
	checkWhole(t, c)
	// Regions cut through a wide cell show its visible half as a space.
	if got := RenderText(c, Rect{1, 0, 4, 1}); got != " 字" {
		t.Fatalf("region starting on a continuation: %q", got)
	}
	if got := RenderText(c, Rect{0, 0, 3, 1}); got != "字" {
		t.Fatalf("region ending on a wide cell: %q", got)
	}
	c.Apply([]Op{{Kind: OpText, Text: "漢", FG: Indexed(1)}})
	if got, want := RenderANSI(c, Rect{0, 0, 6, 1}), "\x1b[31m漢\x1b[0m字字"; got != want {
		t.Fatalf("ANSI %q, want %q", got, want)
	}
}
