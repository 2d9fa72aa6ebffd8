package model

import (
	"errors"
	"testing"
	"unicode"
)

func TestValidateRune(t *testing.T) {
	tests := []struct {
		r    rune
		want error
	}{
		{'a', nil},
		{' ', nil},
		{'~', nil},
		{'é', nil},
		{'─', nil},
		{'╬', nil},
		{'█', nil},
		{'λ', nil},
		{'\u00a0', nil},     // no-break space
		{'\ue000', nil},     // private use
		{'\U000f0000', nil}, // supplementary private use
		{'ｱ', nil},          // halfwidth katakana
		{'中', ErrWideRune},
		{'あ', ErrWideRune},
		{'한', ErrWideRune},
		{'Ａ', ErrWideRune}, // fullwidth A
		{'\u3000', ErrWideRune},
		{'😀', ErrWideRune},
		{'🚀', ErrWideRune},
		{'🤖', ErrWideRune},
		{'🫠', ErrWideRune},
		{'⌚', ErrWideRune},
		{'\U00020000', ErrWideRune},
		{'\U0001F1E6', ErrUnsureWidth}, // regional indicator: one column or two, by terminal
		{'\t', ErrControlRune},
		{'\n', ErrControlRune},
		{0, ErrControlRune},
		{0x7f, ErrControlRune},
		{0x85, ErrControlRune},
		{'\u2028', ErrControlRune},
		{0xd800, ErrControlRune},
		{0xfffe, ErrControlRune},
		{0x10ffff, ErrControlRune},
		{0x110000, ErrControlRune},
		{-1, ErrControlRune},
		{'\u0301', ErrZeroWidth}, // combining acute
		{'\u20dd', ErrZeroWidth}, // combining enclosing circle (Me)
		{'\u200b', ErrZeroWidth},
		{'\u200d', ErrZeroWidth},
		{'\ufe0f', ErrZeroWidth},
		{'\u00ad', ErrZeroWidth},
		{'\u1160', ErrZeroWidth},
	}
	for _, tt := range tests {
		err := ValidateRune(tt.r)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("ValidateRune(%U) = %v, want %v", tt.r, err, tt.want)
		}
	}
	if got, want := ValidateRune('中').Error(), "wide rune U+4E2D"; got != want {
		t.Errorf("error text %q, want %q", got, want)
	}
}

func TestWideTableWellFormed(t *testing.T) {
	// unicode.Is assumes sorted, disjoint ranges; a mistake would silently
	// misclassify runes. isWideRune skips the table below 0x1100.
	if lo := rune(wideTable.R16[0].Lo); lo < 0x1100 {
		t.Errorf("wideTable starts at %U, isWideRune assumes U+1100", lo)
	}
	for _, tab := range []*unicode.RangeTable{wideTable, unsureTable, zeroWidthJamo} {
		prev := rune(-1)
		for _, r := range tab.R16 {
			if rune(r.Lo) <= prev || r.Hi < r.Lo || r.Stride != 1 {
				t.Errorf("bad R16 range %#x-%#x", r.Lo, r.Hi)
			}
			prev = rune(r.Hi)
		}
		for _, r := range tab.R32 {
			if rune(r.Lo) <= prev || r.Hi < r.Lo || r.Stride != 1 || r.Lo <= 0xffff {
				t.Errorf("bad R32 range %#x-%#x", r.Lo, r.Hi)
			}
			prev = rune(r.Hi)
		}
	}
}

func TestValidateRuneAllBoxGlyphs(t *testing.T) {
	for r := rune(0x2500); r <= 0x257f; r++ {
		if err := ValidateRune(r); err != nil {
			t.Errorf("%c: %v", r, err)
		}
	}
}
