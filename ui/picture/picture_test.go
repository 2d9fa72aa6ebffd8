package picture

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"

	"github.com/tcanvas/tcanvas/model"
)

func canvas(ops ...model.Op) *model.Canvas {
	c := model.NewCanvas()
	c.Apply(ops)
	return c
}

// TestPNGKnownCanvas: the size follows the layout, and a coloured cell is
// painted in its colour: a red full block, a blue background, a 24-bit
// foreground, the default background around them.
func TestPNGKnownCanvas(t *testing.T) {
	c := canvas(
		model.Op{Kind: model.OpText, X: 0, Y: 0, Text: "█", FG: model.Indexed(9)},
		model.Op{Kind: model.OpText, X: 1, Y: 0, Text: " ", BG: model.Indexed(4)},
		model.Op{Kind: model.OpText, X: 2, Y: 1, Text: "█", FG: model.RGB(0x12, 0x34, 0x56)},
	)
	r := model.Rect{X: 0, Y: 0, W: 3, H: 2}
	var buf bytes.Buffer
	if err := PNG(&buf, c, r, Options{}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := Measure(r, Options{})
	if l.CellW != 10 || l.CellH != 20 || l.Margin != 10 {
		t.Fatalf("layout at 16 px: %+v, want 10x20 cells and a 10 px margin", l)
	}
	if b := img.Bounds(); b.Dx() != 3*10+2*10 || b.Dy() != 2*20+2*10 {
		t.Fatalf("image is %v, want 50x60", b)
	}
	at := func(col, row, dx, dy int) color.RGBA {
		x, y := l.CellOrigin(col, row)
		return color.RGBAModel.Convert(img.At(x+dx, y+dy)).(color.RGBA)
	}
	for _, tt := range []struct {
		what             string
		col, row, dx, dy int
		want             color.RGBA
	}{
		{"red block, centre", 0, 0, 5, 10, color.RGBA{0xff, 0, 0, 0xff}},
		{"red block, corner", 0, 0, 0, 0, color.RGBA{0xff, 0, 0, 0xff}},
		{"blue background", 1, 0, 5, 10, color.RGBA{0, 0, 0x80, 0xff}},
		{"RGB block", 2, 1, 3, 17, color.RGBA{0x12, 0x34, 0x56, 0xff}},
		{"empty cell", 0, 1, 5, 10, DefaultBackground},
	} {
		if got := at(tt.col, tt.row, tt.dx, tt.dy); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.what, got, tt.want)
		}
	}
	if got := color.RGBAModel.Convert(img.At(1, 1)).(color.RGBA); got != DefaultBackground {
		t.Errorf("margin: %v", got)
	}
}

// TestTextIsDrawn: a letter puts foreground pixels in its cell and none in
// its neighbours; bold is heavier than regular.
func TestTextIsDrawn(t *testing.T) {
	ink := func(c *model.Canvas, col int) int {
		img, err := Image(c, model.Rect{W: 3, H: 1}, Options{Foreground: color.RGBA{0xff, 0xff, 0xff, 0xff}, Background: color.RGBA{0, 0, 0, 0xff}})
		if err != nil {
			t.Fatal(err)
		}
		l, _ := Measure(model.Rect{W: 3, H: 1}, Options{})
		x0, y0 := l.CellOrigin(col, 0)
		n := 0
		for y := y0; y < y0+l.CellH; y++ {
			for x := x0; x < x0+l.CellW; x++ {
				n += int(img.RGBAAt(x, y).R)
			}
		}
		return n
	}
	regular := canvas(model.Op{Kind: model.OpText, X: 1, Text: "W"})
	bold := canvas(model.Op{Kind: model.OpText, X: 1, Text: "W", Attr: model.Bold})
	if ink(regular, 1) == 0 || ink(regular, 0) != 0 || ink(regular, 2) != 0 {
		t.Fatalf("W: ink %d in its cell, %d and %d beside it", ink(regular, 1), ink(regular, 0), ink(regular, 2))
	}
	if ink(bold, 1) <= ink(regular, 1) {
		t.Fatalf("bold W has %d ink, regular %d", ink(bold, 1), ink(regular, 1))
	}
}

