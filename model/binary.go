package model

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Binary formats. Both are built from varints so that typical content
// (ASCII in one style, coordinates close to each other) costs about a byte
// per cell, and both decoders treat their input as hostile: every length is
// checked against the bytes that remain before it is used, every decoded
// cell is validated, and every coordinate must lie within ±MaxCoord.
//
// Snapshot (Canvas.MarshalBinary):
//
//	"TCV" 0x01                  magic and version
//	uvarint runs
//	runs × {
//	  uvarint dy                y - previous run's y (previous y starts at -MaxCoord-1, so dy ≥ 1 for the first run)
//	  dy == 0: uvarint gap      x - end of previous run (same row)
//	  dy != 0: varint x
//	  uvarint n                 cells in the run, ≥ 1
//	  n × cell
//	}
//	cell = [0x00 style] uvarint ch   a style change is flagged by a 0 in place of ch
//	                                 (drawn cells never have ch 0); otherwise the
//	                                 cell has the previous cell's style (default at first).
//	                                 A wide ch (RuneWidth 2) covers two columns: its
//	                                 continuation is implied, not encoded, and the
//	                                 next cell of the run is two columns on.
//	style = byte attr|hasFG<<6|hasBG<<7, [uvarint fg], [uvarint bg]
//
// Runs are strictly ordered, so no cell can be written twice and the
// decoded canvas has exactly the cells encoded.
//
// Effect (AppendEffect):
//
//	0x01                        version
//	uvarint changes
//	changes × { varint dx, varint dy (from the previous change, starting at 0,0), before, after }
//	before, after = uvarint ch, and if ch != 0: style
//	                            ch 0x110000 (Continuation) is the right half of a wide cell
//
// An effect must not repeat a cell nor contain a change with before == after.

var snapshotMagic = [4]byte{'T', 'C', 'V', 1}

const effectVersion = 1

func appendStyle(b []byte, c Cell) []byte {
	flags := byte(c.Attr & AttrMask)
	if c.FG != ColorDefault {
		flags |= 1 << 6
	}
	if c.BG != ColorDefault {
		flags |= 1 << 7
	}
	b = append(b, flags)
	if c.FG != ColorDefault {
		b = binary.AppendUvarint(b, uint64(c.FG))
	}
	if c.BG != ColorDefault {
		b = binary.AppendUvarint(b, uint64(c.BG))
	}
	return b
}

// MarshalBinary encodes the canvas as a compact snapshot. It assumes the
// canvas was built from validated cells; UnmarshalBinary would refuse
// anything else.
func (c *Canvas) MarshalBinary() ([]byte, error) {
	e := snapshotEncoder{prevY: -MaxCoord - 1, body: make([]byte, 0, c.Len()+c.Len()/8+16)}
	c.Each(e.cell)
	e.flush()
	out := make([]byte, 0, len(snapshotMagic)+binary.MaxVarintLen64+len(e.body))
	out = append(out, snapshotMagic[:]...)
	out = binary.AppendUvarint(out, e.runs)
	return append(out, e.body...), nil
}

type snapshotEncoder struct {
	body, run      []byte // encoded runs; encoded cells of the open run
	runs           uint64
	n              uint64 // cells in the open run
	x, y, end      int64  // start and end (exclusive) of the open run
	prevY, prevEnd int64  // the last flushed run
	st             style  // style of the last encoded cell
}

func (e *snapshotEncoder) cell(x, y int32, c Cell) bool {
	if c.Ch == Continuation {
		return true // implied by the wide cell before it, which ended the run past it
	}
	if e.n > 0 && (int64(y) != e.y || int64(x) != e.end) {
		e.flush()
	}
	if e.n == 0 {
		e.x, e.y = int64(x), int64(y)
	}
	if s := c.style(); s != e.st {
		e.run = appendStyle(append(e.run, 0), c)
		e.st = s
	}
	e.run = binary.AppendUvarint(e.run, uint64(uint32(c.Ch)))
	e.n++
	e.end = int64(x) + int64(advance(c.Ch))
	return true
}

