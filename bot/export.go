package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui/picture"
)

// Export formats.
const (
	FormatText = "txt"  // plain text, styles dropped
	FormatANSI = "ansi" // text with SGR colour and attribute sequences
	FormatSVG  = "svg"  // an SVG image: text in a monospace font, with colours
	FormatPNG  = "png"  // a PNG image, drawn with the Go Mono fonts
)

// Render renders region of c in a text format ("" is FormatText; PNG is
// binary: see Encode). A nil region means the bounding box of the drawn
// cells; the region used is returned. An empty canvas renders as "". Text
// that is not empty ends with a newline, as a text file does.
func Render(c *model.Canvas, format string, region *model.Rect) (string, model.Rect, error) {
	if format == FormatPNG {
		return "", model.Rect{}, fmt.Errorf("%w: format png is binary: want %s, %s or %s", ErrUsage, FormatText, FormatANSI, FormatSVG)
	}
	var b bytes.Buffer
	r, err := Encode(&b, c, format, region, picture.Options{})
	return b.String(), r, err
}

// CheckFormat reports whether Encode knows format.
func CheckFormat(format string) error {
	switch format {
	case "", FormatText, FormatANSI, FormatSVG, FormatPNG:
		return nil
	}
	return fmt.Errorf("%w: format %q: want %s, %s, %s or %s", ErrUsage, format, FormatText, FormatANSI, FormatSVG, FormatPNG)
}

// Encode writes region of c in format to w, like Render, in any format;
// pic sets the size and colours of the images. A picture of an empty
// canvas is an error (there is no bounding box): pass a region.
func Encode(w io.Writer, c *model.Canvas, format string, region *model.Rect, pic picture.Options) (model.Rect, error) {
	if err := CheckFormat(format); err != nil {
		return model.Rect{}, err
	}
	render := model.RenderText
	if format == FormatANSI {
		render = model.RenderANSI
	}
	image := format == FormatSVG || format == FormatPNG
	var r model.Rect
	if region != nil {
		r = *region
		if r.Empty() {
			return r, fmt.Errorf("%w: region %dx%d has no area", ErrUsage, r.W, r.H)
		}
		// Region allocates the whole area; a typo must not ask for
		// gigabytes.
		if r.Area() > maxExportArea {
			return r, fmt.Errorf("%w: region of %d cells is over the %d an export may hold", ErrUsage, r.Area(), maxExportArea)
		}
	} else {
		b, ok := c.Bounds()
		if !ok {
			if image {
				return model.Rect{}, fmt.Errorf("%w: nothing is drawn: pass a region for an empty picture", ErrUsage)
			}
			return model.Rect{}, nil
		}
		r = b
		if r.Area() > maxExportArea {
			return r, fmt.Errorf("%w: the drawing spans %dx%d cells, over the %d an export may hold: pass a region", ErrUsage, r.W, r.H, maxExportArea)
		}
	}
	if image {
		// Measured first, so a picture too large is a usage error before
		// any work.
		if _, err := picture.Measure(r, pic); err != nil {
			if errors.Is(err, picture.ErrTooLarge) {
				err = fmt.Errorf("%w: %w: pass a smaller region or --font-size", ErrUsage, err)
			}
			return r, err
		}
		if format == FormatSVG {
			return r, picture.SVG(w, c, r, pic)
		}
		return r, picture.PNG(w, c, r, pic)
	}
	s := render(c, r)
	if s != "" {
		s += "\n"
	}
	_, err := io.WriteString(w, s)
	return r, err
}

// maxExportArea bounds the cells one export reads (and allocates).
const maxExportArea = 64 << 20

// ExportOptions configures Export.
type ExportOptions struct {
	Format  string      // FormatText (default), FormatANSI, FormatSVG or FormatPNG
	Region  *model.Rect // nil: the bounding box of the drawn cells
	Picture picture.Options
}

// Export joins the room (as a bot named "export" unless cfg says
// otherwise), writes its canvas to out.Out and leaves. The canvas is the
// room's state when the session synced; export does not draw. A room that
// does not exist is an error wrapping session.ErrNoRoom: export never
// creates one.
func Export(ctx context.Context, cfg Config, opts ExportOptions, out IO) error {
	out = out.withDefaults()
	if err := CheckFormat(opts.Format); err != nil {
		return err // a bad format fails before joining
	}
	// A reader that leaves at once has no use for the presence mesh, and
	// peers would only start pairs with it that fail when it leaves.
	cfg.Session.NoMesh = true
	cfg.Session.Existing = true
	s, err := cfg.dial(ctx, "export", io.Discard)
	if errors.Is(err, session.ErrNoRoom) {
		room := cfg.Link
		if l, perr := wire.ParseLink(cfg.Link); perr == nil {
			room = l.Room + " at " + l.Base
		}
		return fmt.Errorf("%w: %s (export does not create rooms)", session.ErrNoRoom, room)
	}
	if err != nil {
		return err
	}
	defer s.Close()
	// Encoded in memory first, so that a failure leaves out.Out untouched.
	var b bytes.Buffer
	if _, err := Encode(&b, s.Confirmed(), opts.Format, opts.Region, opts.Picture); err != nil {
		return err
	}
	_, err = out.Out.Write(b.Bytes())
	return err
}
