package session_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

func TestMain(m *testing.M) {
	// The presence mesh must never leave loopback in tests.
	os.Setenv("TCANVAS_ICE_ALLOW", "127.0.0.0/8")
	goleak.VerifyTestMain(m)
}

// authorityProc is a real authority on a fixed loopback address that can
// be stopped and started again on the same data, like a restarted server.
type authorityProc struct {
	t    *testing.T
	dir  string
	addr string
	opts authority.Options

	srv *authority.Server
	hs  *http.Server
	st  *store.SQLite
}

func newAuthority(t *testing.T, opts authority.Options) *authorityProc {
	a := &authorityProc{t: t, dir: t.TempDir(), opts: opts}
	a.start()
	t.Cleanup(a.stop)
	return a
}

func (a *authorityProc) start() {
	a.t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(a.dir, "db"))
	if err != nil {
		a.t.Fatal(err)
	}
	opts := a.opts
	opts.Store = st
	srv, err := authority.New(opts)
	if err != nil {
		a.t.Fatal(err)
	}
	addr := a.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	for i := 0; ; i++ {
		ln, err = net.Listen("tcp", addr)
		if err == nil || i == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		a.t.Fatal(err)
	}
	a.addr = ln.Addr().String()
	a.srv, a.st = srv, st
	a.hs = &http.Server{Handler: srv}
	go a.hs.Serve(ln)
}

func (a *authorityProc) stop() {
	if a.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a.srv.Shutdown(ctx)
	a.hs.Shutdown(ctx)
	a.st.Close()
	a.srv = nil
}

