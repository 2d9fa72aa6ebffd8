package picture

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sync"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/gomonobolditalic"
	"golang.org/x/image/font/gofont/gomonoitalic"
	"golang.org/x/image/font/opentype"

	"github.com/tcanvas/tcanvas/model"
)

// ErrTooLarge means the picture would exceed MaxPixels.
var ErrTooLarge = errors.New("picture too large")

// MaxPixels bounds one picture: a PNG is decoded into memory in full, 4
// bytes a pixel, by whoever opens it, and so is it here.
const MaxPixels = 16 << 20

// Options configures a picture. The zero value means the defaults below.
type Options struct {
	// FontSize is the size of the text in pixels. Default 16, which makes a
	// cell 10×20 pixels.
	FontSize float64
	// Foreground and Background stand for the terminal's default colours.
	// Default light grey on near-black, like a dark terminal.
	Foreground, Background color.RGBA
	// Margin is the border around the cells, in pixels. Default one cell
	// width; negative means none.
	Margin int
}

// Default colours: a dark terminal.
var (
	DefaultForeground = color.RGBA{0xd8, 0xd8, 0xd8, 0xff}
	DefaultBackground = color.RGBA{0x1c, 0x1c, 0x1c, 0xff}
)

func (o Options) withDefaults() Options {
	if o.FontSize <= 0 {
		o.FontSize = 16
	}
	if o.Foreground == (color.RGBA{}) {
		o.Foreground = DefaultForeground
	}
	if o.Background == (color.RGBA{}) {
		o.Background = DefaultBackground
	}
	return o
}

// Faces are indexed by the bold and italic bits.
const (
	faceBold   = 1
	faceItalic = 2
)

var (
	fontsOnce sync.Once
	fonts     [4]*opentype.Font
	fontsErr  error
)

func loadFonts() ([4]*opentype.Font, error) {
	fontsOnce.Do(func() {
		for i, ttf := range [4][]byte{gomono.TTF, gomonobold.TTF, gomonoitalic.TTF, gomonobolditalic.TTF} {
			if fonts[i], fontsErr = opentype.Parse(ttf); fontsErr != nil {
				fontsErr = fmt.Errorf("picture: parse Go Mono: %w", fontsErr)
				return
			}
		}
	})
	return fonts, fontsErr
}

// Layout is the geometry of a picture, in pixels.
type Layout struct {
	CellW, CellH int // one cell
	Ascent       int // from a cell's top to the text's baseline
	Underline    int // the row of an underline, from a cell's top
	Strike       int // the row of a strike-through
	Margin       int // around the cells
	Cols, Rows   int // cells across and down
}

// Size returns the picture's width and height.
func (l Layout) Size() (w, h int) {
	return l.Cols*l.CellW + 2*l.Margin, l.Rows*l.CellH + 2*l.Margin
}

// CellOrigin returns the top-left pixel of the cell in column col, row row
// of the region.
func (l Layout) CellOrigin(col, row int) (x, y int) {
	return l.Margin + col*l.CellW, l.Margin + row*l.CellH
}

// Measure returns the layout of region r under o, checking it against
// MaxPixels.
func Measure(r model.Rect, o Options) (Layout, error) {
	o = o.withDefaults()
	if r.Empty() {
		return Layout{}, fmt.Errorf("picture: region %dx%d has no area", r.W, r.H)
	}
	fs, err := loadFonts()
	if err != nil {
		return Layout{}, err
	}
	face, err := opentype.NewFace(fs[0], &opentype.FaceOptions{Size: o.FontSize, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return Layout{}, fmt.Errorf("picture: %w", err)
	}
	defer face.Close()
	m := face.Metrics()
	adv, _ := face.GlyphAdvance('M')
	l := Layout{
		CellW:  max(adv.Round(), 1),
		CellH:  max(m.Ascent.Ceil()+m.Descent.Ceil(), m.Height.Ceil(), 1),
		Ascent: m.Ascent.Ceil(),
		Cols:   int(r.W), Rows: int(r.H),
	}
	l.Underline = min(l.Ascent+max(m.Descent.Round()/2, 1), l.CellH-1)
	l.Strike = l.Ascent - max(m.XHeight.Round()/2, 1)
	l.Margin = o.Margin
	switch {
	case o.Margin == 0:
		l.Margin = l.CellW
	case o.Margin < 0:
		l.Margin = 0
	}
	w, h := float64(l.Cols)*float64(l.CellW)+2*float64(l.Margin), float64(l.Rows)*float64(l.CellH)+2*float64(l.Margin)
	if w*h > MaxPixels || w > math.MaxInt32/8 || h > math.MaxInt32/8 {
		return Layout{}, fmt.Errorf("%w: %dx%d cells make %.0fx%.0f pixels, over the %d a picture may hold", ErrTooLarge, r.W, r.H, w, h, MaxPixels)
	}
	return l, nil
}

// style is a cell's look resolved to colours.
type style struct {
	fg, bg    color.RGBA
	paintBG   bool // bg differs from the picture's background
	face      int  // faceBold | faceItalic
	underline bool
	strike    bool
}

// resolve turns a cell's colours and attributes into what is painted.
func resolve(c model.Cell, o Options) style {
	fg, bg := rgba(c.FG, o.Foreground), rgba(c.BG, o.Background)
	paintBG := !c.BG.IsDefault()
	if c.Attr&model.Reverse != 0 {
		fg, bg = bg, fg
		paintBG = true
	}
	if c.Attr&model.Faint != 0 {
		fg = mix(fg, bg, 0.5)
	}
	s := style{fg: fg, bg: bg, paintBG: paintBG, underline: c.Attr&model.Underline != 0, strike: c.Attr&model.Strike != 0}
	if c.Attr&model.Bold != 0 {
		s.face |= faceBold
	}
	if c.Attr&model.Italic != 0 {
		s.face |= faceItalic
	}
	return s
}

// rgba is the colour c shows as, def standing for the terminal default.
// Palette colours are xterm's.
func rgba(c model.Color, def color.RGBA) color.RGBA {
	if i, ok := c.Index(); ok {
		r, g, b, _ := ansi.IndexedColor(i).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
	}
	if r, g, b, ok := c.RGB(); ok {
		return color.RGBA{r, g, b, 0xff}
	}
	return def
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-t) + float64(y)*t)) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 0xff}
}

// hex is the #rrggbb form of c.
func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }
