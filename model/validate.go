package model

import (
	"fmt"
	"unicode/utf8"
)

// MaxCoord is the default coordinate limit, and the limit the binary
// decoders enforce. 2^30 leaves headroom so that a coordinate plus any size
// the model produces stays inside int32.
const MaxCoord = 1 << 30

// Limits bound what one commit may do. A zero (or negative) field means its
// DefaultLimits value.
type Limits struct {
	// MaxCoord bounds every coordinate touched to [-MaxCoord, MaxCoord].
	MaxCoord int32
	// MaxCells bounds the cells touched by one commit: set cells plus rect
	// areas plus text runes (newlines excluded), a wide rune in a set or
	// text counting two.
	MaxCells int
	// MaxOps bounds the ops of one commit. Every op also counts as at
	// least one touched cell, so empty ops are not free either.
	MaxOps int
}

// DefaultLimits are the limits the authority applies unless a room says
// otherwise.
var DefaultLimits = Limits{MaxCoord: MaxCoord, MaxCells: 65536, MaxOps: 16384}

func (l Limits) withDefaults() Limits {
	if l.MaxCoord <= 0 {
		l.MaxCoord = DefaultLimits.MaxCoord
	}
	if l.MaxCells <= 0 {
		l.MaxCells = DefaultLimits.MaxCells
	}
	if l.MaxOps <= 0 {
		l.MaxOps = DefaultLimits.MaxOps
	}
	return l
}

// ValidateOps checks a commit before anyone applies it: known kinds with
// only their own fields set, positive rectangle sizes, valid UTF-8 text,
// valid runes, colours and attributes, every touched coordinate (including a
// rectangle's far corner and every text rune) within bounds, and the total
// number of cells within the limit. All arithmetic is int64, so no value
// of the int32 fields can wrap around a check.
//
// Errors wrap one of the package's sentinels and say where the problem is,
// e.g. "op 3: cell (5,7): wide rune U+4E2D".
func ValidateOps(ops []Op, lim Limits) error {
	lim = lim.withDefaults()
	v := validator{lim: lim, maxc: int64(lim.MaxCoord)}
	if len(ops) > lim.MaxOps {
		return fmt.Errorf("%w: commit has %d ops, more than %d", ErrTooLarge, len(ops), lim.MaxOps)
	}
	for i := range ops {
		if err := v.op(&ops[i]); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
	}
	return nil
}

type validator struct {
	lim   Limits
	maxc  int64
	cells int64 // cells touched so far
}

func (v *validator) inBounds(x, y int64) bool {
	return x >= -v.maxc && x <= v.maxc && y >= -v.maxc && y <= v.maxc
}

func (v *validator) boundsErr(x, y int64) error {
	return fmt.Errorf("cell (%d,%d): %w (limit ±%d)", x, y, ErrBounds, v.maxc)
}

// add counts n more touched cells. It is called before the cells are
// examined, so an oversized commit is refused without walking it.
func (v *validator) add(n int64) error {
	v.cells += n
	if v.cells > int64(v.lim.MaxCells) {
		return fmt.Errorf("%w: commit touches more than %d cells", ErrTooLarge, v.lim.MaxCells)
	}
	return nil
}

func (v *validator) op(o *Op) error {
	if err := unusedFields(o); err != nil {
		return err
	}
	before := v.cells
	var err error
	switch o.Kind {
	case OpSet:
		err = v.set(o)
	case OpRect:
		err = v.rect(o)
	case OpText:
		err = v.text(o)
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrBadOp, o.Kind)
	}
	if err == nil && v.cells == before {
		// An op that touches nothing still costs one cell: it is decoded,
		// stored and sent to everyone all the same.
		err = v.add(1)
	}
	return err
}