func (a *authorityProc) link(room string) string { return "http://" + a.addr + "/r/" + room }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, ctx context.Context, link, name string, opts ...func(*session.Options)) *session.Session {
	t.Helper()
	o := session.Options{Name: name, MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	s, err := session.Dial(ctx, link, o)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	go drain(s)
	return s
}

// drain consumes events the test does not look at.
func drain(s *session.Session) {
	for {
		select {
		case <-s.Events():
		case <-s.Done():
			return
		}
	}
}

func text(x, y int32, s string) []model.Op {
	return []model.Op{{Kind: model.OpText, X: x, Y: y, Text: s}}
}

// eventually polls cond, failing the test after the context's deadline.
func eventually(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestCommitIsOptimisticThenConfirmed(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	s1 := dial(t, ctx, a.link("r"), "one")
	s2 := dial(t, ctx, a.link("r"), "two")
	if _, err := s1.Commit(text(0, 0, "hello")); err != nil {
		t.Fatal(err)
	}
	// Shown at once, before any answer could have come back.
	if got := s1.Get(0, 0).Ch; got != 'h' {
		t.Fatalf("view after Commit: %q", got)
	}
	if err := s1.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if s1.Info().Pending != 0 || s1.Info().Seq != 1 {
		t.Fatalf("after Sync: %+v", s1.Info())
	}
	eventually(t, ctx, "the other session to see the commit", func() bool { return s2.Info().Seq == 1 })
	if !s1.Canvas().Equal(s2.Canvas()) {
		t.Fatal("sessions differ")
	}
}

func TestUndoRedo(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	s1 := dial(t, ctx, a.link("u"), "one")
	s2 := dial(t, ctx, a.link("u"), "two")
	s1.Commit(text(0, 0, "aaaa"))
	s1.Sync(ctx)
	eventually(t, ctx, "s2 at seq 1", func() bool { return s2.Info().Seq == 1 })
	s2.Commit(text(1, 0, "B"))
	s2.Sync(ctx)
	// Undo right after a commit, before its answer, must still work.
	s1.Commit(text(0, 1, "zz"))
	if _, err := s1.Undo(); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Undo(); err != nil {
		t.Fatal(err)
	}
	if err := s1.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	row := func(s *session.Session, y int32) string {
		return model.RenderText(s.Canvas(), model.Rect{Y: y, W: 6, H: 1})
	}
	eventually(t, ctx, "undos everywhere", func() bool { return s2.Info().Seq == s1.Info().Seq })
	if row(s1, 0) != " B" || row(s1, 1) != "" || row(s2, 0) != " B" {
		t.Fatalf("after two undos: %q / %q, other %q", row(s1, 0), row(s1, 1), row(s2, 0))
	}
	if _, err := s1.Redo(); err != nil {
		t.Fatal(err)
	}
	s1.Sync(ctx)
	if row(s1, 0) != "aBaa" {
		t.Fatalf("after redo: %q", row(s1, 0))
	}
	if _, err := s2.Redo(); !errors.Is(err, session.ErrNothingToRedo) {
		t.Fatalf("redo with nothing undone: %v", err)
	}
}

func TestViewerIsReadOnly(t *testing.T) {
	a := newAuthority(t, authority.Options{})
	ctx := testCtx(t)
	owner := dial(t, ctx, a.link("ro"), "owner")
	if owner.Info().Role != wire.RoleOwner || owner.Info().Token == "" {
		t.Fatalf("first joiner: %+v", owner.Info())
	}
	viewer := dial(t, ctx, a.link("ro"), "viewer")
	if _, err := viewer.Commit(text(0, 0, "x")); !errors.Is(err, session.ErrReadOnly) {
		t.Fatalf("viewer commit: %v", err)
	}
	// A bad token ends the first dial with the authority's reason.
	_, err := session.Dial(ctx, a.link("ro")+"?token=tc_bad", session.Options{Name: "bad"})
	if err == nil {
		t.Fatal("dial with a bad token succeeded")
	}
	// The refusal is named as such, not reported as a silent server.
	if msg := err.Error(); strings.Contains(msg, "no answer") || !strings.Contains(msg, "4005") || !strings.Contains(msg, "token") {
		t.Fatalf("bad token reported as %q", msg)
	}
}

// TestOfflineCommitsLandOnceAfterRestart stops the authority, commits
// while it is gone, starts it again on the same address and data, and
// checks the session reconnects by itself and every commit lands once.
func TestOfflineCommitsLandOnceAfterRestart(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	s := dial(t, ctx, a.link("off"), "one")
	s.Commit(text(0, 0, "before"))
	s.Sync(ctx)
	a.stop()
	eventually(t, ctx, "the session to notice", func() bool { return s.Link().State != session.Online })
	for i := range 5 {
		if _, err := s.Commit(text(0, int32(i+1), "offline"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if s.Info().Pending != 5 {
		t.Fatalf("pending while offline: %d", s.Info().Pending)
	}
	a.start()
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	check := dial(t, ctx, a.link("off"), "check")
	if check.Info().Seq != 6 || !check.Canvas().Equal(s.Canvas()) {
		t.Fatalf("after reconnect: server at seq %d, want 6; equal %v", check.Info().Seq, check.Canvas().Equal(s.Canvas()))
	}
}

// proxy forwards TCP to the authority and can cut every connection, or
// black-hole them (accept bytes, forward none) to simulate a dead link.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
	hole   bool
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() { ln.Close(); p.cut(); p.wg.Wait() })
	return p
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			dst.Close()
			return
		}
		p.mu.Lock()
		hole := p.hole
		p.mu.Unlock()
		if hole {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			src.Close()
			return
		}
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) setHole(on bool) {
	p.mu.Lock()
	p.hole = on
	p.mu.Unlock()
}

func (p *proxy) link(room string) string { return "http://" + p.ln.Addr().String() + "/r/" + room }

func TestDeadLinkDetected(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	p := newProxy(t, a.addr)
	ctx := testCtx(t)
	s := dial(t, ctx, p.link("dead"), "one", func(o *session.Options) {
		o.PingInterval, o.PingTimeout = 200*time.Millisecond, 300*time.Millisecond
	})
	p.setHole(true) // the TCP connection stays up; nothing gets through
	start := time.Now()
	eventually(t, ctx, "the dead link to be noticed", func() bool { return s.Link().State != session.Online })
	t.Logf("dead link noticed after %s (ping every 200ms, timeout 300ms)", time.Since(start))
	p.setHole(false)
	p.cut()
	eventually(t, ctx, "reconnection", func() bool { return s.Link().State == session.Online })
}

// TestConvergenceUnderRandomCuts runs five sessions committing random
// operations while their connections are cut at random; when it stops,
// every session must hold exactly the authority's canvas and every commit
// must have landed once.
func TestConvergenceUnderRandomCuts(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("TCANVAS_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (rerun with TCANVAS_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	a := newAuthority(t, authority.Options{Open: true, CommitRate: 1000, CommitBurst: 1000})
	ctx := testCtx(t)
	const n, perSession = 5, 40
	var proxies []*proxy
	var ss []*session.Session
	for i := range n {
		p := newProxy(t, a.addr)
		proxies = append(proxies, p)
		ss = append(ss, dial(t, ctx, p.link("conv"), fmt.Sprintf("s%d", i)))
	}
	type plan struct {
		ops  [][]model.Op
		undo []bool
	}
	plans := make([]plan, n)
	for i := range plans {
		for range perSession {
			plans[i].ops = append(plans[i].ops, randomOps(rng))
			plans[i].undo = append(plans[i].undo, rng.IntN(6) == 0)
		}
	}
	stop := make(chan struct{})
	var cutter sync.WaitGroup
	cuts := 0
	cutter.Add(1)
	go func() {
		defer cutter.Done()
		r := rand.New(rand.NewPCG(seed, 2))
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(5+r.IntN(40)) * time.Millisecond):
				proxies[r.IntN(n)].cut()
				cuts++
			}
		}
	}()
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k, ops := range plans[i].ops {
				if _, err := s.Commit(ops); err != nil {
					t.Error(err)
					return
				}
				if plans[i].undo[k] {
					s.Undo()
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(stop)
	cutter.Wait()
	if cuts == 0 {
		t.Fatal("no connection was cut: the test proved nothing")
	}
	t.Logf("%d connection cuts during %d commits", cuts, n*perSession)
	for _, s := range ss {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	final := dial(t, ctx, a.link("conv"), "final")
	want := final.Info().Seq
	for i, s := range ss {
		eventually(t, ctx, "session "+strconv.Itoa(i)+" to catch up", func() bool { return s.Info().Seq >= want })
		if !s.Canvas().Equal(final.Canvas()) {
			t.Fatalf("session %d diverged from the authority (seed %d)", i, seed)
		}
	}
	// Exactly once: every draw commit is in the log once.
	recs, err := a.st.Records(ctx, "conv", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	draws := 0
	ids := map[string]bool{}
	for _, r := range recs {
		if ids[r.ID] {
			t.Fatalf("commit %s twice in the log", r.ID)
		}
		ids[r.ID] = true
		if r.Kind == wire.KindDraw {
			draws++
		}
	}
	if draws != n*perSession {
		t.Fatalf("%d draw commits in the log, want %d", draws, n*perSession)
	}
}

func randomOps(r *rand.Rand) []model.Op {
	x, y := int32(r.IntN(20)), int32(r.IntN(8))
	switch r.IntN(3) {
	case 0:
		return []model.Op{{Kind: model.OpText, X: x, Y: y, Text: string(rune('a' + r.IntN(26)))}}
	case 1:
		return []model.Op{{Kind: model.OpRect, X: x, Y: y, W: int32(1 + r.IntN(4)), H: int32(1 + r.IntN(3)), Ch: '#', FG: model.Indexed(uint8(r.IntN(16)))}}
	}
	box := []rune{'─', '│', '┼', '┌'}
	return []model.Op{{Kind: model.OpSet, Merge: true, Cells: []model.CellAt{{X: x, Y: y, Cell: model.Cell{Ch: box[r.IntN(len(box))]}}}}}
}

// relayedPackets reads the authority's tcanvas_presence_relayed_packets_total.
func relayedPackets(t *testing.T, a *authorityProc) float64 {
	t.Helper()
	resp, err := http.Get("http://" + a.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "tcanvas_presence_relayed_packets_total "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	t.Fatal("no tcanvas_presence_relayed_packets_total in /metrics")
	return 0
}

// cursors collects the latest cursor seen from each peer.
type cursors struct {
	mu  sync.Mutex
	pos map[uint16]model.Point
}

func watch(s *session.Session) *cursors {
	c := &cursors{pos: map[uint16]model.Point{}}
	go func() {
		for {
			select {
			case ev := <-s.Events():
				if p, ok := ev.(session.Presence); ok && p.Presence.HasCursor {
					c.mu.Lock()
					c.pos[p.Peer] = p.Presence.Cursor
					c.mu.Unlock()
				}
			case <-s.Done():
				return
			}
		}
	}()
	return c
}

func (c *cursors) at(peer uint16) (model.Point, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.pos[peer]
	return p, ok
}

func dialWatched(t *testing.T, ctx context.Context, link, name string, opts ...func(*session.Options)) (*session.Session, *cursors) {
	t.Helper()
	o := session.Options{Name: name}
	for _, f := range opts {
		f(&o)
	}
	s, err := session.Dial(ctx, link, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, watch(s)
}

// TestPresenceOverMeshNeverTouchesAuthority: four sessions see each
// other's cursors over p2p channels while the authority relays nothing.
func TestPresenceOverMeshNeverTouchesAuthority(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	var ss []*session.Session
	var ws []*cursors
	for i := range 4 {
		s, w := dialWatched(t, ctx, a.link("mesh"), fmt.Sprintf("p%d", i))
		ss, ws = append(ss, s), append(ws, w)
	}
	eventually(t, ctx, "every pair on p2p", func() bool {
		for _, s := range ss {
			r := s.Roster()
			if len(r) != 4 {
				return false
			}
			for _, p := range r {
				if !p.You && p.Route != "p2p" {
					return false
				}
			}
		}
		return true
	})
	for i, s := range ss {
		s.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: int32(10 * i), Y: 5}})
	}
	for i, w := range ws {
		for j, s := range ss {
			if i == j {
				continue
			}
			eventually(t, ctx, "a cursor over the mesh", func() bool {
				p, ok := w.at(s.Info().You)
				return ok && p.X == int32(10*j)
			})
		}
	}
	if n := relayedPackets(t, a); n != 0 {
		t.Fatalf("the authority relayed %g presence packets while every pair had a channel", n)
	}
}

// TestPresenceFallsBackToRelay: a room above MeshMax (and a session that
// refuses the mesh) still gets cursors, through the authority.
func TestPresenceFallsBackToRelay(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	s1, _ := dialWatched(t, ctx, a.link("relay"), "one", func(o *session.Options) { o.NoMesh = true })
	s2, w2 := dialWatched(t, ctx, a.link("relay"), "two")
	s1.SetPresence(wire.Presence{HasCursor: true, Cursor: model.Point{X: 3, Y: 4}})
	eventually(t, ctx, "a cursor through the relay", func() bool {
		p, ok := w2.at(s1.Info().You)
		return ok && p == model.Point{X: 3, Y: 4}
	})
	if relayedPackets(t, a) == 0 {
		t.Fatal("the relay counter did not move")
	}
	for _, p := range s2.Roster() {
		if !p.You && p.Route != "relay" {
			t.Fatalf("peer %d shows route %s", p.ID, p.Route)
		}
	}
}

func TestCommitOverFrameLimitRefusedLocally(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	s := dial(t, ctx, a.link("big"), "big")
	cells := make([]model.CellAt, 50000)
	for i := range cells {
		cells[i] = model.CellAt{X: int32(i % 500), Y: int32(i / 500), Cell: model.Cell{Ch: '#', FG: model.RGB(1, 2, 3), BG: model.RGB(4, 5, 6)}}
	}
	if _, err := s.Commit([]model.Op{{Kind: model.OpSet, Cells: cells}}); !errors.Is(err, model.ErrTooLarge) {
		t.Fatalf("a commit over the frame limit: %v", err)
	}
	// The session is still usable.
	if _, err := s.Commit(text(0, 0, "ok")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(ctx); err != nil || s.Link().State != session.Online {
		t.Fatalf("after the refusal: %v, %s", err, s.Link().State)
	}
}

func TestDialIntoSilenceTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() { // accepts and never answers: a stuck server
		defer close(done)
		var held []net.Conn
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	ctx := testCtx(t)
	_, err = session.Dial(ctx, "http://"+ln.Addr().String()+"/r/x", session.Options{Name: "x", ConnectTimeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("dial into a silent server succeeded")
	}
	ln.Close()
	<-done
}

// TestQuietSessionIsRelayedNoPresence: a session set quiet receives no
// relayed cursor while a loud one does, also after a reconnection (its
// hello carries the setting); set loud again, it gets the peer's cursor
// at once, without the peer moving.
func TestQuietSessionIsRelayedNoPresence(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	relayOnly := func(o *session.Options) { o.NoMesh = true }
	mover := dial(t, ctx, a.link("hush"), "mover", relayOnly)
	_, loud := dialWatched(t, ctx, a.link("hush"), "loud", relayOnly)
	q, err := session.Dial(ctx, a.link("hush"), session.Options{Name: "quiet", NoMesh: true, Quiet: true,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	// cursorsBefore reads q's events up to the commit at seq, counting the
	// cursors that came first.
	cursorsBefore := func(seq uint64) (n int, last model.Point) {
		for {
			select {
			case ev := <-q.Events():
				switch e := ev.(type) {
				case session.Presence:
					n, last = n+1, e.Presence.Cursor
				case session.Committed:
					if e.Seq >= seq {
						return n, last
					}
				}
			case <-ctx.Done():
				t.Fatalf("q never saw seq %d", seq)
			}
		}
	}
	// move shows the mover's cursor at p to loud, then commits behind it:
	// a relayed cursor for q would have been queued before that commit.
	move := func(p model.Point) uint64 {
		t.Helper()
		mover.SetPresence(wire.Presence{HasCursor: true, Cursor: p})
		eventually(t, ctx, "the loud session to see the cursor", func() bool {
			at, ok := loud.at(mover.Info().You)
			return ok && at == p
		})
		if _, err := mover.Commit(text(0, 0, "x")); err != nil {
			t.Fatal(err)
		}
		if err := mover.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		return mover.Info().Seq
	}
	if n, _ := cursorsBefore(move(model.Point{X: 3, Y: 4})); n != 0 {
		t.Fatalf("a quiet session got %d cursors", n)
	}

	a.stop()
	eventually(t, ctx, "the sessions to notice", func() bool { return q.Link().State != session.Online })
	a.start()
	for _, s := range []*session.Session{mover, q} {
		if err := s.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, ctx, "the loud session back", func() bool { return len(q.Roster()) == 3 })
	if n, _ := cursorsBefore(move(model.Point{X: 5, Y: 6})); n != 0 {
		t.Fatalf("quiet after a reconnection, a session got %d cursors", n)
	}

	// Loud again, q gets the cursor at once: well before the mover's
	// keep-alive (3 s) would bring it. Twice: the second time q has seen
	// that very packet before, and must take it again.
	for round := range 2 {
		q.SetQuiet(false)
		greeted := time.After(time.Second)
	wait:
		for {
			select {
			case ev := <-q.Events():
				if p, ok := ev.(session.Presence); ok && p.Peer == mover.Info().You {
					if p.Presence.Cursor != (model.Point{X: 5, Y: 6}) {
						t.Fatalf("loud again, q got cursor %v, want the latest (5,6)", p.Presence.Cursor)
					}
					break wait
				}
			case <-greeted:
				t.Fatalf("round %d: loud again, q did not get the mover's cursor within 1 s", round)
			}
		}
		q.SetQuiet(true)
		// The setting goes before a commit made after it: once that is
		// answered, the authority has q quiet.
		if _, err := q.Commit(text(0, 9, "hush")); err != nil {
			t.Fatal(err)
		}
		if err := q.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRosterInIDOrderThroughJoinsAndLeaves: the roster a session reports
// stays in peer ID order, with each peer once, as peers come and go.
func TestRosterInIDOrderThroughJoinsAndLeaves(t *testing.T) {
	a := newAuthority(t, authority.Options{Open: true})
	ctx := testCtx(t)
	obs := dial(t, ctx, a.link("order"), "obs", func(o *session.Options) { o.NoMesh = true })
	var live []*session.Session
	want := map[uint16]bool{obs.Info().You: true}
	for i := range 12 {
		s := dial(t, ctx, a.link("order"), "p"+strconv.Itoa(i), func(o *session.Options) { o.NoMesh = true })
		live = append(live, s)
		want[s.Info().You] = true
		if i%3 == 2 { // every third join, the oldest still here leaves
			want[live[0].Info().You] = false
			live[0].Close()
			live = live[1:]
		}
	}
	ids := func() []uint16 {
		var out []uint16
		for _, p := range obs.Roster() {
			out = append(out, p.ID)
		}
		return out
	}
	var expect []uint16
	for id, in := range want {
		if in {
			expect = append(expect, id)
		}
	}
	slices.Sort(expect)
	eventually(t, ctx, "the roster to settle", func() bool { return slices.Equal(ids(), expect) })
	// After a restart everyone rejoins with new IDs, and the welcome's
	// roster comes in no particular order.
	a.stop()
	eventually(t, ctx, "obs to notice", func() bool { return obs.Link().State != session.Online })
	a.start()
	if err := obs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, ctx, "the roster back in order", func() bool {
		got := ids()
		return len(got) == len(live)+1 && slices.IsSorted(got) && len(slices.Compact(slices.Clone(got))) == len(got)
	})
}
