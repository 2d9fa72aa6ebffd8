package ui

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/tcanvas/tcanvas/model"
)

// ASCII-only mode shows only printable ASCII, on the canvas and in the
// status bar, palette and help alike: box lines become - | + (═ becomes =),
// arrows, marks and punctuation their nearest ASCII (the table in asciiOf),
// accented Latin letters their base letter (é → e), every other one-column
// character '?' and every wide one (CJK, emoji) "??", keeping its two
// columns. It changes what is shown, never what is stored, so a room stays
// the same drawing for everyone in it.

// asciiWide is what a wide character shows as.
const asciiWide = "??"

// ASCII returns s with every rune outside printable ASCII replaced as
// ASCII-only mode shows it; newlines and escape sequences (which are
// ASCII) pass through, so it applies to plain and ANSI exports alike.
func ASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case model.IsWide(r):
			b.WriteString(asciiWide)
		default:
			b.WriteRune(asciiOf(r))
		}
	}
	return b.String()
}

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
	case '↑':
		return '^'
	case '↓':
		return 'v'
	case '↖', '↘':
		return '\\'
	case '↗', '↙':
		return '/'
	case '·', '…':
		return '.'
	case '■', '█', '▓', '▒', '░', '▌', '▐':
		return '#'
	case '●', '○', '°', '•', '◦':
		return 'o'
	case '◆', '★', '☆', '✱', '✶', '×', '✗', '✘':
		return '*'
	case '✓', '✔':
		return 'v'
	case '–', '—', '‒', '−':
		return '-'
	case '‘', '’', '‚', '′':
		return '\''
	case '“', '”', '„', '″', '«', '»':
		return '"'
	case '½', '¼', '¾', '÷', '⁄':
		return '/'
	case '▲', '▴':
		return '^'
	case '▶', '▸', '►':
		return '>'
	case '▼', '▾':
		return 'v'
	case '◀', '◂', '◄':
		return '<'
	case '⏎', '↵':
		return '<'
	case '\u00a0', '\u2002', '\u2003', '\u2009', '\u202f':
		return ' '
	case '±':
		return '+'
	}
	if r < 0x80 {
		return r
	}
	// A letter with diacritics shows as its base letter.
	if d := norm.NFD.String(string(r)); d != "" {
		if b, _ := utf8.DecodeRuneInString(d); b >= 0x20 && b < 0x7f {
			return b
		}
	}
	return '?'
}
