package model

import "fmt"

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
type Cell struct {
	Ch     rune
	FG, BG Color
	Attr   Attr
}

// IsEmpty reports whether the cell is undrawn.
func (c Cell) IsEmpty() bool { return c.Ch == 0 }

// style is the part of a cell that runs of text share.
type style struct {
	fg, bg Color
	attr   Attr
}

func (c Cell) style() style { return style{c.FG, c.BG, c.Attr} }

// Validate reports whether c may be stored. An empty cell must be the zero
// Cell: erasing removes the style too, otherwise two replicas could hold
// "empty" cells that compare unequal.
func (c Cell) Validate() error {
	if c.Ch == 0 {
		if c != (Cell{}) {
			return fmt.Errorf("%w: erased cell carries a style", ErrBadOp)
		}
		return nil
	}
	if err := ValidateRune(c.Ch); err != nil {
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
