package model

import "testing"

func TestRenderText(t *testing.T) {
	c := NewCanvas()
	c.Apply([]Op{
		{Kind: OpText, X: -1, Y: -1, Text: "ab  \n c"},
		{Kind: OpSet, Cells: []CellAt{{3, 1, cellOf('z')}}},
	})
	c.Set(0, 2, Cell{0x1b, 0, 0, 0}) // an escape smuggled in past validation
	tests := []struct {
		r    Rect
		want string
	}{
		{Rect{-1, -1, 5, 4}, "ab\n c\n    z\n ?"},
		{Rect{-1, -1, 2, 1}, "ab"},
		{Rect{10, 10, 3, 3}, "\n\n"},
		{Rect{0, 0, 0, 5}, ""},
	}
	for _, tt := range tests {
		if got := RenderText(c, tt.r); got != tt.want {
			t.Errorf("RenderText(%v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestRenderANSI(t *testing.T) {
	c := NewCanvas()
	c.Apply([]Op{
		{Kind: OpText, X: 0, Y: 0, Text: "ab", FG: Indexed(1)},
		{Kind: OpText, X: 2, Y: 0, Text: "c"},
		{Kind: OpText, X: 3, Y: 0, Text: "d", FG: Indexed(9), BG: Indexed(4), Attr: Bold | Underline},
		{Kind: OpText, X: 0, Y: 1, Text: "e", FG: Indexed(200), BG: Indexed(12)},
		{Kind: OpText, X: 1, Y: 1, Text: "f", FG: RGB(255, 128, 0), BG: RGB(1, 2, 3), Attr: AttrMask},
		{Kind: OpText, X: 2, Y: 1, Text: "  ", FG: Indexed(3)}, // invisible trailing spaces are trimmed
		{Kind: OpText, X: 0, Y: 2, Text: "g  "},
		{Kind: OpText, X: 3, Y: 2, Text: " ", BG: Indexed(7)}, // a visible trailing space is kept
		{Kind: OpText, X: 0, Y: 3, Text: "plain"},
	})
	want := "\x1b[31mab\x1b[0mc\x1b[1;4;91;44md\x1b[0m\n" +
		"\x1b[38;5;200;104me\x1b[0;1;2;3;4;7;9;38;2;255;128;0;48;2;1;2;3mf\x1b[0m\n" +
		"g  \x1b[47m \x1b[0m\n" +
		"plain"
	if got := RenderANSI(c, Rect{0, 0, 6, 4}); got != want {
		t.Errorf("RenderANSI =\n%q\nwant\n%q", got, want)
	}
	if got := RenderANSI(c, Rect{0, 3, 3, 2}); got != "pla\n" {
		t.Errorf("plain rows = %q", got)
	}
}
