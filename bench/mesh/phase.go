package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// maxDuration keeps the send time, carried in the cursor's X as
// microseconds since the lane's start, within model.MaxCoord.
const maxDuration = 15 * time.Minute

// loopback is the only address range ICE may use. It is not a flag: no
// benchmark traffic may go to any other interface.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// Lanes.
const (
	laneMesh  = "mesh"
	laneRelay = "relay"
	laneNaive = "naive relay"
	laneSweep = "relay tick" // one lane per -relay-ticks entry
)

// results are the three lanes, the sweep's, and the run's settings.
type results struct {
	cfg   config
	mesh  laneResult   // zero (lane "") with -mesh=false
	relay laneResult   // the authority's relay as it runs: leading-edge batching
	naive laneResult   // the same relay with nothing batched: one frame per packet per recipient
	sweep []laneResult // -relay-ticks: the relay at each tick, in the order given
	host  string       // Go version, CPUs, load
}

// lanes are the lanes that ran.
func (r results) lanes() []laneResult {
	out := []laneResult{r.relay, r.naive}
	out = append(out, r.sweep...)
	if r.mesh.lane != "" {
		out = append(out, r.mesh)
	}
	return out
}

// laneResult is what one lane measured.
type laneResult struct {
	lane  string
	peers int
	tick  time.Duration // the relay tick the authority ran with (0: its default)

	dial  time.Duration // first Dial → every Dial returned
	setup time.Duration // first Dial → every pair on its route

	benchCPU time.Duration // this process's CPU (user + system) over the movement window

	// Runtime after every pair connected, minus before the peers existed.
	goroutines int // minus the benchmark's one event reader per peer
	heap       int64
	stacks     int64
	creators   []creatorCount // goroutines by creating function
	udp        udpCheck

	window   time.Duration // the cursors moved this long; rates are over it
	moves    int           // SetPresence calls, all peers
	payload  int           // encoded bytes of those moves' packets
	sent     int           // packets sent, all peers (highest seq seen)
	received int           // first arrivals, all receivers
	lat      []time.Duration
	pairs    [][]int // pairs[receiver][sender]: cursors received
	p2p      int     // ordered pairs whose route was p2p at the end
	rtt      time.Duration
	linkLost int // link changes away from online, all peers

	delta map[string]float64 // presence counters over the window
	total map[string]float64 // presence counters at the end

	serverCPU time.Duration // authority CPU time over the window
	cpuKnown  bool          // false when the authority runs in this process
}

type creatorCount struct {
	fn string
	n  int
}

// bench runs the relay lane, the naive relay lane, then the mesh lane.
// The relays go first because Go keeps the stacks of recently ended
// goroutines for reuse: a lane measured after another starts from a
// baseline that holds them, and a small lane's stack delta can then come
// out below zero. The relay lane, measured first, starts clean; the mesh
// lane's error is bounded by the relay lanes' few dozen goroutines.
func bench(ctx context.Context, cfg config, progress io.Writer) (results, error) {
	res := results{cfg: cfg, host: hostLine()}
	type lane struct {
		name, room string
		tick       time.Duration
		into       *laneResult
	}
	lanes := []lane{{laneRelay, "relay", 0, &res.relay}, {laneNaive, "naive-relay", naiveTick, &res.naive}}
	// The sweep's lanes after the two relays, so that they too start from
	// a baseline the mesh has not filled.
	res.sweep = make([]laneResult, len(cfg.relayTicks))
	for i, t := range cfg.relayTicks {
		lanes = append(lanes, lane{laneSweep + " " + t.String(), "sweep-" + strconv.Itoa(i), t, &res.sweep[i]})
	}
	if !cfg.noMeshLane {
		lanes = append(lanes, lane{laneMesh, "mesh", 0, &res.mesh})
	}
	for _, l := range lanes {
		fmt.Fprintf(progress, "%s lane: %d peers at %d Hz for %s...\n", l.name, cfg.peers, cfg.hz, cfg.duration)
		var err error
		if *l.into, err = runLane(ctx, cfg, l.name, l.room, l.tick); err != nil {
			return res, fmt.Errorf("%s lane: %w", l.name, err)
		}
	}
	return res, nil
}

