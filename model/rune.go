package model

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ValidateRune reports whether r can fill a cell: a printable rune that a
// terminal draws exactly one column wide. Ambiguous-width runes such as the
// box-drawing set are accepted (they are one column outside CJK locales and
// are the point of an ASCII-art canvas). Private-use and unassigned code
// points are accepted too: we cannot know their width, and newer Unicode
// versions than Go's tables would otherwise be refused.
//
// Errors wrap ErrControlRune, ErrZeroWidth or ErrWideRune and name r as %U.
func ValidateRune(r rune) error {
	if r >= 0x20 && r < 0x7f {
		return nil // printable ASCII: nearly every cell
	}
	switch {
	case !utf8.ValidRune(r), isNoncharacter(r),
		unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp):
		return fmt.Errorf("%w %U", ErrControlRune, r)
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf), unicode.Is(zeroWidthJamo, r):
		return fmt.Errorf("%w %U", ErrZeroWidth, r)
	case unicode.Is(wideRunes, r):
		return fmt.Errorf("%w %U", ErrWideRune, r)
	}
	return nil
}

// isNoncharacter reports the 66 code points Unicode reserves for internal
// use; they are never meant to be interchanged.
func isNoncharacter(r rune) bool {
	return r >= 0xfdd0 && r <= 0xfdef || r&0xfffe == 0xfffe
}

// zeroWidthJamo are Hangul vowel and final-consonant jamo. They are letters
// (Lo), but terminals compose them onto the preceding initial consonant
// rather than giving them a column.
var zeroWidthJamo = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x1160, Hi: 0x11ff, Stride: 1},
		{Lo: 0xd7b0, Hi: 0xd7ff, Stride: 1},
	},
}

// wideRunes approximates East Asian Width W and F plus emoji presentation,
// which is what terminals draw two columns wide. The standard library has no
// width table. Blocks are taken whole, including their unassigned gaps and a
// few narrow members (Yijing hexagrams, text-style emoji near the pictographs,
// regional indicators, which pair into two-column flags): a rune wrongly
// refused costs a user one glyph, a wide rune wrongly accepted shifts the
// rest of its row on every screen.
var wideRunes = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x1100, Hi: 0x115f, Stride: 1}, // Hangul initial jamo
		{Lo: 0x231a, Hi: 0x231b, Stride: 1}, // watch, hourglass
		{Lo: 0x2329, Hi: 0x232a, Stride: 1}, // angle brackets
		{Lo: 0x23e9, Hi: 0x23ec, Stride: 1},
		{Lo: 0x23f0, Hi: 0x23f0, Stride: 1},
		{Lo: 0x23f3, Hi: 0x23f3, Stride: 1},
		{Lo: 0x25fd, Hi: 0x25fe, Stride: 1},
		{Lo: 0x2614, Hi: 0x2615, Stride: 1},
		{Lo: 0x2648, Hi: 0x2653, Stride: 1}, // zodiac
		{Lo: 0x267f, Hi: 0x267f, Stride: 1},
		{Lo: 0x2693, Hi: 0x2693, Stride: 1},
		{Lo: 0x26a1, Hi: 0x26a1, Stride: 1},
		{Lo: 0x26aa, Hi: 0x26ab, Stride: 1},
		{Lo: 0x26bd, Hi: 0x26be, Stride: 1},
		{Lo: 0x26c4, Hi: 0x26c5, Stride: 1},
		{Lo: 0x26ce, Hi: 0x26ce, Stride: 1},
		{Lo: 0x26d4, Hi: 0x26d4, Stride: 1},
		{Lo: 0x26ea, Hi: 0x26ea, Stride: 1},
		{Lo: 0x26f2, Hi: 0x26f3, Stride: 1},
		{Lo: 0x26f5, Hi: 0x26f5, Stride: 1},
		{Lo: 0x26fa, Hi: 0x26fa, Stride: 1},
		{Lo: 0x26fd, Hi: 0x26fd, Stride: 1},
		{Lo: 0x2705, Hi: 0x2705, Stride: 1},
		{Lo: 0x270a, Hi: 0x270b, Stride: 1},
		{Lo: 0x2728, Hi: 0x2728, Stride: 1},
		{Lo: 0x274c, Hi: 0x274c, Stride: 1},
		{Lo: 0x274e, Hi: 0x274e, Stride: 1},
		{Lo: 0x2753, Hi: 0x2755, Stride: 1},
		{Lo: 0x2757, Hi: 0x2757, Stride: 1},
		{Lo: 0x2795, Hi: 0x2797, Stride: 1},
		{Lo: 0x27b0, Hi: 0x27b0, Stride: 1},
		{Lo: 0x27bf, Hi: 0x27bf, Stride: 1},
		{Lo: 0x2b1b, Hi: 0x2b1c, Stride: 1},
		{Lo: 0x2b50, Hi: 0x2b50, Stride: 1},
		{Lo: 0x2b55, Hi: 0x2b55, Stride: 1},
		{Lo: 0x2e80, Hi: 0x303e, Stride: 1}, // CJK radicals .. CJK symbols (not U+303F half-fill space)
		{Lo: 0x3040, Hi: 0xa4cf, Stride: 1}, // kana, bopomofo, CJK ideographs, Yi
		{Lo: 0xa960, Hi: 0xa97f, Stride: 1}, // Hangul jamo extended-A
		{Lo: 0xac00, Hi: 0xd7a3, Stride: 1}, // Hangul syllables
		{Lo: 0xf900, Hi: 0xfaff, Stride: 1}, // CJK compatibility ideographs
		{Lo: 0xfe10, Hi: 0xfe19, Stride: 1}, // vertical forms
		{Lo: 0xfe30, Hi: 0xfe6f, Stride: 1}, // CJK compatibility and small forms
		{Lo: 0xff00, Hi: 0xff60, Stride: 1}, // fullwidth forms
		{Lo: 0xffe0, Hi: 0xffe6, Stride: 1}, // fullwidth signs
	},
	R32: []unicode.Range32{
		{Lo: 0x16fe0, Hi: 0x16fe4, Stride: 1}, // ideographic symbols
		{Lo: 0x16ff0, Hi: 0x16ff1, Stride: 1},
		{Lo: 0x17000, Hi: 0x18d08, Stride: 1}, // Tangut, Khitan
		{Lo: 0x1aff0, Hi: 0x1b2ff, Stride: 1}, // kana supplements, Nushu
		{Lo: 0x1f004, Hi: 0x1f004, Stride: 1}, // mahjong red dragon
		{Lo: 0x1f0cf, Hi: 0x1f0cf, Stride: 1}, // joker
		{Lo: 0x1f18e, Hi: 0x1f18e, Stride: 1},
		{Lo: 0x1f191, Hi: 0x1f19a, Stride: 1}, // squared words
		{Lo: 0x1f1e6, Hi: 0x1f64f, Stride: 1}, // regional indicators .. emoticons
		{Lo: 0x1f680, Hi: 0x1f6ff, Stride: 1}, // transport and map
		{Lo: 0x1f7e0, Hi: 0x1f7eb, Stride: 1}, // coloured circles and squares
		{Lo: 0x1f7f0, Hi: 0x1f7f0, Stride: 1},
		{Lo: 0x1f900, Hi: 0x1f9ff, Stride: 1}, // supplemental symbols and pictographs
		{Lo: 0x1fa70, Hi: 0x1faff, Stride: 1}, // symbols and pictographs extended-A
		{Lo: 0x20000, Hi: 0x2fffd, Stride: 1}, // CJK extension planes
		{Lo: 0x30000, Hi: 0x3fffd, Stride: 1},
	},
}