// TestBoxTableAgreesWithModel: the arms the picture draws for every glyph
// the box tool makes (model.BoxGlyph, each style and arm set) are the arms
// the model gave it, and light/heavy junctions made by MergeBox have the
// arms of both strokes.
func TestBoxTableAgreesWithModel(t *testing.T) {
	armsOf := func(r rune) [4]int {
		var a [4]int
		for d := range 4 {
			a[d] = int(boxArms[r-0x2500] >> (2 * d) & 3)
		}
		return a
	}
	for _, st := range []struct {
		s model.BoxStyle
		w int
	}{{model.BoxSingle, wLight}, {model.BoxHeavy, wHeavy}, {model.BoxDouble, wDouble}} {
		for set := 1; set < 16; set++ {
			u, r, d, l := set&1 != 0, set&2 != 0, set&4 != 0, set&8 != 0
			g := model.BoxGlyph(st.s, u, r, d, l)
			if g == 0 {
				continue
			}
			got := armsOf(g)
			for dir, on := range []bool{u, r, d, l} {
				if on && got[dir] != st.w {
					t.Errorf("%c (style %d, arms %04b): arm %d is %d, want %d", g, st.s, set, dir, got[dir], st.w)
				}
			}
		}
	}
	var lights, heavies []rune
	for set := 1; set < 16; set++ {
		u, r, d, l := set&1 != 0, set&2 != 0, set&4 != 0, set&8 != 0
		lights = append(lights, model.BoxGlyph(model.BoxSingle, u, r, d, l))
		heavies = append(heavies, model.BoxGlyph(model.BoxHeavy, u, r, d, l))
	}
	for _, a := range lights {
		for _, b := range heavies {
			m := model.MergeBox(a, b)
			la, hb, got := armsOf(a), armsOf(b), armsOf(m)
			for d := range 4 {
				want := wNone
				switch {
				case hb[d] != wNone:
					want = wHeavy
				case la[d] != wNone:
					want = wLight
				}
				if got[d] != want {
					t.Errorf("%c over %c = %c: arm %d is %d, want %d", b, a, m, d, got[d], want)
				}
			}
		}
	}
}

// TestBoxLinesReachTheEdges: every arm of a box glyph touches the middle
// of its edge of the cell, so that lines join from cell to cell, and no
// ink reaches the middle of an edge without an arm.
func TestBoxLinesReachTheEdges(t *testing.T) {
	for _, size := range []float64{16, 23, 32} {
		l, err := Measure(model.Rect{W: 1, H: 1}, Options{FontSize: size})
		if err != nil {
			t.Fatal(err)
		}
		p, err := newPainter(l, Options{FontSize: size}.withDefaults())
		if err != nil {
			t.Fatal(err)
		}
		g := p.g
		for r := rune(0x2500); r < 0x2580; r++ {
			a := boxArms[r-0x2500]
			if a == 0 {
				continue
			}
			m := p.rasterize(glyphShape(g, r))
			// The edge pixel on the centre line, or either line of a pair.
			edge := [4]image.Point{{g.cx, 0}, {g.w - 1, g.cy}, {g.cx, g.h - 1}, {0, g.cy}}
			for d := range 4 {
				w := int(a >> (2 * d) & 3)
				inked := func(pt image.Point) bool { return m.AlphaAt(pt.X, pt.Y).A > 0x80 }
				hit := inked(edge[d])
				if w == wDouble {
					n, pp := g.pair(g.cx)
					if d == right || d == left {
						n, pp = g.pair(g.cy)
					}
					probe := func(v int) image.Point {
						if d == up || d == down {
							return image.Pt(v, edge[d].Y)
						}
						return image.Pt(edge[d].X, v)
					}
					hit = inked(probe(n.lo)) && inked(probe(pp.lo)) && !inked(edge[d])
				}
				if (w != wNone) != hit {
					t.Errorf("size %v, %c: arm %d (weight %d) at the edge: %v", size, r, d, w, hit)
				}
			}
		}
		p.close()
	}
}

