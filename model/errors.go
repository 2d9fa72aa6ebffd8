package model

import "errors"

// Sentinel errors. Callers match them with errors.Is; the returned errors
// wrap them with the offending value and where it was found, so the message
// alone is enough to fix the request.
var (
	// ErrBadColor reports a colour that is neither the default, a palette
	// index 0-255, nor a #rrggbb value, or a Color whose kind bits are unknown.
	ErrBadColor = errors.New("invalid color")

	// ErrWideRune reports a rune that terminals draw two columns wide where
	// only one column is available: in a name, a cursor label or a ghost,
	// where a wide rune would push everything after it one column right.
	// Cells take wide runes (see RuneWidth).
	ErrWideRune = errors.New("wide rune")

	// ErrUnsureWidth reports a rune that terminals do not agree on the width
	// of (the two width rules of Bubble Tea's renderer differ: regional
	// indicators, some recent combining letters). Whatever width the canvas
	// gave it, some screens would shift the rest of its row.
	ErrUnsureWidth = errors.New("rune of uncertain width")

	// ErrControlRune reports a control character, a line or paragraph
	// separator, a surrogate, a noncharacter or a value that is not a Unicode
	// code point. Writing these to a terminal moves the cursor or worse.
	ErrControlRune = errors.New("control rune")

	// ErrZeroWidth reports a rune that occupies no column of its own:
	// combining marks, format characters, zero-width joiners and medial or
	// final Hangul jamo. On its own in a cell it would merge into a neighbour.
	ErrZeroWidth = errors.New("zero-width rune")

	// ErrBounds reports a coordinate outside [-MaxCoord, MaxCoord] of the
	// limits in force.
	ErrBounds = errors.New("coordinate out of bounds")

	// ErrTooLarge reports a commit that touches more cells than its limits
	// allow.
	ErrTooLarge = errors.New("too many cells")

	// ErrBadOp reports a malformed operation or cell: an unknown kind, a
	// rectangle without area, text that is not UTF-8, unknown attribute bits,
	// a style on an erased cell, a field that the kind does not use, or a
	// "ch" that is not exactly one character.
	ErrBadOp = errors.New("invalid op")

	// ErrCorrupt reports binary data (a canvas snapshot or an encoded effect)
	// that is truncated, has trailing bytes, an unknown version, or decodes to
	// something invalid.
	ErrCorrupt = errors.New("corrupt data")
)
