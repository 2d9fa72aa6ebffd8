package bot

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/tcanvas/tcanvas/model"
)

// Art is a picture to draw: drawn cells relative to its top-left corner,
// in row-major order, and the size of the box they fit in.
type Art struct {
	Cells []model.CellAt
	W, H  int32
}

// Art limits: an ANSI file is untrusted input, and a single "\x1b[99999C"
// must not turn into a picture wider than the canvas.
const (
	maxArtBytes = 4 << 20
	maxArtSide  = 4096
)

// ErrArt reports a file that cannot be drawn: too large, or placing a cell
// beyond maxArtSide columns or rows.
var ErrArt = errors.New("cannot draw this file")

// ParseArt reads plain text or text with ANSI escape sequences (the output
// of RenderANSI, `ls --color`, figlet/toilet, most .ans art in UTF-8).
//
// SGR sequences set colours (16, 256 and 24-bit, in ';' or ':' form) and
// attributes; cursor movement (CSI A B C D H f) moves the pen; every other
// escape sequence is skipped. A tab moves to the next multiple of 8, "\r"
// to the start of the line, and SUB (0x1A) ends the picture, as it does
// before the SAUCE record of .ans files. A space with no background and no
// visible attribute is transparent: the canvas under it is left alone.
// Wide runes (CJK, emoji) take two columns, as on a terminal, and writing
// over either half of one erases it. Runes that cannot fill a cell are
// replaced: invalid UTF-8 and runes of uncertain width by '?'. A combining
// mark joins the character before it where Unicode composes the two (e and
// U+0301 become é); other zero-width and control runes are dropped.
func ParseArt(r io.Reader) (Art, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxArtBytes+1))
	if err != nil {
		return Art{}, err
	}
	if len(b) > maxArtBytes {
		return Art{}, fmt.Errorf("%w: more than %d bytes", ErrArt, maxArtBytes)
	}
	p := artParser{cells: map[model.Point]model.Cell{}}
	if err := p.parse(b); err != nil {
		return Art{}, err
	}
	a := Art{Cells: make([]model.CellAt, 0, len(p.cells))}
	for pt, c := range p.cells {
		a.Cells = append(a.Cells, model.CellAt{X: pt.X, Y: pt.Y, Cell: c})
		a.W, a.H = max(a.W, pt.X+int32(c.Width())), max(a.H, pt.Y+1)
	}
	slices.SortFunc(a.Cells, func(x, y model.CellAt) int {
		return cmp.Or(cmp.Compare(x.Y, y.Y), cmp.Compare(x.X, y.X))
	})
	return a, nil
}

type artParser struct {
	x, y  int32
	style model.Cell // Ch unused
	cells map[model.Point]model.Cell
	last  model.Point // where the pen last put a character
}

// compose joins combining mark r to the character just written, where
// Unicode composes them into one (e + U+0301 is é); otherwise the mark is
// dropped, as a terminal without the composed glyph would overprint it.
func (p *artParser) compose(r rune) {
	c, ok := p.cells[p.last]
	if !ok || p.x != p.last.X+int32(c.Width()) || p.y != p.last.Y {
		return
	}
	if s := norm.NFC.String(string(c.Ch) + string(r)); utf8.RuneCountInString(s) == 1 {
		ch, _ := utf8.DecodeRuneInString(s)
		if _, err := model.RuneWidth(ch); err == nil && model.IsWide(ch) == c.IsWide() {
			c.Ch = ch
			p.cells[p.last] = c
		}
	}
}

func (p *artParser) parse(b []byte) error {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		i += n
		switch {
		case r == 0x1a: // SUB: end of text; a SAUCE record may follow
			return nil
		case r == 0x1b:
			i = p.escape(b, i)
		case r == '\n':
			p.x, p.y = 0, p.y+1
		case r == '\r':
			p.x = 0
		case r == '\t':
			p.x = (p.x/8 + 1) * 8
		case r == utf8.RuneError && n == 1:
			p.put('?', 1)
		default:
			switch w, err := model.RuneWidth(r); {
			case err == nil:
				p.put(r, int32(w))
			case errors.Is(err, model.ErrUnsureWidth):
				p.put('?', 1)
			case errors.Is(err, model.ErrZeroWidth):
				p.compose(r)
			}
			// Control and zero-width runes take no column: dropped.
		}
		if p.x > maxArtSide || p.y > maxArtSide {
			return fmt.Errorf("%w: it reaches column %d, row %d (limit %d)", ErrArt, p.x, p.y, maxArtSide)
		}
	}
	return nil
}

// put draws r at the pen and moves it right by width columns.
func (p *artParser) put(r rune, width int32) {
	c := p.style
	c.Ch = r
	pt := model.Point{X: p.x, Y: p.y}
	if left := (model.Point{X: p.x - 1, Y: p.y}); p.cells[left].IsWide() {
		delete(p.cells, left) // its right half is being overwritten
	}
	if width == 2 {
		delete(p.cells, model.Point{X: p.x + 1, Y: p.y})
	}
	p.last = pt
	if r == ' ' && c.BG == model.ColorDefault && c.Attr&(model.Underline|model.Reverse|model.Strike) == 0 {
		delete(p.cells, pt) // a terminal's space erases what the pen wrote before
	} else {
		p.cells[pt] = c
	}
	p.x += width
}

