package model

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// RenderText returns the cells of r as plain text: one line per row joined
// by "\n" (no final newline), an empty cell as a space, trailing spaces of
// each row trimmed. Styles are dropped.
func RenderText(c *Canvas, r Rect) string {
	cells := c.Region(r, nil)
	var b strings.Builder
	b.Grow(len(cells) + int(max(r.H, 0)))
	for y := 0; y < len(cells); y += int(r.W) {
		if y > 0 {
			b.WriteByte('\n')
		}
		row := cells[y : y+int(r.W)]
		end := cutEnd(row)
		for end > 0 && (row[end-1].Ch == 0 || row[end-1].Ch == ' ') {
			end--
		}
		for i := range row[:end] {
			writeCell(&b, row, i)
		}
	}
	return b.String()
}

// cutEnd returns len(row), less one if the row ends on a wide cell whose
// continuation lies outside it: that half shows as a space, so it is
// trimmed like one.
func cutEnd(row []Cell) int {
	if n := len(row); n > 0 && row[n-1].IsWide() {
		return n - 1
	}
	return len(row)
}

// writeCell writes row[i] as it shows when row is all there is: a wide cell
// with its continuation as its rune, a continuation as nothing, and a half
// whose other half lies outside the row (cut by the region's edge) as a
// space, so that every row of the output is as wide as the region.
func writeCell(b *strings.Builder, row []Cell, i int) {
	switch c := row[i]; {
	case c.Ch == Continuation && i > 0 && row[i-1].IsWide():
	case c.Ch == Continuation, c.IsWide() && (i+1 == len(row) || row[i+1].Ch != Continuation):
		b.WriteByte(' ')
	default:
		writeRune(b, c.Ch)
	}
}

// writeRune writes a cell's rune, with empty cells as spaces. Canvas.Set
// does not validate, so a control character could in principle reach a
// canvas; it is shown as '?' rather than sent to a terminal, where it could
// move the cursor or start an escape sequence.
func writeRune(b *strings.Builder, r rune) {
	switch {
	case r == 0:
		b.WriteByte(' ')
	case r < 0x20 || r >= 0x7f && r < 0xa0 || !utf8.ValidRune(r):
		b.WriteByte('?')
	case r < utf8.RuneSelf:
		b.WriteByte(byte(r))
	default:
		b.WriteRune(r)
	}
}

// RenderANSI lays r out like RenderText, with SGR sequences for colours and
// attributes. A sequence is written only where the style changes along a
// row; every row starts in the default style, and a row that ends in a
// non-default style is closed with a reset, so rows can be printed or
// dropped independently. Trailing cells are trimmed only when invisible:
// empty, or a space with no background, underline, reverse or strike.
func RenderANSI(c *Canvas, r Rect) string {
	cells := c.Region(r, nil)
	var b strings.Builder
	b.Grow(len(cells) + int(max(r.H, 0)))
	for y := 0; y < len(cells); y += int(r.W) {
		if y > 0 {
			b.WriteByte('\n')
		}
		row := cells[y : y+int(r.W)]
		end := cutEnd(row)
		for end > 0 && invisible(row[end-1]) {
			end--
		}
		var cur style
		for i, cell := range row[:end] {
			if cell.Ch == Continuation && i > 0 && row[i-1].IsWide() {
				continue // written with its wide cell
			}
			if s := cell.style(); s != cur {
				writeSGR(&b, cur, s)
				cur = s
			}
			writeCell(&b, row, i)
		}
		if cur != (style{}) {
			b.WriteString("\x1b[0m")
		}
	}
	return b.String()
}

func invisible(c Cell) bool {
	return c.Ch == 0 || c.Ch == ' ' && c.BG == ColorDefault && c.Attr&(Underline|Reverse|Strike) == 0
}

var attrSGR = [...]struct {
	a Attr
	p string
}{{Bold, "1"}, {Faint, "2"}, {Italic, "3"}, {Underline, "4"}, {Reverse, "7"}, {Strike, "9"}}

// writeSGR switches from style from to style to. It always states the whole
// new style (after a reset unless starting from the default): removing one
// attribute would otherwise need per-attribute off codes, and 22 turns off
// bold and faint together.
func writeSGR(b *strings.Builder, from, to style) {
	if to == (style{}) {
		b.WriteString("\x1b[0m")
		return
	}
	b.WriteString("\x1b[")
	sep := false
	param := func(p string) {
		if p == "" {
			return
		}
		if sep {
			b.WriteByte(';')
		}
		b.WriteString(p)
		sep = true
	}
	if from != (style{}) {
		param("0")
	}
	for _, a := range attrSGR {
		if to.attr&a.a != 0 {
			param(a.p)
		}
	}
	if to.fg != ColorDefault {
		param(colorSGR(to.fg, 30, 90, "38"))
	}
	if to.bg != ColorDefault {
		param(colorSGR(to.bg, 40, 100, "48"))
	}
	b.WriteByte('m')
}

// colorSGR returns the parameters selecting c: the 16 ANSI colours use
// their classic codes (base+i, bright+i-8), which every terminal knows;
// the rest of the palette and RGB use the 38/48 extended forms.
func colorSGR(c Color, base, bright int, ext string) string {
	if i, ok := c.Index(); ok {
		switch {
		case i < 8:
			return strconv.Itoa(base + int(i))
		case i < 16:
			return strconv.Itoa(bright + int(i) - 8)
		}
		return ext + ";5;" + strconv.Itoa(int(i))
	}
	if r, g, bl, ok := c.RGB(); ok {
		return ext + ";2;" + strconv.Itoa(int(r)) + ";" + strconv.Itoa(int(g)) + ";" + strconv.Itoa(int(bl))
	}
	return "" // invalid colours are rejected before they reach a canvas
}