// peer is one session and what it received.
type peer struct {
	idx int
	s   *session.Session
	id  uint16

	rec      *atomic.Bool // shared: record presence now
	epoch    *time.Time   // shared: X is microseconds since this
	mu       sync.Mutex
	seen     map[uint32]bool // sender<<16 | seq: first arrivals only
	lat      []time.Duration
	from     map[uint16]int
	maxSeq   map[uint16]uint16
	linkLost int
}

// read drains the session's events until it ends. Presence events are
// timed against the send time in the cursor's X.
func (p *peer) read() {
	for {
		select {
		case ev := <-p.s.Events():
			switch ev := ev.(type) {
			case session.Presence:
				if !ev.Presence.HasCursor || !p.rec.Load() {
					continue
				}
				now := time.Since(*p.epoch)
				sent := time.Duration(ev.Presence.Cursor.X) * time.Microsecond
				key := uint32(ev.Peer)<<16 | uint32(ev.Presence.Seq)
				p.mu.Lock()
				if !p.seen[key] {
					p.seen[key] = true
					p.lat = append(p.lat, now-sent)
					p.from[ev.Peer]++
					if m, ok := p.maxSeq[ev.Peer]; !ok || wire.SeqNewer(ev.Presence.Seq, m) {
						p.maxSeq[ev.Peer] = ev.Presence.Seq
					}
				}
				p.mu.Unlock()
			case session.LinkChanged:
				if ev.Link.State != session.Online && ev.Link.State != session.Closed {
					p.mu.Lock()
					p.linkLost++
					p.mu.Unlock()
				}
			}
		case <-p.s.Done():
			return
		}
	}
}

// group is the peers of one room and their readers.
type group struct {
	peers   []*peer
	size    int // sessions in the room: len(peers), or more when the others live in other processes
	readers sync.WaitGroup
	rec     atomic.Bool
	epoch   time.Time
}

