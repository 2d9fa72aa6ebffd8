package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// bigDigits is a 3×3 seven-segment font in box-drawing glyphs. Half
// lines (╴╵╶╷) end the strokes so each digit reads like an LCD's.
var bigDigits = [10][3]string{
	{"┌─┐", "│ │", "└─┘"},
	{"  ╷", "  │", "  ╵"},
	{"╶─┐", "┌─┘", "└─╴"},
	{"╶─┐", " ─┤", "╶─┘"},
	{"╷ ╷", "└─┤", "  ╵"},
	{"┌─╴", "└─┐", "╶─┘"},
	{"┌─╴", "├─┐", "└─┘"},
	{"╶─┐", "  │", "  ╵"},
	{"┌─┐", "├─┤", "└─┘"},
	{"┌─┐", "└─┤", "╶─┘"},
}

// bigColon separates hours, minutes and seconds.
var bigColon = [3]string{" ", ":", " "}

// BigTime renders t as three rows of big digits, "HH:MM" or "HH:MM:SS"
// (24-hour), every row the same width.
func BigTime(t time.Time, seconds bool) [3]string {
	s := t.Format("15:04")
	if seconds {
		s = t.Format("15:04:05")
	}
	var rows [3]strings.Builder
	for i, ch := range s {
		for r := range rows {
			if i > 0 {
				rows[r].WriteByte(' ')
			}
			if ch == ':' {
				rows[r].WriteString(bigColon[r])
			} else {
				rows[r].WriteString(bigDigits[ch-'0'][r])
			}
		}
	}
	return [3]string{rows[0].String(), rows[1].String(), rows[2].String()}
}

// ClockOptions configures Clock.
type ClockOptions struct {
	At       model.Point    // top-left corner of the digits
	Seconds  bool           // show and update seconds; otherwise minutes
	Location *time.Location // default time.Local
	FG       model.Color
	// Ticks, when set, replaces the wall clock: each value received is a
	// time to show, and Clock returns when the channel is closed. Tests
	// use it; nil means the real time, redrawn at each minute (or second)
	// boundary.
	Ticks <-chan time.Time
}

// Clock keeps the current time drawn in big box-drawing digits at
// opts.At. Each update commits only the cells that differ from the
// canvas, which also repairs anything drawn over the digits.
func Clock(ctx context.Context, cfg Config, opts ClockOptions, out IO) error {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if err := (model.Cell{Ch: '0', FG: opts.FG}).Validate(); err != nil {
		return fmt.Errorf("%w: clock colour: %v", ErrUsage, err)
	}
	lim := model.DefaultLimits.MaxCoord
	if !inCoord(opts.At, lim) || !inCoord(model.Point{X: opts.At.X + 30, Y: opts.At.Y + 3}, lim) {
		return fmt.Errorf("%w: the clock leaves the canvas", ErrUsage)
	}
	return runDrawing(ctx, cfg, out, "clock", func(ctx context.Context, s *session.Session) error {
		return clock(ctx, s, opts)
	})
}

func clock(ctx context.Context, s *session.Session, opts ClockOptions) error {
	unit := time.Minute
	if opts.Seconds {
		unit = time.Second
	}
	// The region is sized for the longer of the two layouts, so switching
	// between them (a restart with another flag) clears the old digits.
	width := int32(len([]rune(BigTime(time.Time{}, true)[0])))
	r := model.Rect{X: opts.At.X, Y: opts.At.Y, W: width, H: 3}
	s.SetPresence(wire.Presence{HasCursor: true, Cursor: opts.At})
	draw := func(t time.Time) error {
		want := make([]model.Cell, r.Area())
		for y, row := range BigTime(t.In(opts.Location), opts.Seconds) {
			for x, ch := range []rune(row) {
				if ch != ' ' {
					want[y*int(width)+x] = model.Cell{Ch: ch, FG: opts.FG}
				}
			}
		}
		return commitCells(s, diff(s, r, want))
	}
	if opts.Ticks != nil {
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case t, ok := <-opts.Ticks:
				if !ok {
					return nil
				}
				if err := draw(t); err != nil {
					return err
				}
			}
		}
	}
	for {
		now := time.Now()
		if err := draw(now); err != nil {
			return err
		}
		// Sleep to the next boundary rather than a fixed period, so the
		// display changes when the time does, not up to a minute late.
		t := time.NewTimer(now.Truncate(unit).Add(unit).Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