// escape handles the sequence after an ESC at b[i-1] and returns where
// the text resumes.
func (p *artParser) escape(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '[': // CSI: parameter and intermediate bytes, then a final byte
		j := i + 1
		for j < len(b) && (b[j] < 0x40 || b[j] > 0x7e) {
			j++
		}
		if j == len(b) {
			return j
		}
		p.csi(string(b[i+1:j]), b[j])
		return j + 1
	case ']', 'P', '_', '^': // OSC, DCS, APC, PM: a string ended by BEL or ST
		for j := i + 1; j < len(b); j++ {
			if b[j] == 0x07 {
				return j + 1
			}
			if b[j] == 0x1b && j+1 < len(b) && b[j+1] == '\\' {
				return j + 2
			}
		}
		return len(b)
	}
	return i + 1 // a two-byte escape such as ESC 7 or ESC c
}

func (p *artParser) csi(params string, final byte) {
	num := func(def int32) int32 {
		v, err := strconv.ParseInt(strings.SplitN(params, ";", 2)[0], 10, 32)
		if err != nil || v <= 0 {
			return def
		}
		return int32(min(v, maxArtSide+1))
	}
	switch final {
	case 'm':
		p.sgr(params)
	case 'A':
		p.y = max(0, p.y-num(1))
	case 'B':
		p.y += num(1)
	case 'C':
		p.x += num(1)
	case 'D':
		p.x = max(0, p.x-num(1))
	case 'H', 'f':
		row, col, _ := strings.Cut(params, ";")
		p.y, p.x = oneBased(row), oneBased(col)
	}
}

func oneBased(s string) int32 {
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil || v <= 1 {
		return 0
	}
	return int32(min(v-1, maxArtSide+1))
}

// sgr applies Select Graphic Rendition parameters to the pen's style.
func (p *artParser) sgr(params string) {
	groups := strings.Split(params, ";")
	atoi := func(s string) int {
		v, err := strconv.Atoi(s)
		if err != nil {
			return 0 // an empty parameter means 0
		}
		return v
	}
	for i := 0; i < len(groups); i++ {
		g := groups[i]
		if strings.Contains(g, ":") { // ISO 8613-6 form: 38:5:n, 38:2::r:g:b
			sub := strings.Split(g, ":")
			if c, ok := subColor(sub, atoi); ok {
				p.setExtended(atoi(sub[0]), c)
			}
			continue
		}
		code := atoi(g)
		switch {
		case code == 0:
			p.style = model.Cell{}
		case code == 1:
			p.style.Attr |= model.Bold
		case code == 2:
			p.style.Attr |= model.Faint
		case code == 3:
			p.style.Attr |= model.Italic
		case code == 4:
			p.style.Attr |= model.Underline
		case code == 7:
			p.style.Attr |= model.Reverse
		case code == 9:
			p.style.Attr |= model.Strike
		case code == 22:
			p.style.Attr &^= model.Bold | model.Faint
		case code == 23:
			p.style.Attr &^= model.Italic
		case code == 24:
			p.style.Attr &^= model.Underline
		case code == 27:
			p.style.Attr &^= model.Reverse
		case code == 29:
			p.style.Attr &^= model.Strike
		case code >= 30 && code <= 37:
			p.style.FG = model.Indexed(uint8(code - 30))
		case code == 39:
			p.style.FG = model.ColorDefault
		case code >= 40 && code <= 47:
			p.style.BG = model.Indexed(uint8(code - 40))
		case code == 49:
			p.style.BG = model.ColorDefault
		case code >= 90 && code <= 97:
			p.style.FG = model.Indexed(uint8(code - 90 + 8))
		case code >= 100 && code <= 107:
			p.style.BG = model.Indexed(uint8(code - 100 + 8))
		case code == 38 || code == 48:
			// Semicolon form: the colour's parameters are the next groups.
			rest := groups[i+1:]
			switch {
			case len(rest) >= 2 && atoi(rest[0]) == 5:
				p.setExtended(code, model.Indexed(uint8(clampByte(atoi(rest[1])))))
				i += 2
			case len(rest) >= 4 && atoi(rest[0]) == 2:
				p.setExtended(code, model.RGB(clampByte(atoi(rest[1])), clampByte(atoi(rest[2])), clampByte(atoi(rest[3]))))
				i += 4
			default:
				return // malformed: the rest of the sequence cannot be trusted
			}
		}
	}
}

// subColor decodes the colon form of an extended colour.
func subColor(sub []string, atoi func(string) int) (model.Color, bool) {
	if len(sub) < 3 {
		return 0, false
	}
	switch atoi(sub[1]) {
	case 5:
		return model.Indexed(clampByte(atoi(sub[2]))), true
	case 2:
		rgb := sub[2:]
		if len(rgb) >= 4 {
			rgb = rgb[1:] // a colour-space ID precedes r:g:b
		}
		if len(rgb) < 3 {
			return 0, false
		}
		return model.RGB(clampByte(atoi(rgb[0])), clampByte(atoi(rgb[1])), clampByte(atoi(rgb[2]))), true
	}
	return 0, false
}

func (p *artParser) setExtended(code int, c model.Color) {
	switch code {
	case 38:
		p.style.FG = c
	case 48:
		p.style.BG = c
	}
}

func clampByte(v int) uint8 { return uint8(min(max(v, 0), 255)) }
