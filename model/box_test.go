package model

import "testing"

func TestMergeBoxExamples(t *testing.T) {
	tests := []struct{ old, new, want rune }{
		{'─', '│', '┼'},
		{'│', '─', '┼'},
		{'┌', '┘', '┼'},
		{'═', '║', '╬'},
		{'━', '┃', '╋'},
		{'─', '┐', '┬'},
		{'╴', '╶', '─'},
		{'─', '┃', '╂'},
		{'━', '│', '┿'},
		{'─', '║', '╫'},
		{'═', '│', '╪'},
		{'┌', '━', '┯'},
		{'═', '┌', '╤'},
		{'╔', '│', '├'}, // no double-right/down + single-up glyph: doubles degrade
		{'━', '║', '┿'}, // heavy and double: double degrades to light
		{'╭', '╭', '╭'},
		{'╭', '┌', '╭'},
		{'╭', '╯', '┼'},
		{'╭', '╴', '┬'},
		{'╭', '┏', '┏'},
		{'╶', '╷', '┌'},
		{'a', '─', '─'},
		{'─', 'a', 'a'},
		{'┄', '│', '│'}, // dashed glyphs are not joined
		{'╳', '─', '─'},
	}
	for _, tt := range tests {
		if got := MergeBox(tt.old, tt.new); got != tt.want {
			t.Errorf("MergeBox(%c, %c) = %c, want %c", tt.old, tt.new, got, tt.want)
		}
	}
}

func boxGlyphs() []rune {
	var gs []rune
	for r := rune(0x2500); r <= 0x257f; r++ {
		if IsBox(r) {
			gs = append(gs, r)
		}
	}
	return gs
}

// TestMergeBoxLaws checks every pair exhaustively (113² merges).
func TestMergeBoxLaws(t *testing.T) {
	gs := boxGlyphs()
	if len(gs) != 113 {
		t.Fatalf("%d box glyphs, want 113 (128 minus 12 dashed minus 3 diagonals)", len(gs))
	}
	for _, a := range gs {
		if got := MergeBox(a, a); got != a {
			t.Errorf("MergeBox(%c, %c) = %c, not idempotent", a, a, got)
		}
		for _, b := range gs {
			ab, ba := MergeBox(a, b), MergeBox(b, a)
			if ab != ba {
				t.Errorf("MergeBox(%c, %c) = %c but MergeBox(%c, %c) = %c", a, b, ab, b, a, ba)
			}
			if !IsBox(ab) {
				t.Errorf("MergeBox(%c, %c) = %U, not a box glyph", a, b, ab)
			}
			// Every arm of either input survives in the result.
			ra, rb, rr := armsOf[a-boxFirst], armsOf[b-boxFirst], armsOf[ab-boxFirst]
			for dir := range 4 {
				if (ra.arm(dir) != no || rb.arm(dir) != no) != (rr.arm(dir) != no) {
					t.Errorf("MergeBox(%c, %c) = %c loses or invents arm %d", a, b, ab, dir)
				}
			}
		}
	}
}

func TestBoxTableRoundTrip(t *testing.T) {
	for _, g := range boxGlyphs() {
		a := armsOf[g-boxFirst]
		if isArc(g) {
			continue
		}
		if glyphOf[a] != g {
			t.Errorf("%c: arms %08b map back to %c", g, a, glyphOf[a])
		}
	}
}

func TestBoxGlyph(t *testing.T) {
	type arms4 struct{ u, r, d, l bool }
	shapes := []arms4{
		{false, true, false, true},  // ─
		{true, false, true, false},  // │
		{false, true, true, false},  // ┌
		{false, false, true, true},  // ┐
		{true, true, false, false},  // └
		{true, false, false, true},  // ┘
		{true, true, true, false},   // ├
		{true, false, true, true},   // ┤
		{false, true, true, true},   // ┬
		{true, true, false, true},   // ┴
		{true, true, true, true},    // ┼
		{false, true, false, false}, // one arm: full line
		{true, false, false, false},
	}
	want := map[BoxStyle]string{
		BoxSingle:   "─│┌┐└┘├┤┬┴┼─│",
		BoxDouble:   "═║╔╗╚╝╠╣╦╩╬═║",
		BoxHeavy:    "━┃┏┓┗┛┣┫┳┻╋━┃",
		BoxRounded:  "─│╭╮╰╯├┤┬┴┼─│",
		BoxStyle(9): "─│┌┐└┘├┤┬┴┼─│",
	}
	for s, w := range want {
		var got []rune
		for _, a := range shapes {
			got = append(got, BoxGlyph(s, a.u, a.r, a.d, a.l))
		}
		if string(got) != w {
			t.Errorf("style %d: %s, want %s", s, string(got), w)
		}
		if BoxGlyph(s, false, false, false, false) != 0 {
			t.Errorf("style %d: no arms gave a glyph", s)
		}
	}
	// Every combination of every style yields a glyph.
	for s := range BoxStyle(4) {
		for m := 1; m < 16; m++ {
			if g := BoxGlyph(s, m&1 != 0, m&2 != 0, m&4 != 0, m&8 != 0); !IsBox(g) {
				t.Errorf("style %d arms %04b: %U", s, m, g)
			}
		}
	}
}
