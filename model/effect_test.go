package model

import (
	"reflect"
	"testing"
)

func TestApplySet(t *testing.T) {
	c := NewCanvas()
	c.Set(0, 0, cellOf('o'))
	red := Cell{'a', Indexed(1), 0, 0}
	e := c.Apply([]Op{{Kind: OpSet, Cells: []CellAt{{0, 0, red}, {-1, 5, cellOf('b')}, {2, 2, Cell{}}}}})
	want := Effect{{0, 0, cellOf('o'), red}, {-1, 5, Cell{}, cellOf('b')}}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("effect = %v, want %v", e, want)
	}
	if c.Get(0, 0) != red || c.Get(-1, 5) != cellOf('b') || c.Len() != 2 {
		t.Fatal("canvas not updated")
	}
}

func TestApplyRect(t *testing.T) {
	c := NewCanvas()
	c.Set(1, 1, cellOf('x'))
	e := c.Apply([]Op{{Kind: OpRect, X: 0, Y: 0, W: 3, H: 2, Ch: '#', BG: Indexed(4)}})
	if len(e) != 6 || c.Len() != 6 {
		t.Fatalf("effect %d changes, Len %d", len(e), c.Len())
	}
	if e[4] != (Change{1, 1, cellOf('x'), Cell{'#', 0, Indexed(4), 0}}) {
		t.Errorf("change 4 = %v", e[4])
	}
	if got := RenderText(c, Rect{0, 0, 3, 2}); got != "###\n###" {
		t.Errorf("canvas = %q", got)
	}
	// Clearing: only drawn cells appear in the effect.
	c.Set(10, 10, cellOf('k'))
	e = c.Apply([]Op{{Kind: OpRect, X: 1, Y: 0, W: 20, H: 20}})
	if len(e) != 5 || c.Len() != 2 || e[4].After != (Cell{}) {
		t.Fatalf("clear: effect %v, Len %d", e, c.Len())
	}
}

func TestApplyText(t *testing.T) {
	c := NewCanvas()
	e := c.Apply([]Op{{Kind: OpText, X: -2, Y: 3, Text: "ab\n\n c", FG: RGB(1, 2, 3), Attr: Bold}})
	st := func(r rune) Cell { return Cell{r, RGB(1, 2, 3), 0, Bold} }
	want := Effect{{-2, 3, Cell{}, st('a')}, {-1, 3, Cell{}, st('b')}, {-2, 5, Cell{}, st(' ')}, {-1, 5, Cell{}, st('c')}}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("effect = %v", e)
	}
	if got := RenderText(c, Rect{-2, 3, 2, 3}); got != "ab\n\n c" {
		t.Errorf("canvas = %q", got)
	}
}

func TestApplyEffectDedupe(t *testing.T) {
	c := NewCanvas()
	c.Set(0, 0, cellOf('o'))
	e := c.Apply([]Op{
		{Kind: OpSet, Cells: []CellAt{{5, 5, cellOf('a')}, {0, 0, cellOf('b')}, {5, 5, cellOf('c')}}},
		{Kind: OpText, X: 5, Y: 5, Text: "d"},
		// Written and restored within the commit: no net change, omitted.
		{Kind: OpSet, Cells: []CellAt{{7, 7, cellOf('t')}, {7, 7, Cell{}}, {0, 0, cellOf('o')}}},
	})
	want := Effect{{5, 5, Cell{}, cellOf('d')}}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("effect = %v, want %v", e, want)
	}
	if e := c.Apply([]Op{{Kind: OpText, X: 5, Y: 5, Text: "d"}}); e != nil {
		t.Errorf("no-op commit effect = %v", e)
	}
}

func TestApplyMerge(t *testing.T) {
	c := NewCanvas()
	c.Apply([]Op{{Kind: OpText, X: 0, Y: 1, Text: "───"}})
	// A vertical stroke crossing the horizontal one, with and without Merge.
	stroke := []CellAt{{1, 0, cellOf('│')}, {1, 1, cellOf('│')}, {1, 2, cellOf('│')}}
	d := c.Clone()
	c.Apply([]Op{{Kind: OpSet, Cells: stroke, Merge: true}})
	if got := RenderText(c, Rect{0, 0, 3, 3}); got != " │\n─┼─\n │" {
		t.Errorf("merged = %q", got)
	}
	d.Apply([]Op{{Kind: OpSet, Cells: stroke}})
	if got := RenderText(d, Rect{0, 0, 3, 3}); got != " │\n─│─\n │" {
		t.Errorf("unmerged = %q", got)
	}
	// Merge against cells written earlier in the same commit, and never onto
	// non-box glyphs.
	e := NewCanvas()
	e.Apply([]Op{{Kind: OpSet, Merge: true, Cells: []CellAt{{0, 0, cellOf('┌')}, {0, 0, cellOf('┘')}, {1, 0, cellOf('x')}, {1, 0, cellOf('─')}}}})
	if got := RenderText(e, Rect{0, 0, 2, 1}); got != "┼─" {
		t.Errorf("in-commit merge = %q", got)
	}
}

func TestInverse(t *testing.T) {
	c := NewCanvas()
	c.Apply([]Op{{Kind: OpText, Text: "hello"}})
	before := c.Clone()
	e := c.Apply([]Op{{Kind: OpRect, X: 2, Y: -1, W: 5, H: 3, Ch: '*'}, {Kind: OpSet, Cells: []CellAt{{0, 0, Cell{}}}}})
	c.Apply(e.Inverse())
	if !c.Equal(before) {
		t.Fatalf("inverse did not restore: %q", RenderText(c, Rect{0, -1, 8, 3}))
	}
	if Effect(nil).Inverse() != nil {
		t.Error("empty effect has an inverse")
	}
}

func TestRevert(t *testing.T) {
	c := NewCanvas()
	c.Apply([]Op{{Kind: OpText, Text: "....."}})
	mine := c.Apply([]Op{{Kind: OpText, Text: "AAAAA"}})
	// Another user later overwrites two of my cells and erases one.
	c.Apply([]Op{{Kind: OpSet, Cells: []CellAt{{1, 0, cellOf('b')}, {3, 0, cellOf('b')}, {4, 0, Cell{}}}}})
	ops := c.Revert(mine)
	if err := ValidateOps(ops, DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || len(ops[0].Cells) != 2 {
		t.Fatalf("revert ops = %+v", ops)
	}
	c.Apply(ops)
	if got := RenderText(c, Rect{0, 0, 5, 1}); got != ".b.b" {
		t.Errorf("after revert = %q", got)
	}
	if ops := c.Revert(mine); ops != nil {
		t.Errorf("second revert = %+v", ops)
	}
}