// unusedFields refuses fields the kind ignores, so that a sender's mistake
// (a rect with "merge", a set with a "fg") fails loudly instead of being
// silently dropped.
func unusedFields(o *Op) error {
	var name string
	switch o.Kind {
	case OpSet:
		switch {
		case o.X != 0 || o.Y != 0:
			name = "x/y"
		case o.W != 0 || o.H != 0:
			name = "w/h"
		case o.Text != "":
			name = "text"
		case o.Ch != 0:
			name = "ch"
		case o.FG != 0 || o.BG != 0 || o.Attr != 0:
			name = "fg/bg/attr"
		}
	case OpRect:
		switch {
		case len(o.Cells) != 0:
			name = "cells"
		case o.Merge:
			name = "merge"
		case o.Text != "":
			name = "text"
		}
	case OpText:
		switch {
		case len(o.Cells) != 0:
			name = "cells"
		case o.Merge:
			name = "merge"
		case o.W != 0 || o.H != 0:
			name = "w/h"
		case o.Ch != 0:
			name = "ch"
		}
	}
	if name != "" {
		return fmt.Errorf("%w: %s op does not use %s", ErrBadOp, o.Kind, name)
	}
	return nil
}

func (v *validator) set(o *Op) error {
	if err := v.add(int64(len(o.Cells))); err != nil {
		return err
	}
	for _, c := range o.Cells {
		if !v.inBounds(int64(c.X), int64(c.Y)) {
			return v.boundsErr(int64(c.X), int64(c.Y))
		}
		if err := c.Cell.Validate(); err != nil {
			return fmt.Errorf("cell (%d,%d): %w", c.X, c.Y, err)
		}
		if err := v.wide(c.Cell.Ch, int64(c.X), int64(c.Y)); err != nil {
			return err
		}
	}
	return nil
}

// wide accounts for the continuation cell of a wide rune at (x, y): it is
// a touched cell, and it must be within bounds too.
func (v *validator) wide(r rune, x, y int64) error {
	if !isWideRune(r) {
		return nil
	}
	if !v.inBounds(x+1, y) {
		return fmt.Errorf("cell (%d,%d): wide rune %U: continuation %w", x, y, r, v.boundsErr(x+1, y))
	}
	return v.add(1)
}

func (v *validator) rect(o *Op) error {
	if o.W <= 0 || o.H <= 0 {
		return fmt.Errorf("%w: rect size %dx%d is not positive", ErrBadOp, o.W, o.H)
	}
	x0, y0 := int64(o.X), int64(o.Y)
	x1, y1 := x0+int64(o.W)-1, y0+int64(o.H)-1
	if !v.inBounds(x0, y0) {
		return fmt.Errorf("rect: %w", v.boundsErr(x0, y0))
	}
	if !v.inBounds(x1, y1) {
		return fmt.Errorf("rect: far corner %w", v.boundsErr(x1, y1))
	}
	if err := v.add(int64(o.W) * int64(o.H)); err != nil {
		return err
	}
	if err := (Cell{o.Ch, o.FG, o.BG, o.Attr}).Validate(); err != nil {
		return fmt.Errorf("rect: %w", err)
	}
	if isWideRune(o.Ch) && o.W%2 != 0 {
		return fmt.Errorf("%w: rect filled with wide rune %U has odd width %d", ErrBadOp, o.Ch, o.W)
	}
	return nil
}

func (v *validator) text(o *Op) error {
	if !utf8.ValidString(o.Text) {
		return fmt.Errorf("%w: text is not valid UTF-8", ErrBadOp)
	}
	if err := validateStyle(o.FG, o.BG, o.Attr); err != nil {
		return fmt.Errorf("text: %w", err)
	}
	x, y := int64(o.X), int64(o.Y)
	for _, r := range o.Text {
		if r == '\n' {
			x, y = int64(o.X), y+1
			continue
		}
		if err := v.add(1); err != nil {
			return err
		}
		if !v.inBounds(x, y) {
			return fmt.Errorf("text: %w", v.boundsErr(x, y))
		}
		w, err := RuneWidth(r)
		if err != nil {
			return fmt.Errorf("text: cell (%d,%d): %w", x, y, err)
		}
		if w == 2 {
			if err := v.wide(r, x, y); err != nil {
				return fmt.Errorf("text: %w", err)
			}
		}
		x += int64(w)
	}
	return nil
}
