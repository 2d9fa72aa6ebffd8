package model

import (
	"errors"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// TestRuneWidthMatchesRenderer checks every code point against the width
// rules of Bubble Tea's renderer (wcwidth by default, grapheme widths in
// terminals with mode 2027): a rune the model accepts must be as wide as
// both rules say, or screens would disagree with the canvas about where the
// rest of its row is. A failure after upgrading x/ansi means the generated
// table is stale: go generate ./model.
func TestRuneWidthMatchesRenderer(t *testing.T) {
	if os.Getenv("RUNEWIDTH_EASTASIAN") != "" {
		t.Skip("RUNEWIDTH_EASTASIAN changes the renderer's widths for this process only")
	}
	step := rune(1)
	if testing.Short() {
		step = 7
	}
	bad := 0
	for r := rune(0x20); r <= utf8.MaxRune && bad < 20; r += step {
		w, err := RuneWidth(r)
		if err != nil {
			continue
		}
		s := string(r)
		if wc, gr := ansi.StringWidthWc(s), ansi.StringWidth(s); wc != w || gr != w {
			t.Errorf("RuneWidth(%U) = %d; renderer: wcwidth %d, grapheme %d", r, w, wc, gr)
			bad++
		}
	}
}

func TestRuneWidth(t *testing.T) {
	for _, tt := range []struct {
		r    rune
		w    int
		want error
	}{
		{'a', 1, nil}, {'─', 1, nil}, {'é', 1, nil}, {'½', 1, nil}, {'✓', 1, nil}, {'★', 1, nil},
		{'漢', 2, nil}, {'字', 2, nil}, {'😀', 2, nil}, {'한', 2, nil}, {'Ａ', 2, nil}, {'\u3000', 2, nil},
		{'\u0301', 0, ErrZeroWidth}, {'\u200d', 0, ErrZeroWidth}, {'\ufe0f', 0, ErrZeroWidth},
		{'\U0001F1E6', 0, ErrUnsureWidth}, {'\t', 0, ErrControlRune}, {Continuation, 0, ErrControlRune},
	} {
		w, err := RuneWidth(tt.r)
		if w != tt.w || !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("RuneWidth(%U) = %d, %v; want %d, %v", tt.r, w, err, tt.w, tt.want)
		}
	}
}
