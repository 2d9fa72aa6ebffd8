package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// LoadOptions configures Load. Zero values mean the defaults given.
type LoadOptions struct {
	Sessions int // simulated participants, all in this process; default 10
	// MoveRate is cursor moves per second per participant (default 10)
	// and CommitRate commits per second per participant (default 1); a
	// negative rate turns that activity off.
	MoveRate, CommitRate float64
	// The run ends when Duration has passed, when every participant has
	// made Commits commits, or when ctx ends, whichever comes first; zero
	// values do not limit. Then every participant waits for its last
	// acknowledgement before the report is written.
	Duration time.Duration
	Commits  int
	Region   model.Rect // where cursors move and commits land; default 0,0,80,24
	Seed     uint64     // for the random walk and the drawn cells
	JSON     bool       // write the report as one JSON object instead of a table
}

// LoadReport is what the participants observed during the run.
type LoadReport struct {
	Sessions       int         `json:"sessions"`
	DurationS      float64     `json:"duration_s"`
	CursorMoves    int         `json:"cursor_moves"`
	Commits        int         `json:"commits"`
	Acknowledged   int         `json:"acknowledged"`
	Unacknowledged int         `json:"unacknowledged"`
	Rejected       int         `json:"rejected"`
	CommitsPerS    float64     `json:"acknowledged_per_s"`
	Latency        Percentiles `json:"commit_latency_ms"`
	Presence       int         `json:"presence_received"`
	PresencePerS   float64     `json:"presence_received_per_s"`
	Reconnects     int         `json:"reconnects"`
	Errors         int         `json:"errors"`
	ErrorSamples   []string    `json:"error_samples,omitempty"`
}

// Percentiles summarises commit latency, in milliseconds: from the call to
// Commit to the participant's own Committed event, which is the moment a
// person would see their stroke confirmed.
type Percentiles struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

const (
	loadDialParallel = 8
	loadDialTries    = 5
	loadSyncTimeout  = 15 * time.Second
	maxErrorSamples  = 5
)

// Load runs opts.Sessions participants in one room, each moving its cursor
// and committing at its rate, writes a report on out.Out and returns it.
// Progress goes to out.Err: "load: running" when every participant is
// online and the clock starts, "load: stopping" when it stops, so that a
// benchmark can measure the server over exactly that window.
func Load(ctx context.Context, cfg Config, opts LoadOptions, out IO) (LoadReport, error) {
	out = out.withDefaults()
	if opts.Sessions <= 0 {
		opts.Sessions = 10
	}
	if opts.MoveRate == 0 {
		opts.MoveRate = 10
	}
	if opts.CommitRate == 0 {
		opts.CommitRate = 1
	}
	if opts.Region.Empty() {
		opts.Region = model.Rect{W: 80, H: 24}
	}
	base := cfg.Name
	if base == "" {
		base = "load"
	}

	ps, err := dialAll(ctx, cfg, base, opts.Sessions, out.Err)
	defer func() {
		for _, p := range ps {
			p.s.Close()
		}
	}()
	if err != nil {
		return LoadReport{}, err
	}
	if opts.CommitRate > 0 {
		viewers := 0
		for _, p := range ps {
			if !p.s.Info().Role.CanWrite() {
				viewers++
			}
		}
		if viewers > 0 {
			return LoadReport{}, fmt.Errorf("%w: %d of %d participants joined as viewers (the room is not open; pass an editor token with --token)",
				session.ErrReadOnly, viewers, len(ps))
		}
	}

	// Consumers drain every session's events for the whole run.
	consumeCtx, stopConsumers := context.WithCancel(ctx)
	defer stopConsumers()
	var consumers errgroup.Group
	for _, p := range ps {
		consumers.Go(func() error { p.consume(consumeCtx); return nil })
	}

	runCtx, cancelRun := context.WithCancel(ctx)
	if opts.Duration > 0 {
		runCtx, cancelRun = context.WithTimeout(ctx, opts.Duration)
	}
	defer cancelRun()
	fmt.Fprintf(out.Err, "load: running: %d sessions, %g moves/s and %g commits/s each\n",
		len(ps), max(opts.MoveRate, 0), max(opts.CommitRate, 0))
	start := time.Now()
	var drivers errgroup.Group
	for i, p := range ps {
		rng := rand.New(rand.NewPCG(opts.Seed, uint64(i)))
		drivers.Go(func() error { p.drive(runCtx, opts, rng); return nil })
	}
	drivers.Wait()
	elapsed := time.Since(start)
	fmt.Fprintf(out.Err, "load: stopping after %s; waiting for the last acknowledgements\n", elapsed.Round(time.Millisecond))

	// Settle even when ctx ended (Ctrl-C): the report is the point.
	settleCtx, cancelSettle := context.WithTimeout(context.WithoutCancel(ctx), loadSyncTimeout)
	defer cancelSettle()
	var settlers errgroup.Group
	for _, p := range ps {
		settlers.Go(func() error { p.settle(settleCtx); return nil })
	}
	settlers.Wait()
	stopConsumers()
	consumers.Wait()

	rep := report(ps, elapsed)
	if opts.JSON {
		enc := json.NewEncoder(out.Out)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteTable(out.Out)
	}
	return rep, err
}