// dialGroup joins n sessions to the room at once. Each gets one reader
// goroutine from the start: a session whose non-presence events are not
// drained stalls.
func dialGroup(ctx context.Context, link string, n int, noMesh bool) (*group, error) {
	g := &group{peers: make([]*peer, n), size: n}
	// Not errgroup.WithContext: a session lives as long as its Dial's
	// context, and that one ends when Wait returns.
	var eg errgroup.Group
	for i := range n {
		eg.Go(func() error { return g.dialPeer(ctx, link, i, i, noMesh) })
	}
	err := eg.Wait()
	if err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

// dialPeer joins peer i to the room as g.peers[slot], with its reader.
func (g *group) dialPeer(ctx context.Context, link string, slot, i int, noMesh bool) error {
	s, err := session.Dial(ctx, link, session.Options{
		Name:     "p" + strconv.Itoa(i),
		ClientID: "bench-p" + strconv.Itoa(i),
		ICEAllow: loopback,
		NoMesh:   noMesh,
	})
	if err != nil {
		return fmt.Errorf("dial peer %d: %w", i, err)
	}
	p := &peer{idx: i, s: s, id: s.Info().You, rec: &g.rec, epoch: &g.epoch,
		seen: map[uint32]bool{}, from: map[uint16]int{}, maxSeq: map[uint16]uint16{}}
	g.peers[slot] = p
	g.readers.Add(1)
	go func() { defer g.readers.Done(); p.read() }()
	return nil
}

// close ends every session (each waits for its mesh) and their readers.
func (g *group) close() {
	var wg sync.WaitGroup
	for _, p := range g.peers {
		if p != nil {
			wg.Add(1)
			go func() { defer wg.Done(); p.s.Close() }()
		}
	}
	wg.Wait()
	g.readers.Wait()
}

// routesReady counts the ordered pairs on route from g's sessions, and
// says whether every one of them sees the whole room with every other
// peer on it.
func (g *group) routesReady(route string) (onRoute int, ready bool) {
	ready = true
	for _, p := range g.peers {
		r := p.s.Roster()
		if len(r) != g.size {
			ready = false
		}
		for _, e := range r {
			if e.You {
				continue
			}
			if e.Route == route {
				onRoute++
			} else {
				ready = false
			}
		}
	}
	return onRoute, ready
}

func (g *group) waitRoutes(ctx context.Context, route string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n, ok := g.routesReady(route)
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			want := len(g.peers) * (g.size - 1)
			return fmt.Errorf("pairs never connected: %d of %d ordered pairs on %s after %s", n, want, route, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func laneRoute(lane string) string {
	if lane == laneMesh {
		return "p2p"
	}
	return "relay"
}

// runLane measures one lane in room, with a fresh authority whose relay
// tick is tick (0: its default).
func runLane(ctx context.Context, cfg config, lane, room string, tick time.Duration) (res laneResult, err error) {
	res = laneResult{lane: lane, peers: cfg.peers, tick: tick}
	noMesh, route := lane != laneMesh, laneRoute(lane)
	a, err := startAuthority(ctx, cfg, tick)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := a.close(); err == nil {
			err = cerr
		}
	}()

	// Warm up: one pair joins and leaves, so that one-time initialisation
	// (pion, crypto, HTTP) is not counted as the first peers' memory.
	warm, err := dialGroup(ctx, a.link("warmup-"+room), 2, noMesh)
	if err != nil {
		return res, fmt.Errorf("warm-up: %w", err)
	}
	err = warm.waitRoutes(ctx, route, cfg.setupTimeout)
	warm.close()
	if err != nil {
		return res, fmt.Errorf("warm-up: %w", err)
	}

	before := snapshotRuntime()
	start := time.Now()
	g, err := dialGroup(ctx, a.link(room), cfg.peers, noMesh)
	if err != nil {
		return res, err
	}
	defer g.close()
	res.dial = time.Since(start)
	if err := g.waitRoutes(ctx, route, cfg.setupTimeout); err != nil {
		return res, err
	}
	res.setup = time.Since(start)
	settle(ctx)
	after := snapshotRuntime()
	res.goroutines = after.goroutines - before.goroutines - cfg.peers // minus our readers
	res.heap = int64(after.heap) - int64(before.heap)
	res.stacks = int64(after.stacks) - int64(before.stacks)
	res.creators = creatorDelta(before.creators, after.creators)
	if cfg.memprofile != "" && lane == laneMesh {
		if err := writeHeapProfile(cfg.memprofile); err != nil {
			return res, err
		}
	}
	if res.udp, err = checkUDP(); err != nil {
		return res, err
	}

	c0, err := a.counters(ctx)
	if err != nil {
		return res, err
	}
	var cpu0 time.Duration
	if a.cpu != nil {
		if cpu0, err = a.cpu(); err != nil {
			return res, err
		}
	}
	self0, err := procCPU(os.Getpid())
	if err != nil {
		return res, err
	}
	g.epoch = time.Now()
	g.rec.Store(true)
	res.moves, res.payload, err = move(ctx, g.peers[:cfg.movers], g.epoch, cfg.hz, cfg.duration)
	res.window = time.Since(g.epoch)
	if err != nil {
		return res, err
	}
	self1, err := procCPU(os.Getpid())
	if err != nil {
		return res, err
	}
	res.benchCPU = self1 - self0
	// Over the window alone, as the rates are.
	if a.cpu != nil {
		cpu1, err := a.cpu()
		if err != nil {
			return res, err
		}
		res.serverCPU, res.cpuKnown = cpu1-cpu0, true
	}
	// Let the last packets land before the counters are read.
	time.Sleep(100 * time.Millisecond)
	c1, err := a.counters(ctx)
	if err != nil {
		return res, err
	}
	g.rec.Store(false)
	res.total = c1
	res.delta = map[string]float64{}
	for k, v := range c1 {
		res.delta[k] = v - c0[k]
	}
	res.p2p, _ = g.routesReady("p2p")
	res.rtt = meanRTT(g)
	g.collect(&res)
	return res, nil
}

// move sets every peer's cursor hz times a second on average for d, with
// the send time in X (microseconds since the group's epoch) and the peer's
// index in Y. Each interval is drawn uniformly from 0.5–1.5 periods: moves
// locked to a steady 60 Hz ticker would sit at one fixed phase of the
// sessions' own 60 Hz send ticks, and the latency measured would be that
// phase rather than the spread a person's input meets. It returns the
// moves made and their packets' encoded bytes.
func move(ctx context.Context, peers []*peer, epoch time.Time, hz int, d time.Duration) (moves, bytes int, err error) {
	period := time.Second / time.Duration(hz)
	next := make([]time.Time, len(peers))
	for i := range next {
		next[i] = epoch.Add(rand.N(period))
	}
	end := epoch.Add(d)
	timer := time.NewTimer(0)
	defer timer.Stop()
	buf := make([]byte, 0, 64)
	for {
		k := 0
		for i := range next {
			if next[i].Before(next[k]) {
				k = i
			}
		}
		if !next[k].Before(end) {
			return moves, bytes, nil
		}
		if wait := time.Until(next[k]); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return moves, bytes, ctx.Err()
			case <-timer.C:
			}
		}
		now := time.Now()
		x := int32(now.Sub(epoch) / time.Microsecond)
		for i, p := range peers {
			if next[i].After(now) {
				continue
			}
			pr := wire.Presence{HasCursor: true, Cursor: model.Point{X: x, Y: int32(p.idx)}}
			p.s.SetPresence(pr)
			moves++
			bytes += len(pr.AppendBinary(buf[:0]))
			next[i] = next[i].Add(period/2 + rand.N(period))
		}
	}
}

