package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Board is a Game of Life board of W×H cells, row-major; true is alive.
type Board struct {
	W, H  int
	Alive []bool
}

// NewBoard returns an empty board.
func NewBoard(w, h int) Board { return Board{W: w, H: h, Alive: make([]bool, w*h)} }

// At reports whether (x, y) is alive; outside the board nothing is.
func (b Board) At(x, y int) bool {
	return x >= 0 && y >= 0 && x < b.W && y < b.H && b.Alive[y*b.W+x]
}

// Step returns the next generation under Conway's rules (B3/S23). With
// wrap the board is a torus, so gliders leave one edge and come back on
// the other instead of dying against a wall.
func (b Board) Step(wrap bool) Board {
	next := NewBoard(b.W, b.H)
	for y := range b.H {
		for x := range b.W {
			n := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if dx == 0 && dy == 0 {
						continue
					}
					nx, ny := x+dx, y+dy
					if wrap {
						nx, ny = (nx+b.W)%b.W, (ny+b.H)%b.H
					}
					if b.At(nx, ny) {
						n++
					}
				}
			}
			alive := b.Alive[y*b.W+x]
			next.Alive[y*b.W+x] = n == 3 || alive && n == 2
		}
	}
	return next
}

// String draws the board with 'O' and '.', one row per line.
func (b Board) String() string {
	var sb strings.Builder
	for y := range b.H {
		if y > 0 {
			sb.WriteByte('\n')
		}
		for x := range b.W {
			if b.At(x, y) {
				sb.WriteByte('O')
			} else {
				sb.WriteByte('.')
			}
		}
	}
	return sb.String()
}

// ParseBoard reads a pattern in the plain-text ".cells" form: '.', ' '
// and '_' are dead, any other character is alive, lines starting with '!'
// are comments. The board is as wide as the longest line.
func ParseBoard(r io.Reader) (Board, error) {
	var rows []string
	sc := bufio.NewScanner(r)
	w := 0
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(line, "!") {
			continue
		}
		rows = append(rows, line)
		w = max(w, len([]rune(line)))
	}
	if err := sc.Err(); err != nil {
		return Board{}, err
	}
	for len(rows) > 0 && strings.TrimSpace(rows[len(rows)-1]) == "" {
		rows = rows[:len(rows)-1]
	}
	b := NewBoard(w, len(rows))
	for y, row := range rows {
		for x, ch := range []rune(row) {
			b.Alive[y*w+x] = ch != '.' && ch != ' ' && ch != '_'
		}
	}
	if b.W == 0 || b.H == 0 {
		return Board{}, fmt.Errorf("%w: the pattern has no cells", ErrUsage)
	}
	return b, nil
}

// RandomBoard fills a board at random, each cell alive with probability
// density, reproducibly for a seed.
func RandomBoard(w, h int, density float64, seed uint64) Board {
	rng := rand.New(rand.NewPCG(seed, 0x11fe))
	b := NewBoard(w, h)
	for i := range b.Alive {
		b.Alive[i] = rng.Float64() < density
	}
	return b
}

// LifeOptions configures Life. Zero values mean the defaults given.
type LifeOptions struct {
	Region   model.Rect    // where the game runs; required
	Interval time.Duration // between generations; default 500ms
	// Pattern, when set, is the first generation, centred in Region.
	// Otherwise it is random: Density (default 0.3) of the cells alive,
	// drawn from Seed.
	Pattern *Board
	Seed    uint64
	Density float64
	// Generations stops the game after that many steps; 0 runs until ctx
	// ends.
	Generations int
	NoWrap      bool        // dead edges instead of a torus
	Ch          rune        // a living cell; default '█'
	FG          model.Color // its colour
}

// Life runs Conway's Game of Life in opts.Region, one commit per
// generation with only the cells that changed. The board is read back
// from the canvas before every step, so anything drawn into the region
// (by anyone) is alive and takes part; a cell that stays alive keeps what
// its author drew.
func Life(ctx context.Context, cfg Config, opts LifeOptions, out IO) error {
	r := opts.Region
	if r.Empty() {
		return fmt.Errorf("%w: life needs a region with area", ErrUsage)
	}
	if r.Area() > int64(model.DefaultLimits.MaxCells) {
		return fmt.Errorf("%w: a %dx%d region is over the %d cells one commit may touch", ErrUsage, r.W, r.H, model.DefaultLimits.MaxCells)
	}
	lim := model.DefaultLimits.MaxCoord
	if !inCoord(model.Point{X: r.X, Y: r.Y}, lim) || !inCoord(model.Point{X: r.X + r.W - 1, Y: r.Y + r.H - 1}, lim) {
		return fmt.Errorf("%w: region leaves the canvas", ErrUsage)
	}
	if opts.Interval <= 0 {
		opts.Interval = 500 * time.Millisecond
	}
	if opts.Density <= 0 {
		opts.Density = 0.3
	}
	if opts.Ch == 0 {
		opts.Ch = '█'
	}
	if err := (model.Cell{Ch: opts.Ch, FG: opts.FG}).Validate(); err != nil {
		return fmt.Errorf("%w: life cell: %v", ErrUsage, err)
	}
	return runDrawing(ctx, cfg, out, "life", func(ctx context.Context, s *session.Session) error {
		return life(ctx, s, opts)
	})
}

func life(ctx context.Context, s *session.Session, opts LifeOptions) error {
	r := opts.Region
	w, h := int(r.W), int(r.H)
	var seed Board
	if opts.Pattern != nil {
		seed = NewBoard(w, h)
		ox, oy := (w-opts.Pattern.W)/2, (h-opts.Pattern.H)/2
		for y := range opts.Pattern.H {
			for x := range opts.Pattern.W {
				if opts.Pattern.At(x, y) && x+ox >= 0 && y+oy >= 0 && x+ox < w && y+oy < h {
					seed.Alive[(y+oy)*w+x+ox] = true
				}
			}
		}
	} else {
		seed = RandomBoard(w, h, opts.Density, opts.Seed)
	}
	alive := model.Cell{Ch: opts.Ch, FG: opts.FG}
	// The cursor marks the game's corner so people can see whose it is.
	s.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: r.X, Y: r.Y}})

	want := make([]model.Cell, w*h)
	for i, a := range seed.Alive {
		if a {
			want[i] = alive
		}
	}
	if err := commitCells(s, diff(s, r, want)); err != nil {
		return err
	}
	t := time.NewTicker(opts.Interval)
	defer t.Stop()
	var have []model.Cell
	for gen := 0; opts.Generations == 0 || gen < opts.Generations; gen++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		have = s.Region(r, have)
		cur := NewBoard(w, h)
		for i, c := range have {
			cur.Alive[i] = !c.IsEmpty()
		}
		next := cur.Step(!opts.NoWrap)
		for i := range want {
			switch {
			case !next.Alive[i]:
				want[i] = model.Cell{}
			case cur.Alive[i]:
				want[i] = have[i] // a survivor keeps its look
			default:
				want[i] = alive
			}
		}
		if err := commitCells(s, diff(s, r, want)); err != nil {
			return err
		}
	}
	return nil
}