// dialAll joins n participants, a few at a time: the authority limits new
// connections per address, and a refused dial is retried with backoff.
func dialAll(ctx context.Context, cfg Config, base string, n int, log io.Writer) ([]*participant, error) {
	ps := make([]*participant, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(loadDialParallel)
	for i := range n {
		g.Go(func() error {
			c := cfg
			c.Name = fmt.Sprintf("%s-%d", base, i+1)
			var err error
			for try := range loadDialTries {
				if gctx.Err() != nil {
					return gctx.Err() // another participant failed: stop trying
				}
				// The session lives as long as its Dial context: ctx, not
				// gctx, which ends with the dialling.
				var s *session.Session
				s, err = session.Dial(ctx, c.Link, c.options(c.Name))
				if err == nil {
					ps[i] = &participant{s: s, sent: map[string]time.Time{}}
					return nil
				}
				select {
				case <-gctx.Done():
					return gctx.Err()
				case <-time.After(time.Duration(200*(try+1)) * time.Millisecond):
				}
			}
			return fmt.Errorf("join %s as %s: %w", c.Link, c.Name, err)
		})
	}
	err := g.Wait()
	out := slices.DeleteFunc(ps, func(p *participant) bool { return p == nil })
	for _, p := range out {
		if in := p.s.Info(); in.Token != "" {
			fmt.Fprintf(log, "load: %s created the room; owner token (shown once): %s\n", in.Room, in.Token)
		}
	}
	return out, err
}

// participant is one simulated person.
type participant struct {
	s *session.Session

	mu         sync.Mutex
	sent       map[string]time.Time // commit ID -> when Commit was called
	lat        []time.Duration
	moves      int
	commits    int
	presence   int
	rejected   int
	reconnects int
	errors     int
	samples    []string
	settling   bool
	settled    chan struct{} // closed once settling and nothing is outstanding
}

func (p *participant) errorf(format string, args ...any) {
	p.errors++
	if len(p.samples) < maxErrorSamples {
		p.samples = append(p.samples, fmt.Sprintf(format, args...))
	}
}

func (p *participant) drive(ctx context.Context, opts LoadOptions, rng *rand.Rand) {
	r := opts.Region
	cur := model.Point{X: r.X + rng.Int32N(r.W), Y: r.Y + rng.Int32N(r.H)}
	// A random phase, so that N participants do not all fire together.
	if phase := 1 / max(opts.MoveRate, opts.CommitRate); phase > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(rng.Float64() * phase * float64(time.Second))):
		}
	}
	never := make(chan time.Time)
	ticker := func(rate float64) (<-chan time.Time, func()) {
		if rate <= 0 {
			return never, func() {}
		}
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		return t.C, t.Stop
	}
	moveC, stopMove := ticker(opts.MoveRate)
	defer stopMove()
	commitC, stopCommit := ticker(opts.CommitRate)
	defer stopCommit()
	const glyphs = "#*+=o@%&~^"
	for opts.Commits == 0 || p.commitCount() < opts.Commits {
		select {
		case <-ctx.Done():
			return
		case <-moveC:
			// Every move goes somewhere: an unchanged presence is not sent,
			// and the report counts moves as packets offered.
			next := cur
			for next == cur && r.Area() > 1 {
				next.X = min(max(cur.X+rng.Int32N(3)-1, r.X), r.X+r.W-1)
				next.Y = min(max(cur.Y+rng.Int32N(3)-1, r.Y), r.Y+r.H-1)
			}
			cur = next
			p.s.SetPresence(wire.Presence{HasCursor: true, Cursor: cur})
			p.mu.Lock()
			p.moves++
			p.mu.Unlock()
		case <-commitC:
			c := model.CellAt{X: r.X + rng.Int32N(r.W), Y: r.Y + rng.Int32N(r.H),
				Cell: model.Cell{Ch: rune(glyphs[rng.IntN(len(glyphs))]), FG: model.Indexed(uint8(1 + rng.IntN(15)))}}
			// The lock is held across Commit so that the acknowledgement,
			// however fast, finds the send time recorded.
			p.mu.Lock()
			start := time.Now()
			id, err := p.s.Commit([]model.Op{{Kind: model.OpSet, Cells: []model.CellAt{c}}})
			if err != nil {
				p.errorf("commit: %v", err)
			} else {
				p.sent[id] = start
				p.commits++
			}
			p.mu.Unlock()
		}
	}
}

func (p *participant) commitCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.commits
}

