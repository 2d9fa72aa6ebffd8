package model

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidateOps(t *testing.T) {
	lim := Limits{MaxCoord: 100, MaxCells: 50}
	set := func(cells ...CellAt) Op { return Op{Kind: OpSet, Cells: cells} }
	at := func(x, y int32, r rune) CellAt { return CellAt{x, y, cellOf(r)} }
	tests := []struct {
		name string
		ops  []Op
		want error
		msg  string // substring of the error
	}{
		{"empty commit", nil, nil, ""},
		{"set", []Op{set(at(1, 2, 'a'), at(-100, 100, 'b'), CellAt{3, 3, Cell{}})}, nil, ""},
		{"empty set", []Op{{Kind: OpSet}}, nil, ""},
		{"rect", []Op{{Kind: OpRect, X: -100, Y: -100, W: 5, H: 10, Ch: '#', FG: Indexed(1)}}, nil, ""},
		{"rect clear", []Op{{Kind: OpRect, X: 96, Y: 96, W: 5, H: 5}}, nil, ""},
		{"text", []Op{{Kind: OpText, X: 98, Y: 99, Text: "abc\nde", Attr: Bold}}, nil, ""},
		{"text newlines only", []Op{{Kind: OpText, Y: 100, Text: "\n\n\n"}}, nil, ""},
		{"exactly MaxCells", []Op{{Kind: OpRect, W: 5, H: 5, Ch: 'x'}, {Kind: OpRect, W: 25, H: 1}}, nil, ""},

		{"unknown kind", []Op{{Kind: "circle"}}, ErrBadOp, `op 0: invalid op: unknown kind "circle"`},
		{"empty kind", []Op{{}}, ErrBadOp, "unknown kind"},
		{"unsure rune", []Op{set(), set(at(0, 0, 'a')), {Kind: OpText}, set(at(5, 7, '\U0001F1E6'))}, ErrUnsureWidth, "op 3: cell (5,7): rune of uncertain width U+1F1E6"},
		{"wide set", []Op{set(at(99, 7, '中'))}, nil, ""},
		{"wide set at edge", []Op{set(at(100, 7, '中'))}, ErrBounds, "cell (100,7): wide rune U+4E2D: continuation cell (101,7)"},
		{"wide counts two", []Op{{Kind: OpRect, W: 7, H: 7}, set(at(0, 0, '中'))}, ErrTooLarge, ""},
		{"wide rect", []Op{{Kind: OpRect, W: 4, H: 2, Ch: '中'}}, nil, ""},
		{"wide rect odd", []Op{{Kind: OpRect, W: 3, H: 2, Ch: '中'}}, ErrBadOp, "odd width 3"},
		{"text wide", []Op{{Kind: OpText, X: 96, Y: 1, Text: "ab\n中😀"}}, nil, ""},
		{"text wide out", []Op{{Kind: OpText, X: 96, Y: 1, Text: "中😀中"}}, ErrBounds, "cell (100,1): wide rune U+4E2D: continuation cell (101,1)"},
		{"control rune", []Op{set(at(0, 0, '\t'))}, ErrControlRune, "control rune U+0009"},
		{"combining", []Op{set(at(0, 0, '\u0301'))}, ErrZeroWidth, "U+0301"},
		{"bad fg", []Op{set(CellAt{0, 0, Cell{'a', 9 << 24, 0, 0}})}, ErrBadColor, "fg"},
		{"bad bg", []Op{set(CellAt{0, 0, Cell{'a', 0, 1<<24 | 300, 0}})}, ErrBadColor, "bg"},
		{"bad attr", []Op{set(CellAt{0, 0, Cell{'a', 0, 0, 1 << 7}})}, ErrBadOp, "attribute"},
		{"styled erase", []Op{set(CellAt{0, 0, Cell{0, Indexed(1), 0, 0}})}, ErrBadOp, "erased cell"},
		{"set x", []Op{{Kind: OpSet, X: 1}}, ErrBadOp, "set op does not use x/y"},
		{"set fg", []Op{{Kind: OpSet, FG: Indexed(1)}}, ErrBadOp, "fg"},
		{"rect merge", []Op{{Kind: OpRect, W: 1, H: 1, Merge: true}}, ErrBadOp, "merge"},
		{"rect cells", []Op{{Kind: OpRect, W: 1, H: 1, Cells: []CellAt{{}}}}, ErrBadOp, "cells"},
		{"text ch", []Op{{Kind: OpText, Ch: 'a'}}, ErrBadOp, "ch"},
		{"text w", []Op{{Kind: OpText, W: 2}}, ErrBadOp, "w/h"},
		{"set out of bounds", []Op{set(at(101, 0, 'a'))}, ErrBounds, "cell (101,0)"},
		{"set out of bounds neg", []Op{set(at(0, -101, 'a'))}, ErrBounds, "cell (0,-101)"},
		{"rect zero width", []Op{{Kind: OpRect, W: 0, H: 3}}, ErrBadOp, "0x3"},
		{"rect negative", []Op{{Kind: OpRect, W: 3, H: -1}}, ErrBadOp, "not positive"},
		{"rect origin out", []Op{{Kind: OpRect, X: -101, W: 1, H: 1}}, ErrBounds, "(-101,0)"},
		{"rect far corner", []Op{{Kind: OpRect, X: 96, Y: 96, W: 5, H: 6}}, ErrBounds, "far corner cell (100,101)"},
		{"rect int32 overflow", []Op{{Kind: OpRect, X: 100, Y: 0, W: math.MaxInt32, H: 1}}, ErrBounds, ""},
		{"rect too large", []Op{{Kind: OpRect, X: 0, Y: 0, W: 10, H: 6, Ch: 'x'}}, ErrTooLarge, "more than 50 cells"},
		{"cells summed", []Op{{Kind: OpRect, W: 7, H: 7}, set(at(0, 0, 'a'), at(0, 1, 'a'))}, ErrTooLarge, "op 1"},
		{"text too long", []Op{{Kind: OpText, Text: strings.Repeat("ab\n", 26)}}, ErrTooLarge, ""},
		{"text out of bounds", []Op{{Kind: OpText, X: 99, Text: "abc"}}, ErrBounds, "cell (101,0)"},
		{"text rows out", []Op{{Kind: OpText, Y: 99, Text: "a\nb\nc"}}, ErrBounds, "cell (0,101)"},
		{"text invalid utf8", []Op{{Kind: OpText, Text: "a\xffb"}}, ErrBadOp, "UTF-8"},
		{"text unsure", []Op{{Kind: OpText, X: 1, Y: 1, Text: "ab\n\U0001F1E6"}}, ErrUnsureWidth, "cell (1,2)"},
		{"text tab", []Op{{Kind: OpText, Text: "a\tb"}}, ErrControlRune, ""},
		{"text cr", []Op{{Kind: OpText, Text: "a\r\nb"}}, ErrControlRune, ""},
		{"text bad colour", []Op{{Kind: OpText, Text: "a", FG: 7 << 24}}, ErrBadColor, ""},
	}
	for _, tt := range tests {
		err := ValidateOps(tt.ops, lim)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("%s: unexpected %v", tt.name, err)
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		case tt.want != nil && !strings.Contains(err.Error(), tt.msg):
			t.Errorf("%s: %q does not mention %q", tt.name, err, tt.msg)
		}
	}
}

