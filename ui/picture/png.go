package picture

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/tcanvas/tcanvas/model"
)

// PNG writes region r of c as a PNG image.
func PNG(w io.Writer, c *model.Canvas, r model.Rect, o Options) error {
	img, err := Image(c, r, o)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("picture: %w", err)
	}
	return nil
}

// Image renders region r of c into a new image; Measure says its layout.
func Image(c *model.Canvas, r model.Rect, o Options) (*image.RGBA, error) {
	o = o.withDefaults()
	l, err := Measure(r, o)
	if err != nil {
		return nil, err
	}
	p, err := newPainter(l, o)
	if err != nil {
		return nil, err
	}
	defer p.close()
	w, h := l.Size()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(o.Background), image.Point{}, draw.Src)
	cells := c.Region(r, nil)
	for i, cell := range cells {
		if cell.Ch == 0 {
			continue
		}
		col := i % l.Cols
		if cell.Ch == model.Continuation {
			if col == 0 {
				cell.Ch = ' ' // its wide cell is outside the region: keep the background
			} else {
				continue // painted with its wide cell
			}
		}
		span := 1
		if cell.IsWide() {
			span = 2
			if col+1 == l.Cols {
				cell.Ch, span = ' ', 1 // its right half is outside the region
			}
		}
		x, y := l.CellOrigin(col, i/l.Cols)
		p.cell(img, x, y, span, cell)
	}
	return img, nil
}

// painter draws cells, caching glyph masks and shapes: a drawing repeats
// few distinct characters many times.
type painter struct {
	l      Layout
	o      Options
	g      geometry
	faces  [4]font.Face
	glyphs map[glyphKey]glyph
	shapes map[rune]*image.Alpha
	z      *vector.Rasterizer
	fonts  [4]*opentype.Font
	known  map[glyphKey]bool // has, cached
	buf    sfnt.Buffer
}

type glyphKey struct {
	r    rune
	face int
}

type glyph struct {
	dr   image.Rectangle // relative to the cell's top-left
	mask *image.Alpha    // bounds dr
}

func newPainter(l Layout, o Options) (*painter, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	p := &painter{l: l, o: o, g: newGeometry(l.CellW, l.CellH), glyphs: map[glyphKey]glyph{}, shapes: map[rune]*image.Alpha{},
		z: vector.NewRasterizer(l.CellW, l.CellH), fonts: fs, known: map[glyphKey]bool{}}
	for i, f := range fs {
		face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: o.FontSize, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			p.close()
			return nil, fmt.Errorf("picture: %w", err)
		}
		p.faces[i] = face
	}
	return p, nil
}

func (p *painter) close() {
	for _, f := range p.faces {
		if f != nil {
			f.Close()
		}
	}
}

// cell paints c over span columns (2 for a wide character) from (x, y).
func (p *painter) cell(img *image.RGBA, x, y, span int, c model.Cell) {
	s := resolve(c, p.o)
	w := span * p.l.CellW
	cellR := image.Rect(x, y, x+w, y+p.l.CellH)
	if s.paintBG {
		draw.Draw(img, cellR, image.NewUniform(s.bg), image.Point{}, draw.Src)
	}
	fg := image.NewUniform(s.fg)
	switch {
	case c.Ch == ' ':
	case isShape(c.Ch):
		a, ok := p.shapes[c.Ch]
		if !ok {
			a = p.rasterize(glyphShape(p.g, c.Ch))
			p.shapes[c.Ch] = a
		}
		draw.DrawMask(img, cellR, fg, image.Point{}, a, image.Point{}, draw.Over)
	case !p.has(c.Ch, s.face):
		p.replacement(img, cellR, fg)
	default:
		gl := p.glyph(c.Ch, s.face)
		if gl.mask != nil {
			// A wide glyph is centred on its two columns.
			off := image.Pt(x+(w-p.l.CellW)/2, y)
			draw.DrawMask(img, gl.dr.Add(off), fg, image.Point{}, gl.mask, gl.dr.Min, draw.Over)
		}
	}
	if s.underline {
		draw.Draw(img, image.Rect(x, y+p.l.Underline, x+w, y+p.l.Underline+p.g.lw), fg, image.Point{}, draw.Src)
	}
	if s.strike {
		draw.Draw(img, image.Rect(x, y+p.l.Strike, x+w, y+p.l.Strike+p.g.lw), fg, image.Point{}, draw.Src)
	}
}

// has reports whether the face has a glyph for r. Go Mono covers Latin,
// Greek, Cyrillic and box drawing, not ✓ ★, CJK or emoji.
func (p *painter) has(r rune, face int) bool {
	k := glyphKey{r, face}
	if v, ok := p.known[k]; ok {
		return v
	}
	i, err := p.fonts[face].GlyphIndex(&p.buf, r)
	v := err == nil && i != 0
	p.known[k] = v
	return v
}

// replacement draws a hollow box, inset from the cell: a character the
// font lacks shows as a visible placeholder, never as nothing (the txt,
// ANSI and SVG exports carry the character itself).
func (p *painter) replacement(img *image.RGBA, cellR image.Rectangle, fg image.Image) {
	lw := p.g.lw
	in := image.Rect(cellR.Min.X+p.l.CellW/5, cellR.Min.Y+p.l.CellH/5, cellR.Max.X-p.l.CellW/5, cellR.Max.Y-p.l.CellH/5)
	for _, e := range []image.Rectangle{
		{in.Min, image.Pt(in.Max.X, in.Min.Y+lw)},
		{image.Pt(in.Min.X, in.Max.Y-lw), in.Max},
		{in.Min, image.Pt(in.Min.X+lw, in.Max.Y)},
		{image.Pt(in.Max.X-lw, in.Min.Y), in.Max},
	} {
		draw.Draw(img, e, fg, image.Point{}, draw.Src)
	}
}

// rasterize turns a shape into a cell-sized coverage mask.
func (p *painter) rasterize(s shape) *image.Alpha {
	p.z.Reset(p.l.CellW, p.l.CellH)
	for _, poly := range s.polys {
		poly = oriented(poly)
		p.z.MoveTo(poly[0].x, poly[0].y)
		for _, q := range poly[1:] {
			p.z.LineTo(q.x, q.y)
		}
		p.z.ClosePath()
	}
	a := image.NewAlpha(image.Rect(0, 0, p.l.CellW, p.l.CellH))
	p.z.Draw(a, a.Bounds(), image.NewUniform(color.Alpha{uint8(s.alpha * 0xff)}), image.Point{})
	return a
}

// glyph returns r's mask in the face, from the cache. The face reuses its
// mask buffer from call to call, so the cache keeps copies.
func (p *painter) glyph(r rune, face int) glyph {
	k := glyphKey{r, face}
	if gl, ok := p.glyphs[k]; ok {
		return gl
	}
	var gl glyph
	dr, mask, mp, _, ok := p.faces[face].Glyph(fixed.P(0, p.l.Ascent), r)
	if ok && !dr.Empty() {
		a := image.NewAlpha(dr)
		draw.Draw(a, dr, mask, mp, draw.Src)
		gl = glyph{dr: dr, mask: a}
	}
	p.glyphs[k] = gl
	return gl
}