func (e *snapshotEncoder) flush() {
	if e.n == 0 {
		return
	}
	dy := e.y - e.prevY
	e.body = binary.AppendUvarint(e.body, uint64(dy))
	if dy == 0 {
		e.body = binary.AppendUvarint(e.body, uint64(e.x-e.prevEnd))
	} else {
		e.body = binary.AppendVarint(e.body, e.x)
	}
	e.body = binary.AppendUvarint(e.body, e.n)
	e.body = append(e.body, e.run...)
	e.run = e.run[:0]
	e.runs++
	e.prevY, e.prevEnd, e.n = e.y, e.end, 0
}

// UnmarshalBinary replaces the canvas with a decoded snapshot. On error the
// canvas is left unchanged.
func (c *Canvas) UnmarshalBinary(b []byte) error {
	if len(b) < len(snapshotMagic) || [3]byte(b[:3]) != [3]byte(snapshotMagic[:3]) {
		return fmt.Errorf("%w: not a canvas snapshot", ErrCorrupt)
	}
	if b[3] != snapshotMagic[3] {
		return fmt.Errorf("%w: unsupported snapshot version %d", ErrCorrupt, b[3])
	}
	d := decoder{b: b[len(snapshotMagic):]}
	runs := d.uvarint()
	if runs > uint64(len(d.b))/4 { // a run takes at least 4 bytes
		d.fail("%d runs in %d bytes", runs, len(d.b))
	}
	nc := NewCanvas()
	cur := cursor{c: nc}
	var st style
	prevY, prevEnd := int64(-MaxCoord-1), int64(0)
	for range runs {
		dy := d.uvarint()
		if dy > 2*MaxCoord+1 {
			d.fail("row step %d out of range", dy)
		}
		y := prevY + int64(dy)
		var x int64
		if dy == 0 {
			gap := d.uvarint()
			if gap > 2*MaxCoord+1 {
				d.fail("gap %d out of range", gap)
			}
			x = prevEnd + int64(gap)
		} else {
			x = d.varint()
		}
		n := d.uvarint()
		if d.err != nil {
			break
		}
		switch {
		case n == 0 || n > uint64(len(d.b)): // a cell takes at least 1 byte
			d.fail("run of %d cells in %d bytes", n, len(d.b))
		case y < -MaxCoord || y > MaxCoord || x < -MaxCoord || x+int64(n)-1 > MaxCoord:
			d.fail("run of %d cells at (%d,%d) out of bounds", n, x, y)
		}
		end := x
		for range n {
			cell := d.cell(&st, true, end, y)
			if d.err != nil {
				break
			}
			cur.set(int32(end), int32(y), cell)
			end++
			if cell.IsWide() {
				if end > MaxCoord {
					d.fail("cell (%d,%d): wide rune %U: continuation out of bounds", end-1, y, cell.Ch)
					break
				}
				cur.set(int32(end), int32(y), cell.continuation())
				end++
			}
		}
		if d.err != nil {
			break
		}
		prevY, prevEnd = y, end
	}
	if err := d.finish(); err != nil {
		return err
	}
	*c = *nc
	return nil
}

// AppendEffect appends the binary encoding of e to dst.
func AppendEffect(dst []byte, e Effect) []byte {
	dst = append(dst, effectVersion)
	dst = binary.AppendUvarint(dst, uint64(len(e)))
	var px, py int64
	for _, ch := range e {
		dst = binary.AppendVarint(dst, int64(ch.X)-px)
		dst = binary.AppendVarint(dst, int64(ch.Y)-py)
		px, py = int64(ch.X), int64(ch.Y)
		dst = appendEffectCell(dst, ch.Before)
		dst = appendEffectCell(dst, ch.After)
	}
	return dst
}

func appendEffectCell(b []byte, c Cell) []byte {
	b = binary.AppendUvarint(b, uint64(uint32(c.Ch)))
	if c.Ch == 0 {
		return b
	}
	return appendStyle(b, c)
}

