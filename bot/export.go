package bot

import (
	"context"
	"fmt"
	"io"

	"github.com/tcanvas/tcanvas/model"
)

// Export formats.
const (
	FormatText = "txt"  // plain text, styles dropped
	FormatANSI = "ansi" // text with SGR colour and attribute sequences
)

// Render renders region of c in format ("" is FormatText). A nil region
// means the bounding box of the drawn cells; the region used is returned.
// An empty canvas renders as "". Text that is not empty ends with a
// newline, as a text file does.
func Render(c *model.Canvas, format string, region *model.Rect) (string, model.Rect, error) {
	render := model.RenderText
	switch format {
	case "", FormatText:
	case FormatANSI:
		render = model.RenderANSI
	default:
		return "", model.Rect{}, fmt.Errorf("%w: format %q: want %s or %s", ErrUsage, format, FormatText, FormatANSI)
	}
	var r model.Rect
	if region != nil {
		r = *region
		if r.Empty() {
			return "", r, fmt.Errorf("%w: region %dx%d has no area", ErrUsage, r.W, r.H)
		}
		// Region allocates the whole area; a typo must not ask for
		// gigabytes.
		if r.Area() > maxExportArea {
			return "", r, fmt.Errorf("%w: region of %d cells is over the %d an export may hold", ErrUsage, r.Area(), maxExportArea)
		}
	} else {
		b, ok := c.Bounds()
		if !ok {
			return "", model.Rect{}, nil
		}
		r = b
		if r.Area() > maxExportArea {
			return "", r, fmt.Errorf("%w: the drawing spans %dx%d cells, over the %d an export may hold: pass a region", ErrUsage, r.W, r.H, maxExportArea)
		}
	}
	s := render(c, r)
	if s != "" {
		s += "\n"
	}
	return s, r, nil
}

// maxExportArea bounds the cells one export reads (and allocates).
const maxExportArea = 64 << 20

// ExportOptions configures Export.
type ExportOptions struct {
	Format string      // FormatText (default) or FormatANSI
	Region *model.Rect // nil: the bounding box of the drawn cells
}

// Export joins the room (as a bot named "export" unless cfg says
// otherwise), writes its canvas to out.Out and leaves. The canvas is the
// room's state when the session synced; export does not draw.
//
// Joining is the only way in: if the room does not exist yet, this
// creates it, with export as its owner (the token is written to out.Err).
func Export(ctx context.Context, cfg Config, opts ExportOptions, out IO) error {
	out = out.withDefaults()
	if _, _, err := Render(model.NewCanvas(), opts.Format, nil); err != nil {
		return err // a bad format fails before joining
	}
	// A reader that leaves at once has no use for the presence mesh, and
	// peers would only start pairs with it that fail when it leaves.
	cfg.Session.NoMesh = true
	s, err := cfg.dial(ctx, "export", io.Discard)
	if err != nil {
		return err
	}
	defer s.Close()
	if in := s.Info(); in.Token != "" {
		fmt.Fprintf(out.Err, "export: room %s did not exist; it now does, and its owner token (shown once) is %s\n", in.Room, in.Token)
	}
	text, _, err := Render(s.Confirmed(), opts.Format, opts.Region)
	if err != nil {
		return err
	}
	_, err = io.WriteString(out.Out, text)
	return err
}