func TestValidateOpsLimitsEdges(t *testing.T) {
	// At the default limits: the outermost cells are fine, one further is not.
	m := int32(MaxCoord)
	ok := []Op{
		{Kind: OpSet, Cells: []CellAt{{m, m, cellOf('a')}, {-m, -m, cellOf('a')}}},
		{Kind: OpRect, X: m - 1, Y: -m, W: 2, H: 2, Ch: 'r'},
		{Kind: OpText, X: m - 2, Y: m, Text: "abc"},
	}
	if err := ValidateOps(ok, Limits{}); err != nil {
		t.Fatalf("edge ops rejected: %v", err)
	}
	for _, op := range []Op{
		{Kind: OpSet, Cells: []CellAt{{m + 1, 0, cellOf('a')}}},
		{Kind: OpSet, Cells: []CellAt{{math.MinInt32, 0, cellOf('a')}}},
		{Kind: OpRect, X: m, Y: 0, W: 2, H: 1, Ch: 'r'},
		{Kind: OpRect, X: math.MaxInt32, Y: math.MaxInt32, W: math.MaxInt32, H: math.MaxInt32},
		{Kind: OpText, X: m - 2, Y: m, Text: "abcd"},
	} {
		if err := ValidateOps([]Op{op}, DefaultLimits); !errors.Is(err, ErrBounds) {
			t.Errorf("%+v: %v", op, err)
		}
	}
	// Area above MaxCells, computed without overflow.
	big := Op{Kind: OpRect, X: -m, Y: -m, W: math.MaxInt32, H: math.MaxInt32}
	if err := ValidateOps([]Op{big}, Limits{MaxCoord: math.MaxInt32}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge rect: %v", err)
	}
	if err := ValidateOps([]Op{{Kind: OpRect, W: 257, H: 256}}, Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("rect of 65792 cells: %v", err)
	}
	if err := ValidateOps([]Op{{Kind: OpRect, W: 256, H: 256}}, Limits{}); err != nil {
		t.Errorf("rect of exactly 65536 cells: %v", err)
	}
}

// TestEmptyOpsAreNotFree is finding 3 of issue 15: a commit of 1 MiB of
// {"op":"text"} with no cells used to pass as touching nothing. Each op
// now costs at least one cell, and a commit holds at most MaxOps ops.
func TestEmptyOpsAreNotFree(t *testing.T) {
	empty := func(n int) []Op {
		ops := make([]Op, n)
		for i := range ops {
			ops[i] = Op{Kind: OpText}
		}
		return ops
	}
	if err := ValidateOps(empty(100), Limits{}); err != nil {
		t.Fatalf("100 empty ops: %v", err)
	}
	if err := ValidateOps(empty(DefaultLimits.MaxOps+1), Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%d empty ops: %v; want ErrTooLarge", DefaultLimits.MaxOps+1, err)
	}
	if err := ValidateOps(empty(11), Limits{MaxCells: 10}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("11 empty ops with 10 cells allowed: %v; want ErrTooLarge", err)
	}
	// A 10-cell op plus an empty one is 11 cells.
	ops := append([]Op{{Kind: OpRect, W: 10, H: 1, Ch: 'x'}}, empty(1)...)
	if err := ValidateOps(ops, Limits{MaxCells: 10}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("10 cells and an empty op with 10 allowed: %v", err)
	}
	if err := ValidateOps(ops[:1], Limits{MaxCells: 10}); err != nil {
		t.Fatalf("10 cells with 10 allowed: %v", err)
	}
}