// DecodeEffect decodes an effect written by AppendEffect. The whole of b
// must be one effect.
func DecodeEffect(b []byte) (Effect, error) {
	d := decoder{b: b}
	if v := d.byte(); d.err == nil && v != effectVersion {
		return nil, fmt.Errorf("%w: unsupported effect version %d", ErrCorrupt, v)
	}
	n := d.uvarint()
	if n > uint64(len(d.b))/4 { // a change takes at least 4 bytes
		d.fail("%d changes in %d bytes", n, len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	var e Effect
	if n > 0 {
		e = make(Effect, 0, n)
	}
	seen := make(map[Point]struct{}, n)
	var x, y int64
	for range n {
		dx, dy := d.varint(), d.varint()
		if d.err != nil {
			break
		}
		if dx < -2*MaxCoord || dx > 2*MaxCoord || dy < -2*MaxCoord || dy > 2*MaxCoord {
			d.fail("step (%d,%d) out of range", dx, dy)
			break
		}
		x, y = x+dx, y+dy
		if x < -MaxCoord || x > MaxCoord || y < -MaxCoord || y > MaxCoord {
			d.fail("cell (%d,%d) out of bounds", x, y)
			break
		}
		before := d.cell(nil, false, x, y)
		after := d.cell(nil, false, x, y)
		if d.err != nil {
			break
		}
		p := Point{int32(x), int32(y)}
		if _, dup := seen[p]; dup {
			d.fail("cell (%d,%d) changed twice", x, y)
			break
		}
		if before == after {
			d.fail("cell (%d,%d) does not change", x, y)
			break
		}
		// A wide cell's right half, and a right half's wide cell, must be
		// inside the canvas too: no op could have made either at the edge,
		// and an undo of it could not be sent.
		if x == MaxCoord && (before.IsWide() || after.IsWide()) || x == -MaxCoord && (before.IsContinuation() || after.IsContinuation()) {
			d.fail("cell (%d,%d): half of a wide character outside the canvas", x, y)
			break
		}
		seen[p] = struct{}{}
		e = append(e, Change{p.X, p.Y, before, after})
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return e, nil
}

// decoder reads varints from b, remembering the first error so that call
// sites can read a whole record and check once.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) finish() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	return d.err
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated or overlong varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated or overlong varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) color() Color {
	v := d.uvarint()
	if d.err != nil {
		return 0
	}
	if v > math.MaxUint32 {
		d.fail("color %#x out of range", v)
		return 0
	}
	if err := Color(v).Validate(); err != nil {
		d.err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		return 0
	}
	return Color(v)
}

func (d *decoder) style() style {
	flags := d.byte()
	s := style{attr: Attr(flags) & AttrMask}
	if flags&(1<<6) != 0 {
		s.fg = d.color()
	}
	if flags&(1<<7) != 0 {
		s.bg = d.color()
	}
	return s
}

// cell decodes one cell at (x, y), which is used only in messages. In a
// snapshot (snap) cells are drawn, a leading 0 announces a new style and st
// carries the style from cell to cell; in an effect a 0 is an empty cell and
// a drawn cell carries its own style.
func (d *decoder) cell(st *style, snap bool, x, y int64) Cell {
	v := d.uvarint()
	var s style
	switch {
	case snap && v == 0:
		*st = d.style()
		if v = d.uvarint(); v == 0 && d.err == nil {
			d.fail("cell (%d,%d): style change without a character", x, y)
		}
		s = *st
	case snap:
		s = *st
	case v == 0:
		return Cell{}
	default:
		s = d.style()
	}
	if d.err != nil {
		return Cell{}
	}
	if v > math.MaxInt32 {
		d.fail("cell (%d,%d): rune %#x out of range", x, y, v)
		return Cell{}
	}
	if !snap && rune(v) == Continuation {
		return Cell{Continuation, s.fg, s.bg, s.attr} // undo restores the right halves of wide cells
	}
	if _, err := RuneWidth(rune(v)); err != nil {
		d.err = fmt.Errorf("%w: cell (%d,%d): %w", ErrCorrupt, x, y, err)
		return Cell{}
	}
	return Cell{rune(v), s.fg, s.bg, s.attr}
}
