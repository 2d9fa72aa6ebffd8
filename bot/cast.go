package bot

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/model"
)

// PlayOptions configures Play.
type PlayOptions struct {
	// From is the first record shown being drawn; the records before it
	// make the first frame. 0 or 1: from an empty canvas.
	From uint64
	// Speed divides the time between commits. Default 1.
	Speed float64
	// MaxGap bounds a pause between two frames, after Speed (a room is idle
	// for hours between bursts). Default 2s; negative means no bound.
	MaxGap time.Duration
	// Region is the part of the canvas shown. Default: every cell the
	// history ever drew (the union of the canvas's bounds over time).
	Region *model.Rect
}

func (o PlayOptions) withDefaults() PlayOptions {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.MaxGap == 0 {
		o.MaxGap = 2 * time.Second
	}
	return o
}

// Frame is what a terminal is sent at one moment of a replay: At after
// the first frame, Data the bytes (ANSI escape sequences and text).
type Frame struct {
	At   time.Duration
	Data string
}

// Screen is the size of the terminal a replay draws on: the region and a
// status line below it.
func Screen(region model.Rect) (w, h int) { return max(int(region.W), statusMin), int(region.H) + 1 }

// statusMin is the narrowest a replay's screen is, so the status line fits.
const statusMin = 24

// ReplayRegion is the region Play shows by default: the union of the
// canvas's bounds over the whole history, so a cell drawn and erased
// still has its place.
func ReplayRegion(recs []Record) (model.Rect, bool) {
	c := model.NewCanvas()
	var u model.Rect
	for _, r := range recs {
		for _, ch := range c.Apply(r.Ops) {
			if ch.After.Ch != 0 {
				u = u.Union(model.Rect{X: ch.X, Y: ch.Y, W: 1, H: 1})
			}
		}
	}
	return u, !u.Empty()
}

// Play turns a history into frames and hands each to emit in order: a
// first frame that clears the screen and draws the canvas as it was before
// opts.From, one frame per later record that redraws only the cells it
// changed (timed as the commits were, by opts.Speed and opts.MaxGap), and
// a last frame that repaints the final canvas in full. Row 1 of the screen
// is the region's top row; the status line below it names each commit's
// seq and author.
func Play(recs []Record, opts PlayOptions, emit func(Frame) error) error {
	opts = opts.withDefaults()
	var region model.Rect
	if opts.Region != nil {
		region = *opts.Region
	} else {
		region, _ = ReplayRegion(recs)
	}
	if region.Empty() {
		region = model.Rect{W: 1, H: 1}
	}
	if region.Area() > maxExportArea {
		return fmt.Errorf("%w: the replay spans %dx%d cells, over the %d a replay may show: pass a region", ErrUsage, region.W, region.H, maxExportArea)
	}
	c := model.NewCanvas()
	i := 0
	for ; i < len(recs) && recs[i].Seq < opts.From; i++ {
		c.Apply(recs[i].Ops)
	}
	var b strings.Builder
	b.WriteString("\x1b[?25l\x1b[0m\x1b[2J")
	paint(&b, c, region)
	if i == 0 {
		status(&b, region, "start")
	} else {
		status(&b, region, fmt.Sprintf("#%d and before", recs[i-1].Seq))
	}
	if err := emit(Frame{Data: b.String()}); err != nil {
		return err
	}
	var at time.Duration
	prev := int64(-1)
	for _, r := range recs[i:] {
		if prev >= 0 {
			gap := time.Duration(float64(time.Duration(r.At-prev)*time.Millisecond) / opts.Speed)
			if opts.MaxGap > 0 {
				gap = min(gap, opts.MaxGap)
			}
			at += max(gap, 0)
		}
		prev = r.At
		b.Reset()
		changed := c.Apply(r.Ops)
		row, col := -1, -1 // where the terminal's cursor is, when known
		for _, ch := range changed {
			if region.Contains(ch.X, ch.Y) {
				y, x := int(ch.Y-region.Y)+1, int(ch.X-region.X)+1
				if y != row || x != col {
					cup(&b, y, x) // a run of cells along a row needs one move
				}
				b.WriteString(cellANSI(c, ch.X, ch.Y))
				row, col = y, x+1
			}
		}
		status(&b, region, fmt.Sprintf("#%d %s %s", r.Seq, r.Kind, r.Name))
		if err := emit(Frame{At: at, Data: b.String()}); err != nil {
			return err
		}
	}
	// The last frame repaints everything, so that it alone shows the end.
	b.Reset()
	b.WriteString("\x1b[0m\x1b[2J")
	paint(&b, c, region)
	last := "empty history"
	if n := len(recs); n > 0 {
		last = fmt.Sprintf("#%d, the end", recs[n-1].Seq)
	}
	status(&b, region, last)
	cup(&b, int(region.H)+1, 1)
	b.WriteString("\x1b[?25h")
	return emit(Frame{At: at + min(time.Second, max(opts.MaxGap, 0)), Data: b.String()})
}

// paint draws the region's rows from the top of the screen.
func paint(b *strings.Builder, c *model.Canvas, region model.Rect) {
	for y := range region.H {
		row := model.RenderANSI(c, model.Rect{X: region.X, Y: region.Y + y, W: region.W, H: 1})
		if row != "" {
			cup(b, int(y)+1, 1)
			b.WriteString(row)
		}
	}
}

// cellANSI is one cell in its style, a space when it is empty.
func cellANSI(c *model.Canvas, x, y int32) string {
	if s := model.RenderANSI(c, model.Rect{X: x, Y: y, W: 1, H: 1}); s != "" {
		return s
	}
	return " "
}

func cup(b *strings.Builder, row, col int) {
	b.WriteString("\x1b[" + strconv.Itoa(row) + ";" + strconv.Itoa(col) + "H")
}

// status rewrites the line below the region, dimmed and cut to its width.
func status(b *strings.Builder, region model.Rect, s string) {
	w, _ := Screen(region)
	if r := []rune(s); len(r) > w {
		s = string(r[:w])
	}
	cup(b, int(region.H)+1, 1)
	b.WriteString("\x1b[2K\x1b[2m" + sanitize(s) + "\x1b[0m")
}

// sanitize keeps a name's control characters off the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return '?'
		}
		return r
	}, s)
}

// CastHeader is the first line of an asciicast v2 file.
type CastHeader struct {
	Version   int               `json:"version"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Timestamp int64             `json:"timestamp,omitempty"`
	Title     string            `json:"title,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
}

// CastWriter writes frames as an asciicast v2 file (asciinema's format):
// the header line, then one [seconds, "o", data] line per frame.
type CastWriter struct {
	w *bufio.Writer
}

// NewCastWriter writes h to w and returns a writer for the frames.
func NewCastWriter(w io.Writer, h CastHeader) (*CastWriter, error) {
	h.Version = 2
	cw := &CastWriter{w: bufio.NewWriter(w)}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	if _, err := cw.w.Write(append(b, '\n')); err != nil {
		return nil, err
	}
	return cw, nil
}

// Frame writes one output event. A write error sticks: Frame and Flush
// return it from then on.
func (cw *CastWriter) Frame(f Frame) error {
	data, err := json.Marshal(f.Data)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(cw.w, "[%s, \"o\", %s]\n", strconv.FormatFloat(f.At.Seconds(), 'f', 6, 64), data)
	return err
}

// Flush writes what is buffered.
func (cw *CastWriter) Flush() error { return cw.w.Flush() }
