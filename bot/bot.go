package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
)

// ErrUsage reports a bad option value (a region without area, a negative
// rate, …); the message names the option.
var ErrUsage = errors.New("bad bot option")

// Config says which room a bot joins and as whom.
type Config struct {
	Link  string      // room link, http://HOST:PORT/r/ROOM[?token=T]
	Name  string      // display name; each bot has its own default
	Token string      // invite token; overrides the link's ?token=
	Color model.Color // cursor colour
	// Session is the base of every session the bot dials (backoff, ping,
	// logger…). Name, Token, Color and Bot are set from the fields above:
	// a bot is always labelled as one.
	Session session.Options
}

// IO is where a bot reads and writes. Nil writers discard.
type IO struct {
	In  io.Reader // Pipe's commands; the other bots do not read
	Out io.Writer // machine-readable output: Pipe's events, Load's report, Export's text
	Err io.Writer // progress and problems, for people
}

func (o IO) withDefaults() IO {
	if o.In == nil {
		o.In = strings.NewReader("")
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Err == nil {
		o.Err = io.Discard
	}
	return o
}

func (c Config) options(defaultName string) session.Options {
	o := c.Session
	o.Name, o.Token, o.Color, o.Bot = c.Name, c.Token, c.Color, true
	if o.Name == "" {
		o.Name = defaultName
	}
	return o
}

// dial joins the room and tells the user what they must not lose.
func (c Config) dial(ctx context.Context, defaultName string, log io.Writer) (*session.Session, error) {
	o := c.options(defaultName)
	s, err := session.Dial(ctx, c.Link, o)
	if err != nil {
		return nil, fmt.Errorf("join %s: %w", c.Link, err)
	}
	in := s.Info()
	fmt.Fprintf(log, "%s: joined room %s as peer %d (%s) at seq %d\n", o.Name, in.Room, in.You, in.Role, in.Seq)
	if in.Token != "" {
		// The authority shows a new room's owner token once; a bot that
		// created the room is the only one who will ever see it.
		fmt.Fprintf(log, "%s: this bot created the room and is its owner; owner token (shown once): %s\n", o.Name, in.Token)
	}
	return s, nil
}

// mustWrite fails early, with advice, when the bot joined as a viewer:
// otherwise every commit would fail with the same error.
func mustWrite(s *session.Session) error {
	if r := s.Info().Role; !r.CanWrite() {
		return fmt.Errorf("%w (joined as %s; pass an editor or owner token with --token)", session.ErrReadOnly, r)
	}
	return nil
}

// runDrawing is the frame of the bots that only draw (replay, life,
// clock): it dials, runs body while a second goroutine drains the
// session's events (an undrained session stalls), and leaves only once
// everything body committed is acknowledged. It returns nil when ctx
// ends: for a bot that runs until stopped, that is the normal end.
func runDrawing(ctx context.Context, cfg Config, out IO, name string, body func(context.Context, *session.Session) error) error {
	out = out.withDefaults()
	s, err := cfg.dial(ctx, name, out.Err)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := mustWrite(s); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	bodyDone := make(chan struct{})
	g.Go(func() error { return watch(gctx, s, out.Err, cfg.options(name).Name, bodyDone) })
	g.Go(func() error {
		defer close(bodyDone)
		if err := body(gctx, s); err != nil {
			return err
		}
		return s.Sync(gctx)
	})
	err = g.Wait()
	if serr := s.Err(); serr != nil {
		return serr // the session's own reason beats the ErrClosed it caused
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// watch drains a session's events until done is closed, reporting on log
// the ones a person running a bot wants to know about.
func watch(ctx context.Context, s *session.Session, log io.Writer, name string, done <-chan struct{}) error {
	lost := false
	for {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return nil
		case <-s.Done():
			if err := s.Err(); err != nil {
				return err
			}
			return session.ErrClosed
		case ev := <-s.Events():
			switch ev := ev.(type) {
			case session.LinkChanged:
				switch ev.Link.State {
				case session.Offline:
					if !lost {
						fmt.Fprintf(log, "%s: link lost (%s); reconnecting\n", name, ev.Link.Err)
					}
					lost = true
				case session.Online:
					if lost {
						fmt.Fprintf(log, "%s: reconnected\n", name)
					}
					lost = false
				}
			case session.Rejected:
				fmt.Fprintf(log, "%s: commit %s rejected: %s (%s)\n", name, ev.ID, ev.Reason, ev.Code)
			case session.Error:
				fmt.Fprintf(log, "%s: %s (%s)\n", name, ev.Reason, ev.Code)
			}
		}
	}
}

// diff returns the cells of r that must be written for the view to hold
// want (row-major, len r.Area()): only what differs is committed.
func diff(s *session.Session, r model.Rect, want []model.Cell) []model.CellAt {
	have := s.Region(r, nil)
	var out []model.CellAt
	for i, c := range want {
		if have[i] != c {
			out = append(out, model.CellAt{X: r.X + int32(i)%r.W, Y: r.Y + int32(i)/r.W, Cell: c})
		}
	}
	return out
}

// maxCellsPerCommit keeps a set op's commit frame under the authority's
// 1 MiB frame limit (wire.MaxFrameBytes) with room to spare: a cell
// encodes in at most about 90 bytes. A frame over the limit would not be
// refused but close the connection, which ends the session.
const maxCellsPerCommit = 8192

// commitCells commits cells in as few set ops as the frame limit allows.
func commitCells(s *session.Session, cells []model.CellAt) error {
	limit := min(model.DefaultLimits.MaxCells, maxCellsPerCommit)
	for len(cells) > 0 {
		n := min(len(cells), limit)
		if _, err := s.Commit([]model.Op{{Kind: model.OpSet, Cells: cells[:n]}}); err != nil {
			return err
		}
		cells = cells[n:]
	}
	return nil
}

// ParsePoint parses "x,y".
func ParsePoint(s string) (model.Point, error) {
	v, err := parseInts(s, 2)
	if err != nil {
		return model.Point{}, fmt.Errorf("%w: point %q: want x,y", ErrUsage, s)
	}
	return model.Point{X: v[0], Y: v[1]}, nil
}

// ParseRect parses "x,y,w,h"; w and h must be positive.
func ParseRect(s string) (model.Rect, error) {
	v, err := parseInts(s, 4)
	if err != nil || v[2] <= 0 || v[3] <= 0 {
		return model.Rect{}, fmt.Errorf("%w: region %q: want x,y,w,h with positive w and h", ErrUsage, s)
	}
	return model.Rect{X: v[0], Y: v[1], W: v[2], H: v[3]}, nil
}

func parseInts(s string, n int) ([]int32, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, errors.New("wrong count")
	}
	out := make([]int32, n)
	for i, p := range parts {
		v, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil {
			return nil, err
		}
		out[i] = int32(v)
	}
	return out, nil
}

// colorNames are the 16 ANSI colours by the names people type.
var colorNames = map[string]uint8{
	"black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
	"gray": 8, "grey": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11,
	"bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15,
}

// ParseColor parses a colour as the protocol spells it ("", "0"–"255",
// "#rrggbb") or one of the 16 ANSI names ("red", "bright-blue", …).
func ParseColor(s string) (model.Color, error) {
	if i, ok := colorNames[strings.ToLower(s)]; ok {
		return model.Indexed(i), nil
	}
	return model.ParseColor(s)
}
