package ui

import (
	"unicode/utf8"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// ghost shows the text to peers while it is typed. A presence packet is
// small, so a long text is sent from the line before the caret's on, and
// cut at wire.MaxGhostText bytes.
func (t *textEdit) ghost() *wire.Ghost {
	first := max(t.row-1, 0)
	var b []byte
	for i, l := range t.lines[first:] {
		if i > 0 {
			b = append(b, '\n')
		}
		for _, r := range l {
			if len(b)+utf8.RuneLen(r) > wire.MaxGhostText {
				return &wire.Ghost{Kind: wire.GhostText, Points: []model.Point{{X: t.at.X, Y: t.at.Y + int32(first)}}, Text: string(b)}
			}
			b = utf8.AppendRune(b, r)
		}
		if len(b) >= wire.MaxGhostText {
			break
		}
	}
	return &wire.Ghost{Kind: wire.GhostText, Points: []model.Point{{X: t.at.X, Y: t.at.Y + int32(first)}}, Text: string(b)}
}
