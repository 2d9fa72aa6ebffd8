// Command web measures the browser client (web/) in real headless
// Chromium against a real authority: how long a page takes from
// navigation to its first full canvas, and how long a cursor takes
// between the page and a Go peer (net/session) over the WebRTC mesh.
//
//	go run ./bench/web                  # 30 page loads, 1000 cursor round trips
//	go run ./bench/web -quick           # 5 loads, 100 round trips
//	go run ./bench/web -screenshot docs/web.png
//
// It runs itself in a network namespace with only loopback (unshare -n,
// as root), so neither Chromium nor pion can use any other interface.
// It exits non-zero when the page never syncs, the pair never goes p2p,
// or the authority relays any presence during the cursor phase.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcanvas/tcanvas/internal/cdp"
	"github.com/tcanvas/tcanvas/internal/testtools/scrape"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bench/web:", err)
		stop()
		os.Exit(1)
	}
}

type config struct {
	loads, pings int
	screenshot   string
	chromium     string
	noNetns      bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	var c config
	quick := fs.Bool("quick", false, "a short run: 5 loads, 100 round trips")
	fs.IntVar(&c.loads, "loads", 30, "page loads to time")
	fs.IntVar(&c.pings, "pings", 1000, "cursor round trips to time")
	fs.StringVar(&c.screenshot, "screenshot", "", "write a PNG of the page showing a scene to this file")
	fs.StringVar(&c.chromium, "chromium", cdp.Find(), "Chromium binary")
	fs.BoolVar(&c.noNetns, "no-netns", false, "run without a network namespace of its own (when not root)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quick {
		c.loads, c.pings = 5, 100
	}
	if c.chromium == "" {
		return errors.New("no chromium found (apt-get install chromium, or -chromium PATH)")
	}
	if c.screenshot != "" {
		abs, err := filepath.Abs(c.screenshot) // the child may not share our working directory's meaning
		if err != nil {
			return err
		}
		c.screenshot = abs
	}
	if !c.noNetns {
		if p := cdp.NetnsProblem(); p != "" && !cdp.InNetns() {
			return fmt.Errorf("%s (or pass -no-netns)", p)
		}
		if code, done := cdp.Isolate(); done {
			if code != 0 {
				os.Exit(code)
			}
			return nil
		}
	}
	return bench(ctx, c, out)
}

type env struct {
	base string
	page *cdp.Page
}