// TestEveryShapeDraws: each box-drawing and block glyph puts ink in its
// cell and stays inside it (the diagonals' line ends by less than a pixel).
func TestEveryShapeDraws(t *testing.T) {
	l, _ := Measure(model.Rect{W: 1, H: 1}, Options{})
	p, err := newPainter(l, Options{}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	for r := rune(0x2500); r <= 0x259f; r++ {
		sh := glyphShape(p.g, r)
		for _, poly := range sh.polys {
			for _, q := range poly {
				if q.x < -1 || q.y < -1 || q.x > float32(l.CellW)+1 || q.y > float32(l.CellH)+1 {
					t.Errorf("%c: point %v outside the %dx%d cell", r, q, l.CellW, l.CellH)
				}
			}
		}
		m := p.rasterize(sh)
		ink := 0
		for _, a := range m.Pix {
			ink += int(a)
		}
		if ink == 0 {
			t.Errorf("%c draws nothing", r)
		}
	}
}

// TestSVG: the SVG is well-formed XML of the layout's size, its text is
// text (escaped), colours and attributes are on it.
func TestSVG(t *testing.T) {
	c := canvas(
		model.Op{Kind: model.OpText, X: 0, Y: 0, Text: "a<b & c>", FG: model.Indexed(9), Attr: model.Bold},
		model.Op{Kind: model.OpText, X: 0, Y: 1, Text: "┌─┐", BG: model.RGB(1, 2, 3)},
	)
	r, _ := c.Bounds()
	var buf bytes.Buffer
	if err := SVG(&buf, c, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var texts []string
	var svgW, svgH string
	fills := map[string]bool{}
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, buf.String())
		}
		switch e := tok.(type) {
		case xml.StartElement:
			for _, a := range e.Attr {
				switch {
				case e.Name.Local == "svg" && a.Name.Local == "width":
					svgW = a.Value
				case e.Name.Local == "svg" && a.Name.Local == "height":
					svgH = a.Value
				case a.Name.Local == "fill":
					fills[a.Value] = true
				case e.Name.Local == "text" && a.Name.Local == "font-weight" && a.Value != "bold":
					t.Errorf("font-weight %q", a.Value)
				}
			}
			inText = e.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if svgW != "100" || svgH != "60" {
		t.Errorf("svg is %sx%s, want 100x60 (8x2 cells of 10x20 and a 10 px margin)", svgW, svgH)
	}
	if strings.Join(texts, "|") != "a<b & c>" {
		t.Errorf("text %q", texts)
	}
	for _, f := range []string{"#ff0000", "#010203", "#d8d8d8", "#1c1c1c"} {
		if !fills[f] {
			t.Errorf("no fill %s in\n%s", f, buf.String())
		}
	}
}

func TestTooLarge(t *testing.T) {
	_, err := Image(model.NewCanvas(), model.Rect{W: 5000, H: 5000}, Options{})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("25M cells: %v", err)
	}
	if _, err := Image(model.NewCanvas(), model.Rect{W: 0, H: 5}, Options{}); err == nil {
		t.Fatal("an empty region made a picture")
	}
}

// BenchmarkPNG: a full 200x50 screen of coloured text and box lines.
func BenchmarkPNG(b *testing.B) {
	c := model.NewCanvas()
	for y := range int32(50) {
		c.Apply([]model.Op{{Kind: model.OpText, X: 0, Y: y, Text: string([]rune(strings.Repeat("tcanvas─│┼ ", 20))[:200]), FG: model.Indexed(uint8(y))}})
	}
	r := model.Rect{W: 200, H: 50}
	b.ReportAllocs()
	for b.Loop() {
		if err := PNG(io.Discard, c, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSVG: the same screen as SVG.
func BenchmarkSVG(b *testing.B) {
	c := model.NewCanvas()
	for y := range int32(50) {
		c.Apply([]model.Op{{Kind: model.OpText, X: 0, Y: y, Text: string([]rune(strings.Repeat("tcanvas─│┼ ", 20))[:200]), FG: model.Indexed(uint8(y))}})
	}
	r := model.Rect{W: 200, H: 50}
	b.ReportAllocs()
	for b.Loop() {
		if err := SVG(io.Discard, c, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPNGMissingGlyphsShow: Go Mono lacks ✓ ★, CJK and emoji; each is
// drawn as a visible replacement box across its columns, never as
// nothing, and a wide character's right half is not drawn on its own.
func TestPNGMissingGlyphsShow(t *testing.T) {
	c := model.NewCanvas()
	c.Apply([]model.Op{{Kind: model.OpText, Text: "✓★漢😀a"}})
	o := Options{Margin: -1}
	img, err := Image(c, model.Rect{W: 7, H: 1}, o)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := Measure(model.Rect{W: 7, H: 1}, o)
	inked := func(col int) int {
		n := 0
		x0, y0 := l.CellOrigin(col, 0)
		for y := y0; y < y0+l.CellH; y++ {
			for x := x0; x < x0+l.CellW; x++ {
				if img.RGBAAt(x, y) != DefaultBackground {
					n++
				}
			}
		}
		return n
	}
	for col, what := range []string{"✓", "★", "漢 (left)", "漢 (right)", "😀 (left)", "😀 (right)", "a"} {
		if inked(col) == 0 {
			t.Errorf("column %d (%s) is blank", col, what)
		}
	}
}
