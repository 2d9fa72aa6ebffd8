package model

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

//go:generate sh -c "cd .. && go run ./model/internal/widthgen"

// RuneWidth returns the number of columns r takes in a cell, 1 or 2, or an
// error if r cannot fill a cell. Widths are those Bubble Tea's renderer
// uses (width_table.go is generated from github.com/charmbracelet/x/ansi, and
// TestRuneWidthMatchesRenderer checks every code point against it), so a
// canvas lays out on screen exactly as the model counts it: a wide rune
// (CJK, emoji) fills its cell and the continuation cell to its right.
//
// Ambiguous-width runes such as the box-drawing set are one column (they are
// outside CJK locales, and are the point of an ASCII-art canvas), and so
// are private-use and unassigned code points outside the wide blocks: we
// cannot know their width, and newer Unicode versions than Go's tables
// would otherwise be refused.
//
// Errors wrap ErrControlRune, ErrZeroWidth or ErrUnsureWidth and name r as
// %U.
func RuneWidth(r rune) (int, error) {
	if r >= 0x20 && r < 0x7f {
		return 1, nil // printable ASCII: nearly every cell
	}
	switch {
	case !utf8.ValidRune(r), isNoncharacter(r),
		unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp):
		return 0, fmt.Errorf("%w %U", ErrControlRune, r)
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf), unicode.Is(zeroWidthJamo, r):
		return 0, fmt.Errorf("%w %U", ErrZeroWidth, r)
	case unicode.Is(unsureTable, r):
		return 0, fmt.Errorf("%w %U", ErrUnsureWidth, r)
	case isWideRune(r):
		return 2, nil
	}
	return 1, nil
}

// ValidateRune reports whether r is a printable rune that a terminal draws
// exactly one column wide: what a name, a cursor label or a ghost may hold.
// Cells take wide runes too (see RuneWidth).
//
// Errors wrap ErrControlRune, ErrZeroWidth, ErrUnsureWidth or ErrWideRune
// and name r as %U.
func ValidateRune(r rune) error {
	w, err := RuneWidth(r)
	if err == nil && w != 1 {
		err = fmt.Errorf("%w %U", ErrWideRune, r)
	}
	return err
}

// IsWide reports whether r is a valid rune two columns wide.
func IsWide(r rune) bool {
	w, err := RuneWidth(r)
	return err == nil && w == 2
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

// WidthTables are the tables RuneWidth consults beyond Unicode's general
// categories: the runes two columns wide, the runes whose width the two
// rules disagree on (refused), and the zero-width Hangul jamo. The browser
// page carries a copy (web/assets/width.js, kept equal by a test there), so
// that it accepts and places exactly the cells the authority does.
func WidthTables() (wide, unsure, jamo *unicode.RangeTable) {
	return wideTable, unsureTable, zeroWidthJamo
}