func bench(ctx context.Context, c config, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "bench-web")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "tcanvas.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	srv, err := authority.New(authority.Options{Store: st, Open: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
		hs.Shutdown(sctx)
	}()
	base := "http://" + ln.Addr().String()

	b, err := cdp.Launch(ctx, c.chromium, 1000, 560, nil)
	if err != nil {
		return err
	}
	defer b.Close()
	page, err := b.NewPage(ctx, 1000, 560)
	if err != nil {
		return err
	}
	e := &env{base: base, page: page}

	// The room's content: a diagram drawn by a Go peer that stays, so
	// that the page pairs with it.
	peer, err := join(ctx, base+"/r/bench", "gopher", model.Indexed(12))
	if err != nil {
		return err
	}
	defer peer.Close()
	for _, ops := range scene() {
		if _, err := peer.Commit(ops); err != nil {
			return err
		}
	}
	if err := peer.Sync(ctx); err != nil {
		return err
	}

	started := time.Now()
	fmt.Fprintf(out, "`go run ./bench/web` — %s, %s/%s, %d CPU, Chromium %s, %s\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), chromiumVersion(ctx, page), started.UTC().Format("2006-01-02"))
	fmt.Fprintf(out, "Load average before: %s\n\n", loadavg())

	loads, err := e.timeLoads(ctx, c.loads)
	if err != nil {
		return err
	}
	rt, err := e.timeCursors(ctx, peer, c.pings)
	if err != nil {
		return err
	}
	goGo, err := timeGoToGo(ctx, peer, base+"/r/bench", c.pings)
	if err != nil {
		return err
	}
	pairs := max(3, c.loads/3)
	pairHost, err := e.timePairing(ctx, peer, pairs, "")
	if err != nil {
		return err
	}
	pairPrflx, err := e.timePairing(ctx, peer, pairs, "&candidates=0")
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "| figure | p50 | p99 | max | samples | notes |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	row(out, "page load → first canvas", loads, fmt.Sprintf("navigation start to the first paint after `ready`; a room of %d cells, served from the binary", cellsOf(peer)))
	row(out, "cursor round trip, Go peer → page → Go peer", rt.rtt, fmt.Sprintf("p2p both ways, %v relayed packets; %d of %d lost", rt.relayed, rt.lost, c.pings))
	row(out, "cursor one way, Go peer → page", rt.toPage, "from SetPresence (the session sends at its next 60 Hz tick) to the page's handler")
	row(out, "cursor one way, page → Go peer", rt.toGo, "from the page's send to the session's Presence event")
	row(out, "cursor one way, Go peer → Go peer", goGo, "the same moves to a second net/session peer, for comparison")
	row(out, "page `ready` → p2p pair with the Go peer", pairHost, "host candidates both ways")
	row(out, "page `ready` → p2p pair, page sends no candidates", pairPrflx, "the Go peer learns the page's address from its checks (peer-reflexive), as with a browser hiding its addresses")
	fmt.Fprintf(out, "\nLoad average after: %s; took %s.\n", loadavg(), time.Since(started).Round(time.Second))

	if c.screenshot != "" {
		if err := e.screenshot(ctx, c.screenshot); err != nil {
			return err
		}
		fmt.Fprintf(out, "\nscreenshot: %s\n", c.screenshot)
	}
	return nil
}

