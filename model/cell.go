package model

import (
	"fmt"
	"unicode"
)

// Attr is a set of text attributes, one bit each, in the order of their SGR
// parameters (1, 2, 3, 4, 7, 9).
type Attr uint8

// Attributes.
const (
	Bold Attr = 1 << iota
	Faint
	Italic
	Underline
	Reverse
	Strike
)

// AttrMask holds every defined attribute bit. Other bits are invalid so that
// new attributes can be added later without old clients misreading them.
const AttrMask = Bold | Faint | Italic | Underline | Reverse | Strike

// Validate reports unknown attribute bits.
func (a Attr) Validate() error {
	if a&^AttrMask != 0 {
		return fmt.Errorf("%w: unknown attribute bits %#02x", ErrBadOp, uint8(a&^AttrMask))
	}
	return nil
}

// Cell is one column of one row. The zero Cell is empty (never drawn, or
// erased); a drawn cell has Ch != 0. Cell is comparable, and == is the
// equality the canvas, effects and tests rely on.
//
// A wide rune (RuneWidth 2: CJK, emoji) occupies two cells: the wide cell,
// holding the rune, and to its right a continuation cell (Ch ==
// Continuation) with the same style. The canvas keeps the two together:
// writing over either half clears the other, so no canvas ever holds half a
// character. Continuation cells exist only inside a canvas and its effects;
// operations never carry them (a wide rune in an op brings its own).
type Cell struct {
	Ch     rune
	FG, BG Color
	Attr   Attr
}

// Continuation is the Ch of the right half of a wide cell. It is not a
// Unicode code point (it is one past the last), so no op, name or ghost can
// hold it, and renderers that forget to skip it show '?' rather than a
// plausible character.
const Continuation rune = 0x110000

// IsEmpty reports whether the cell is undrawn.
func (c Cell) IsEmpty() bool { return c.Ch == 0 }

// IsContinuation reports whether c is the right half of a wide cell.
func (c Cell) IsContinuation() bool { return c.Ch == Continuation }

// IsWide reports whether c holds a wide rune, and so has a continuation
// cell to its right.
// It is on the hot path of every write, so it consults the wide table only
// (every rune in it is valid) and skips it below its first entry.
func (c Cell) IsWide() bool { return isWideRune(c.Ch) }

func isWideRune(r rune) bool { return r >= 0x1100 && r < Continuation && unicode.Is(wideTable, r) }

// Width returns the columns the cell's rune takes: 2 for a wide cell, 0 for
// a continuation, 1 otherwise (an empty cell shows as one blank column).
func (c Cell) Width() int {
	switch {
	case c.Ch == Continuation:
		return 0
	case c.IsWide():
		return 2
	}
	return 1
}

// continuation returns the right half of wide cell c.
func (c Cell) continuation() Cell { return Cell{Continuation, c.FG, c.BG, c.Attr} }

// style is the part of a cell that runs of text share.
type style struct {
	fg, bg Color
	attr   Attr
}

func (c Cell) style() style { return style{c.FG, c.BG, c.Attr} }

// Validate reports whether c may be sent in an op. A continuation cell may
// not: the wide rune it belongs to brings it. An empty cell must be the zero
// Cell: erasing removes the style too, otherwise two replicas could hold
// "empty" cells that compare unequal.
func (c Cell) Validate() error {
	if c.Ch == 0 {
		if c != (Cell{}) {
			return fmt.Errorf("%w: erased cell carries a style", ErrBadOp)
		}
		return nil
	}
	if _, err := RuneWidth(c.Ch); err != nil {
		return err
	}
	return validateStyle(c.FG, c.BG, c.Attr)
}

func validateStyle(fg, bg Color, a Attr) error {
	if err := fg.Validate(); err != nil {
		return fmt.Errorf("fg: %w", err)
	}
	if err := bg.Validate(); err != nil {
		return fmt.Errorf("bg: %w", err)
	}
	return a.Validate()
}
