package model

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// OpKind names an operation on the wire.
type OpKind string

// Operation kinds.
const (
	// OpSet writes individual cells: freehand strokes, erasers, pastes.
	OpSet OpKind = "set"
	// OpRect fills (or, with Ch == 0, clears) a rectangle in one style.
	OpRect OpKind = "rect"
	// OpText writes lines of text in one style.
	OpText OpKind = "text"
)

// CellAt is a cell and where it goes. On the wire it is one flat object,
// {"x":1,"y":2,"ch":"#","fg":"#ff0000","bg":"","attr":1}, because set ops
// carry thousands of them and nesting would double the keys.
type CellAt struct {
	X, Y int32
	Cell Cell
}

// cellAtJSON is the decoding shape of CellAt. Missing fields are zero.
type cellAtJSON struct {
	X    int32  `json:"x"`
	Y    int32  `json:"y"`
	Ch   string `json:"ch"`
	FG   Color  `json:"fg"`
	BG   Color  `json:"bg"`
	Attr Attr   `json:"attr"`
}

// MarshalJSON writes x, y and ch always, and fg, bg and attr only when set.
// It is hand-written because it runs once per cell of every set op.
func (c CellAt) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 48)
	b = append(b, `{"x":`...)
	b = strconv.AppendInt(b, int64(c.X), 10)
	b = append(b, `,"y":`...)
	b = strconv.AppendInt(b, int64(c.Y), 10)
	b = append(b, `,"ch":`...)
	b = appendJSONRune(b, c.Cell.Ch)
	for _, f := range [...]struct {
		key string
		c   Color
	}{{`,"fg":"`, c.Cell.FG}, {`,"bg":"`, c.Cell.BG}} {
		if f.c == ColorDefault {
			continue
		}
		if err := f.c.Validate(); err != nil {
			return nil, err
		}
		b = append(b, f.key...)
		b = append(b, f.c.String()...)
		b = append(b, '"')
	}
	if c.Cell.Attr != 0 {
		b = append(b, `,"attr":`...)
		b = strconv.AppendUint(b, uint64(c.Cell.Attr), 10)
	}
	return append(b, '}'), nil
}

// appendJSONRune appends r as a JSON string; 0 is "".
func appendJSONRune(b []byte, r rune) []byte {
	switch {
	case r == 0:
		return append(b, `""`...)
	case r >= 0x20 && r < 0x7f && r != '"' && r != '\\':
		return append(b, '"', byte(r), '"')
	}
	q, _ := json.Marshal(string(r)) // a string always marshals
	return append(b, q...)
}

// UnmarshalJSON reads the flat form. Values are checked for shape only (ch
// is at most one rune, colours parse); ValidateOps checks the rest.
func (c *CellAt) UnmarshalJSON(b []byte) error {
	var v cellAtJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	ch, err := parseCh(v.Ch)
	if err != nil {
		return err
	}
	*c = CellAt{v.X, v.Y, Cell{Ch: ch, FG: v.FG, BG: v.BG, Attr: v.Attr}}
	return nil
}

// parseCh decodes a "ch" field: "" is 0 (erase), otherwise exactly one
// rune. "\u0000" is refused because it would read as erase while looking
// like a character.
func parseCh(s string) (rune, error) {
	if s == "" {
		return 0, nil
	}
	r, n := utf8.DecodeRuneInString(s)
	if n != len(s) || r == 0 || (r == utf8.RuneError && n == 1) {
		return 0, fmt.Errorf("%w: ch %q is not exactly one character", ErrBadOp, s)
	}
	return r, nil
}

// Op is one operation of a commit. Which fields apply depends on Kind; the
// others must be zero (ValidateOps enforces this so that a message has one
// meaning). The JSON field names are the wire protocol.
type Op struct {
	Kind OpKind `json:"op"`

	// Set: the cells to write. Merge asks for box-drawing glyphs written
	// over box-drawing glyphs to become their junction (MergeBox). It is
	// resolved when the op is applied, against the canvas as it is then,
	// so crossing strokes from two users join whichever is committed first.
	// The written cell's style replaces the old one's.
	Cells []CellAt `json:"cells,omitempty"`
	Merge bool     `json:"merge,omitempty"`

	// Rect and text: origin. Rect: size.
	X int32 `json:"x,omitempty"`
	Y int32 `json:"y,omitempty"`
	W int32 `json:"w,omitempty"`
	H int32 `json:"h,omitempty"`

	// Text: written from (X, Y); '\n' starts the next line at X, every other
	// rune, space included, is a drawn cell.
	Text string `json:"text,omitempty"`

	// Rect: the fill character; 0 clears the rectangle. A one-rune string
	// on the wire.
	Ch rune `json:"ch,omitempty"`

	// Rect and text: the style of every cell written.
	FG   Color `json:"fg,omitempty"`
	BG   Color `json:"bg,omitempty"`
	Attr Attr  `json:"attr,omitempty"`
}

// opJSON mirrors Op with Ch as a string.
type opJSON struct {
	Kind  OpKind   `json:"op"`
	Cells []CellAt `json:"cells,omitempty"`
	Merge bool     `json:"merge,omitempty"`
	X     int32    `json:"x,omitempty"`
	Y     int32    `json:"y,omitempty"`
	W     int32    `json:"w,omitempty"`
	H     int32    `json:"h,omitempty"`
	Text  string   `json:"text,omitempty"`
	Ch    string   `json:"ch,omitempty"`
	FG    Color    `json:"fg,omitempty"`
	BG    Color    `json:"bg,omitempty"`
	Attr  Attr     `json:"attr,omitempty"`
}

// MarshalJSON encodes Ch as a one-rune string.
func (o Op) MarshalJSON() ([]byte, error) {
	v := opJSON{o.Kind, o.Cells, o.Merge, o.X, o.Y, o.W, o.H, o.Text, "", o.FG, o.BG, o.Attr}
	if o.Ch != 0 {
		v.Ch = string(o.Ch)
	}
	return json.Marshal(v)
}

// UnmarshalJSON decodes Ch from a one-rune string.
func (o *Op) UnmarshalJSON(b []byte) error {
	var v opJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	ch, err := parseCh(v.Ch)
	if err != nil {
		return err
	}
	*o = Op{v.Kind, v.Cells, v.Merge, v.X, v.Y, v.W, v.H, v.Text, ch, v.FG, v.BG, v.Attr}
	return nil
}
