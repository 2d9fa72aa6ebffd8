package picture

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/tcanvas/tcanvas/model"
)

// FontFamily is the SVG's font stack: Go Mono first, as in the PNG, then
// the monospace fonts most systems have.
const FontFamily = `'Go Mono', 'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace`

// SVG writes region r of c as an SVG image. Text stays text (each
// character placed at its cell, so that the columns hold in any monospace
// font); backgrounds are rectangles and box-drawing and block glyphs paths,
// as in the PNG.
func SVG(w io.Writer, c *model.Canvas, r model.Rect, o Options) error {
	o = o.withDefaults()
	l, err := Measure(r, o)
	if err != nil {
		return err
	}
	g := newGeometry(l.CellW, l.CellH)
	bw := bufio.NewWriter(w)
	pw, ph := l.Size()
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" font-size="%s">`+"\n",
		pw, ph, pw, ph, FontFamily, num(float32(o.FontSize)))
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="%s"/>`+"\n", hex(o.Background))
	cells := c.Region(r, nil)
	// Each row: backgrounds first, then text runs and shapes above them.
	for row := range l.Rows {
		line := cells[row*l.Cols : (row+1)*l.Cols]
		_, y := l.CellOrigin(0, row)
		for col := 0; col < l.Cols; {
			s := resolve(line[col], o)
			if line[col].Ch == 0 || !s.paintBG {
				col++
				continue
			}
			end := col + 1
			for end < l.Cols && line[end].Ch != 0 {
				if t := resolve(line[end], o); !t.paintBG || t.bg != s.bg {
					break
				}
				end++
			}
			x, _ := l.CellOrigin(col, row)
			fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", x, y, (end-col)*l.CellW, l.CellH, hex(s.bg))
			col = end
		}
		for col := 0; col < l.Cols; {
			cell := line[col]
			if cell.Ch == 0 {
				col++
				continue
			}
			s := resolve(cell, o)
			x, _ := l.CellOrigin(col, row)
			end := col + 1
			if isShape(cell.Ch) {
				writeShape(bw, glyphShape(g, cell.Ch), x, y, s)
			} else {
				// A run of characters in one style is one <text>.
				for end < l.Cols && line[end].Ch != 0 && !isShape(line[end].Ch) && resolve(line[end], o) == s {
					end++
				}
				writeText(bw, line[col:end], l, x, y, s)
			}
			for _, d := range []struct {
				on  bool
				row int
			}{{s.underline, l.Underline}, {s.strike, l.Strike}} {
				if d.on {
					fmt.Fprintf(bw, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", x, y+d.row, (end-col)*l.CellW, g.lw, hex(s.fg))
				}
			}
			col = end
		}
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

func writeText(w *bufio.Writer, cells []model.Cell, l Layout, x, y int, s style) {
	var xs strings.Builder
	var text strings.Builder
	for i, c := range cells {
		if c.Ch == model.Continuation {
			continue // the wide character before it covers this column
		}
		if xs.Len() > 0 {
			xs.WriteByte(' ')
		}
		xs.WriteString(strconv.Itoa(x + i*l.CellW))
		r := c.Ch
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			r = '?' // as model's renderers do: never a control character
		}
		text.WriteRune(r)
	}
	fmt.Fprintf(w, `<text x="%s" y="%d" fill="%s"`, xs.String(), y+l.Ascent, hex(s.fg))
	if s.face&faceBold != 0 {
		w.WriteString(` font-weight="bold"`)
	}
	if s.face&faceItalic != 0 {
		w.WriteString(` font-style="italic"`)
	}
	w.WriteString(` xml:space="preserve">`)
	xml.EscapeText(w, []byte(text.String()))
	w.WriteString("</text>\n")
}

func writeShape(w *bufio.Writer, sh shape, x, y int, s style) {
	fmt.Fprintf(w, `<path fill="%s"`, hex(s.fg))
	if sh.alpha < 1 {
		fmt.Fprintf(w, ` fill-opacity="%s"`, num(sh.alpha))
	}
	w.WriteString(` d="`)
	for i, poly := range sh.polys {
		if i > 0 {
			w.WriteByte(' ')
		}
		poly = oriented(poly)
		for j, q := range poly {
			if j == 0 {
				w.WriteByte('M')
			} else {
				w.WriteString(" L")
			}
			w.WriteString(num(float32(x)+q.x) + " " + num(float32(y)+q.y))
		}
		w.WriteString("Z")
	}
	w.WriteString(`"/>` + "\n")
}

// num formats a coordinate briefly: integers without a point, others to
// two decimals.
func num(v float32) string {
	return strconv.FormatFloat(math.Round(float64(v)*100)/100, 'f', -1, 64)
}
