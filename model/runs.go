package model

import "unicode/utf8"

// Runs returns the canvas as text ops: one per maximal horizontal run of
// adjacent drawn cells sharing a style, ordered by y then x. Applying them
// to an empty canvas reproduces c exactly. This is the JSON snapshot form:
// long runs of one style are the common case in drawings, and a run costs
// one small object instead of one object per cell.
func (c *Canvas) Runs() []Op {
	var (
		ops   []Op
		cur   Op
		next  int64 // x just past the current run
		text  []byte
		style style
	)
	flush := func() {
		if len(text) > 0 {
			cur.Text = string(text)
			ops = append(ops, cur)
			text = text[:0]
		}
	}
	c.Each(func(x, y int32, cell Cell) bool {
		if cell.Ch == Continuation {
			return true // the text op's wide rune brings it
		}
		if len(text) == 0 || y != cur.Y || int64(x) != next || cell.style() != style {
			flush()
			style = cell.style()
			cur = Op{Kind: OpText, X: x, Y: y, FG: cell.FG, BG: cell.BG, Attr: cell.Attr}
		}
		text = utf8.AppendRune(text, cell.Ch)
		next = int64(x) + int64(advance(cell.Ch))
		return true
	})
	flush()
	return ops
}