func (p *participant) consume(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.s.Done():
			p.mu.Lock()
			if err := p.s.Err(); err != nil {
				p.errorf("session ended: %v", err)
			}
			p.mu.Unlock()
			<-ctx.Done()
			return
		case ev := <-p.s.Events():
			now := time.Now()
			p.mu.Lock()
			switch ev := ev.(type) {
			case session.Committed:
				if t, ok := p.sent[ev.ID]; ok && ev.Own {
					p.lat = append(p.lat, now.Sub(t))
					delete(p.sent, ev.ID)
				}
			case session.Rejected:
				if _, ok := p.sent[ev.ID]; ok {
					delete(p.sent, ev.ID)
					p.rejected++
					p.errorf("rejected: %s (%s)", ev.Reason, ev.Code)
				}
			case session.Presence:
				p.presence++
			case session.LinkChanged:
				if ev.Link.State == session.Offline && ev.Link.Attempt == 1 {
					p.reconnects++
				}
			case session.Error:
				p.errorf("%s (%s)", ev.Reason, ev.Code)
			}
			if p.settling && len(p.sent) == 0 && p.settled != nil {
				close(p.settled)
				p.settled = nil
			}
			p.mu.Unlock()
		}
	}
}

// settle waits until every commit is acknowledged and its Committed event
// consumed: Sync alone returns a moment before the event is delivered.
func (p *participant) settle(ctx context.Context) {
	if err := p.s.Sync(ctx); err != nil {
		p.mu.Lock()
		p.errorf("sync: %v", err)
		p.mu.Unlock()
		return
	}
	p.mu.Lock()
	if len(p.sent) == 0 {
		p.mu.Unlock()
		return
	}
	p.settling = true
	done := make(chan struct{})
	p.settled = done
	p.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

func report(ps []*participant, elapsed time.Duration) LoadReport {
	rep := LoadReport{Sessions: len(ps), DurationS: elapsed.Seconds()}
	var lat []time.Duration
	for _, p := range ps {
		p.mu.Lock()
		lat = append(lat, p.lat...)
		rep.CursorMoves += p.moves
		rep.Commits += p.commits
		rep.Unacknowledged += len(p.sent)
		rep.Rejected += p.rejected
		rep.Presence += p.presence
		rep.Reconnects += p.reconnects
		rep.Errors += p.errors
		for _, s := range p.samples {
			if len(rep.ErrorSamples) < maxErrorSamples {
				rep.ErrorSamples = append(rep.ErrorSamples, s)
			}
		}
		p.mu.Unlock()
	}
	rep.Acknowledged = len(lat)
	rep.Latency = percentiles(lat)
	if s := elapsed.Seconds(); s > 0 {
		rep.CommitsPerS = float64(rep.Acknowledged) / s
		rep.PresencePerS = float64(rep.Presence) / s
	}
	return rep
}

func percentiles(d []time.Duration) Percentiles {
	if len(d) == 0 {
		return Percentiles{}
	}
	slices.Sort(d)
	ms := func(v time.Duration) float64 { return math.Round(float64(v)/1e3) / 1e3 }
	// Nearest rank: the smallest sample with at least q of them at or below.
	at := func(q float64) float64 { return ms(d[max(0, int(math.Ceil(q*float64(len(d))))-1)]) }
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return Percentiles{N: len(d), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: ms(d[len(d)-1]), Mean: ms(sum / time.Duration(len(d)))}
}

// WriteTable writes the report for people.
func (r LoadReport) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	perS := func(n int) string {
		if r.DurationS <= 0 {
			return fmt.Sprint(n)
		}
		return fmt.Sprintf("%d (%.1f/s)", n, float64(n)/r.DurationS)
	}
	fmt.Fprintf(tw, "sessions\t%d\n", r.Sessions)
	fmt.Fprintf(tw, "duration\t%.2f s\n", r.DurationS)
	fmt.Fprintf(tw, "cursor moves\t%s\n", perS(r.CursorMoves))
	fmt.Fprintf(tw, "commits made\t%s\n", perS(r.Commits))
	fmt.Fprintf(tw, "acknowledged\t%s\n", perS(r.Acknowledged))
	fmt.Fprintf(tw, "rejected\t%d\n", r.Rejected)
	fmt.Fprintf(tw, "unacknowledged\t%d\n", r.Unacknowledged)
	l := r.Latency
	fmt.Fprintf(tw, "commit latency (ms)\tp50 %.2f  p90 %.2f  p99 %.2f  max %.2f  mean %.2f\n", l.P50, l.P90, l.P99, l.Max, l.Mean)
	fmt.Fprintf(tw, "presence received\t%s\n", perS(r.Presence))
	fmt.Fprintf(tw, "reconnects\t%d\n", r.Reconnects)
	fmt.Fprintf(tw, "errors\t%d\n", r.Errors)
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(tw, "\t%s\n", s)
	}
	return tw.Flush()
}