func join(ctx context.Context, link, name string, col model.Color) (*session.Session, error) {
	s, err := session.Dial(ctx, link, session.Options{Name: name, Color: col, ICEAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		return nil, err
	}
	if err := s.Sync(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func cellsOf(s *session.Session) int { return s.Confirmed().Len() }

func (e *env) eval(ctx context.Context, expr string, v any) error { return e.page.Eval(ctx, expr, v) }

type pageState struct {
	You           uint16
	Ready         bool
	FirstCanvasMs float64
}

func (e *env) state(ctx context.Context) (pageState, error) {
	var s pageState
	err := e.eval(ctx, "window.tcanvas ? window.tcanvas.state() : {}", &s)
	return s, err
}

// open navigates to the room and waits until the page has painted it.
func (e *env) open(ctx context.Context, query string) (pageState, error) {
	if err := e.page.Navigate(ctx, e.base+"/r/bench"+query); err != nil {
		return pageState{}, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err := e.state(ctx)
		if err == nil && s.FirstCanvasMs > 0 {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("the page did not paint the room within 30s (%v)", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) timeLoads(ctx context.Context, n int) ([]time.Duration, error) {
	var ds []time.Duration
	for i := range n {
		if err := e.page.Navigate(ctx, "about:blank"); err != nil {
			return nil, err
		}
		s, err := e.open(ctx, "?name=load"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		ds = append(ds, time.Duration(s.FirstCanvasMs*float64(time.Millisecond)))
	}
	return ds, nil
}

type cursorTimes struct {
	rtt, toPage, toGo []time.Duration
	lost              int
	relayed           float64
}

// timeCursors: the Go peer moves its cursor to (i, 0); the page, the
// moment that arrives, moves its own to (i, 1); the Go peer waits for
// that. Both clocks are this machine's wall clock, so the one-way times
// are real too (the page stamps with performance.timeOrigin + now()).
func (e *env) timeCursors(ctx context.Context, peer *session.Session, n int) (cursorTimes, error) {
	var ct cursorTimes
	s, err := e.open(ctx, "?name=browser")
	if err != nil {
		return ct, err
	}
	pageID := s.You
	goID := peer.Info().You
	if err := e.waitP2P(ctx, peer, pageID); err != nil {
		return ct, err
	}
	hook := fmt.Sprintf(`window.__arrived = {}; tcanvas.onPresence = (id, p) => {
		if (id !== %d || !p.cursor || p.cursor.y !== 0) return;
		__arrived[p.cursor.x] = performance.timeOrigin + performance.now();
		tcanvas.moveCursor(p.cursor.x, 1);
	}; true`, goID)
	if err := e.eval(ctx, hook, nil); err != nil {
		return ct, err
	}
	relayed0, err := scrape.Metric(e.base, "tcanvas_presence_relayed_packets_total")
	if err != nil {
		return ct, err
	}
	sent := map[int32]time.Time{}
	got := map[int32]time.Time{}
	for i := int32(1); i <= int32(n); i++ {
		// A random pause, so that moves fall anywhere in the session's 60 Hz
		// send period rather than in step with it (an answer arrives just
		// after a tick, and the next move would wait a whole period).
		time.Sleep(time.Duration(rand.Int64N(int64(time.Second / wire.PresenceHz))))
		sent[i] = time.Now()
		peer.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: i, Y: 0}})
		timeout := time.After(2 * time.Second)
	wait:
		for {
			select {
			case ev := <-peer.Events():
				if p, ok := ev.(session.Presence); ok && p.Peer == pageID && p.Presence.HasCursor && p.Presence.Cursor.Y == 1 {
					if _, dup := got[p.Presence.Cursor.X]; !dup {
						got[p.Presence.Cursor.X] = time.Now()
					}
					if p.Presence.Cursor.X == i {
						break wait
					}
				}
			case <-timeout:
				ct.lost++
				break wait
			case <-ctx.Done():
				return ct, ctx.Err()
			}
		}
	}
	var arrived map[string]float64
	if err := e.eval(ctx, "__arrived", &arrived); err != nil {
		return ct, err
	}
	for i, at := range got {
		ct.rtt = append(ct.rtt, at.Sub(sent[i]))
		if ms, ok := arrived[strconv.Itoa(int(i))]; ok {
			a := time.UnixMicro(int64(ms * 1000))
			ct.toPage = append(ct.toPage, a.Sub(sent[i]))
			ct.toGo = append(ct.toGo, at.Sub(a))
		}
	}
	relayed1, err := scrape.Metric(e.base, "tcanvas_presence_relayed_packets_total")
	if err != nil {
		return ct, err
	}
	ct.relayed = relayed1 - relayed0
	if ct.relayed != 0 {
		return ct, fmt.Errorf("the authority relayed %v presence packets while the pair was p2p", ct.relayed)
	}
	if len(ct.rtt) == 0 {
		return ct, errors.New("no cursor came back")
	}
	return ct, nil
}

// timePairing opens the page n times and times, in the page, from its
// `ready` to the moment its channel to the Go peer opens.
func (e *env) timePairing(ctx context.Context, peer *session.Session, n int, query string) ([]time.Duration, error) {
	goID := peer.Info().You
	var ds []time.Duration
	for i := range n {
		if err := e.page.Navigate(ctx, "about:blank"); err != nil {
			return nil, err
		}
		if _, err := e.open(ctx, "?name=pair"+strconv.Itoa(i)+query); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var r struct {
				Route   string
				At      float64
				ReadyAt float64
			}
			expr := fmt.Sprintf("({route: tcanvas.routes()[%d] || '', at: tcanvas.state().routeAt[%d] || 0, readyAt: tcanvas.state().readyAt})", goID, goID)
			if err := e.eval(ctx, expr, &r); err != nil {
				return nil, err
			}
			if r.Route == "p2p" {
				ds = append(ds, time.Duration((r.At-r.ReadyAt)*float64(time.Millisecond)))
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("the page (%q) did not pair p2p within 30s", query)
			}
			drain(peer)
			time.Sleep(10 * time.Millisecond)
		}
	}
	return ds, nil
}

// timeGoToGo times the same cursor moves from peer to a second Go peer
// over their mesh pair: SetPresence to the other session's event.
func timeGoToGo(ctx context.Context, peer *session.Session, link string, n int) ([]time.Duration, error) {
	other, err := join(ctx, link, "gopher2", model.Indexed(10))
	if err != nil {
		return nil, err
	}
	defer other.Close()
	me := peer.Info().You
	deadline := time.Now().Add(30 * time.Second)
	for !p2p(other, me) {
		if time.Now().After(deadline) {
			return nil, errors.New("two Go peers did not pair p2p within 30s")
		}
		drain(other)
		time.Sleep(20 * time.Millisecond)
	}
	var ds []time.Duration
	for i := int32(1); i <= int32(n); i++ {
		time.Sleep(time.Duration(rand.Int64N(int64(time.Second / wire.PresenceHz))))
		sent := time.Now()
		peer.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: -i, Y: 0}})
		timeout := time.After(2 * time.Second)
	wait:
		for {
			select {
			case ev := <-other.Events():
				if p, ok := ev.(session.Presence); ok && p.Peer == me && p.Presence.Cursor.X == -i {
					ds = append(ds, time.Since(sent))
					break wait
				}
			case <-timeout:
				break wait
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		drain(peer)
	}
	return ds, nil
}

func p2p(s *session.Session, id uint16) bool {
	for _, p := range s.Roster() {
		if p.ID == id && p.Route == "p2p" {
			return true
		}
	}
	return false
}

// waitP2P waits until both ends carry the pair's presence peer to peer.
func (e *env) waitP2P(ctx context.Context, peer *session.Session, pageID uint16) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		goSide := p2p(peer, pageID)
		var routes map[string]string
		if err := e.eval(ctx, "tcanvas.routes()", &routes); err != nil {
			return err
		}
		if goSide && slices.Contains(mapValues(routes), "p2p") {
			return nil
		}
		drain(peer)
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("the page and the Go peer did not pair p2p within 30s")
}

func mapValues(m map[string]string) []string {
	var v []string
	for _, s := range m {
		v = append(v, s)
	}
	return v
}

func drain(s *session.Session) {
	for {
		select {
		case <-s.Events():
		default:
			return
		}
	}
}

// screenshot shows the scene with two Go peers' cursors, one followed.
func (e *env) screenshot(ctx context.Context, file string) error {
	ana, err := join(ctx, e.base+"/r/bench", "ana", model.RGB(0xf0, 0x8c, 0x3c))
	if err != nil {
		return err
	}
	defer ana.Close()
	if _, err := e.open(ctx, "?name=guest"); err != nil {
		return err
	}
	// ana is dragging out a box: her ghost shows where it will go.
	ana.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: 70, Y: 17},
		Ghost: &wire.Ghost{Kind: wire.GhostBox, Style: model.BoxRounded, Points: []model.Point{{X: 52, Y: 14}, {X: 70, Y: 17}}}})
	time.Sleep(1500 * time.Millisecond) // pairing; the relay carries the cursor meanwhile
	if err := e.eval(ctx, "tcanvas.moveCursor(30, 20); true", nil); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond)
	png, err := e.page.Screenshot(ctx)
	if err != nil {
		return err
	}
	return os.WriteFile(file, png, 0o644)
}

func row(out io.Writer, name string, ds []time.Duration, notes string) {
	if len(ds) == 0 {
		fmt.Fprintf(out, "| %s | – | – | – | 0 | %s |\n", name, notes)
		return
	}
	slices.Sort(ds)
	q := func(f float64) time.Duration { return ds[min(len(ds)-1, int(f*float64(len(ds))))] }
	fmt.Fprintf(out, "| %s | %s | %s | %s | %d | %s |\n", name, ms(q(0.5)), ms(q(0.99)), ms(ds[len(ds)-1]), len(ds), notes)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func chromiumVersion(ctx context.Context, p *cdp.Page) string {
	var ua string
	if p.Eval(ctx, "navigator.userAgent", &ua) != nil {
		return "?"
	}
	for _, f := range strings.Fields(ua) {
		if v, ok := strings.CutPrefix(f, "HeadlessChrome/"); ok {
			return v
		}
	}
	return ua
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