// collect merges what the readers saw.
func (g *group) collect(res *laneResult) {
	byID := map[uint16]int{}
	for _, p := range g.peers {
		byID[p.id] = p.idx
	}
	maxSeq := make([]uint16, len(g.peers))
	res.pairs = make([][]int, len(g.peers))
	for _, p := range g.peers {
		p.mu.Lock()
		res.pairs[p.idx] = make([]int, len(g.peers))
		for id, n := range p.from {
			if j, ok := byID[id]; ok {
				res.pairs[p.idx][j] = n
			}
		}
		for id, s := range p.maxSeq {
			if j, ok := byID[id]; ok && s > maxSeq[j] {
				maxSeq[j] = s
			}
		}
		res.received += len(p.lat)
		res.lat = append(res.lat, p.lat...)
		res.linkLost += p.linkLost
		p.mu.Unlock()
	}
	// No presence is set before the window, so each session's first
	// packet is seq 1 and the highest seq seen is how many it sent.
	for _, s := range maxSeq {
		res.sent += int(s)
	}
	slices.Sort(res.lat)
}

func meanRTT(g *group) time.Duration {
	var sum time.Duration
	n := 0
	for _, p := range g.peers {
		for _, e := range p.s.Roster() {
			if !e.You && e.Route == "p2p" && e.RTT > 0 {
				sum += e.RTT
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return sum / time.Duration(n)
}

// settle waits until the goroutine count has held still for half a
// second (transient ICE and DTLS goroutines of the handshakes end), or 5s.
func settle(ctx context.Context) {
	last, still := runtime.NumGoroutine(), 0
	deadline := time.Now().Add(5 * time.Second)
	for still < 5 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		n := runtime.NumGoroutine()
		if n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
}

// check says why the run failed, if it did: the figures are reported
// either way.
func (r results) check() error {
	var errs []error
	for _, l := range r.lanes() {
		if l.received == 0 {
			errs = append(errs, fmt.Errorf("%s lane: no cursor arrived", l.lane))
		}
		for i, row := range l.pairs {
			for j, n := range row {
				if i != j && n == 0 && j < r.cfg.movers {
					errs = append(errs, fmt.Errorf("%s lane: peer %d never saw peer %d's cursor", l.lane, i, j))
				}
			}
		}
		if l.linkLost > 0 {
			errs = append(errs, fmt.Errorf("%s lane: sessions lost their link %d times", l.lane, l.linkLost))
		}
		if len(l.udp.outside) > 0 {
			errs = append(errs, fmt.Errorf("%s lane: UDP sockets outside loopback: %v", l.lane, l.udp.outside))
		}
	}
	if r.mesh.lane == "" {
		return errors.Join(errs...)
	}
	want := r.mesh.peers * (r.mesh.peers - 1)
	if r.mesh.p2p != want {
		errs = append(errs, fmt.Errorf("mesh lane: %d of %d ordered pairs on p2p at the end", r.mesh.p2p, want))
	}
	if r.mesh.total[metricRelayed] != 0 || r.mesh.total[metricIn] != 0 {
		errs = append(errs, fmt.Errorf("mesh lane: the authority handled presence: %g packets in, %g relayed",
			r.mesh.total[metricIn], r.mesh.total[metricRelayed]))
	}
	return errors.Join(errs...)
}
