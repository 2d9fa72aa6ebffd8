package ui

import "github.com/tcanvas/tcanvas/model"

// ASCII-only mode shows every glyph the UI or a canvas may hold that a
// terminal without box-drawing fonts cannot: box lines become - | +, arrows
// and marks become their nearest ASCII. It changes what is shown, never what
// is stored, so a room stays the same drawing for everyone in it.

var boxASCII [0x80]rune // U+2500–U+257F

func init() {
	half := [4]rune{'╵', '╶', '╷', '╴'} // up, right, down, left
	for i := range boxASCII {
		g := rune(0x2500 + i)
		if !model.IsBox(g) {
			switch g {
			case '┄', '┅', '┈', '┉', '╌', '╍':
				boxASCII[i] = '-'
			case '┆', '┇', '┊', '┋', '╎', '╏':
				boxASCII[i] = '|'
			case '╱':
				boxASCII[i] = '/'
			case '╲':
				boxASCII[i] = '\\'
			default:
				boxASCII[i] = 'X'
			}
			continue
		}
		// A glyph has an arm where merging that half line leaves it as
		// it is (merging keeps the stronger weight of each arm).
		var arm [4]bool
		for d, hl := range half {
			arm[d] = model.MergeBox(g, hl) == g
		}
		hor, ver := arm[1] || arm[3], arm[0] || arm[2]
		switch {
		case g == '═':
			boxASCII[i] = '='
		case hor && !ver:
			boxASCII[i] = '-'
		case ver && !hor:
			boxASCII[i] = '|'
		default:
			boxASCII[i] = '+'
		}
	}
}

func asciiOf(r rune) rune {
	if r >= 0x2500 && r <= 0x257f {
		return boxASCII[r-0x2500]
	}
	switch r {
	case '←':
		return '<'
	case '→':
		return '>'
	case '↑', '▲':
		return '^'
	case '↓', '▼':
		return 'v'
	case '▶':
		return '>'
	case '◀':
		return '<'
	case '↖', '↘':
		return '\\'
	case '↗', '↙':
		return '/'
	case '·', '…':
		return '.'
	case '■', '█', '▓', '▒', '░', '▌', '▐':
		return '#'
	case '●', '○':
		return 'o'
	case '◆':
		return '*'
	}
	return r
}
