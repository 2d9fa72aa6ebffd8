package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/internal/rawclient"
	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// epoch is the origin of the send times written into commit IDs. Client
// and server share this process, hence the monotonic clock: a commit's
// latency at any client is its arrival minus the time in its ID.
var epoch = time.Now()

func sinceEpoch() time.Duration { return time.Since(epoch) }

// Canvas area the load draws in: small enough that the room's periodic
// snapshot stays cheap, as a real drawing would.
const (
	areaW = 200
	areaH = 60
)

// peer is one benchmark client: a reader goroutine and a sender goroutine
// over one WebSocket. Its own committed frames (the acknowledgements)
// free slots of its window.
type peer struct {
	name    string
	prefix  []byte // name + "-": the start of this peer's commit IDs
	room    int
	rs      *roomState
	ws      *websocket.Conn
	you     uint16
	slots   chan struct{} // a token per commit in flight
	sent    atomic.Int64
	acked   atomic.Int64
	seq     atomic.Uint64 // last committed seq received
	closing atomic.Bool

	// owned by the reader until it ends
	recordFrom time.Duration // samples of commits sent before this are dropped
	ackLat     []time.Duration
	sends      []seqTime // own commits: seq and send time
	arrivals   []seqTime // others' commits: seq and arrival time
	buf        bytes.Buffer
}

// seqTime pairs a room's seq with a time since epoch.
type seqTime struct {
	seq uint64
	at  time.Duration
}

// roomState lets a room's senders hold back while its slowest client
// trails the commits sent by maxLag (half the authority's send queue): the
// authority disconnects a client whose send queue fills, and with clients
// and server sharing the CPUs a starved reader would otherwise be kicked.
// The figure measured is then the rate at which every client of the room
// keeps up.
type roomState struct {
	peers  []*peer
	maxLag int64
	sent   atomic.Int64 // commits sent to the room
	stalls atomic.Int64 // times a sender waited for the slowest reader
}

// defaultSendQueue is the authority's default Options.SendQueue.
const defaultSendQueue = 1024

func (rs *roomState) lag() int64 {
	low := uint64(math.MaxUint64)
	for _, p := range rs.peers {
		low = min(low, p.seq.Load())
	}
	return rs.sent.Load() - int64(low)
}

// joinPeers joins perRoom clients to each room, all synced (welcome ...
// ready) before any of them commits.
func joinPeers(ctx context.Context, link func(string) string, rooms []string, perRoom, window, maxLag int) ([]*peer, error) {
	peers := make([]*peer, 0, len(rooms)*perRoom)
	for i := range rooms {
		rs := &roomState{maxLag: int64(maxLag)}
		for j := range perRoom {
			name := fmt.Sprintf("r%dp%d", i, j)
			p := &peer{name: name, prefix: []byte(name + "-"), room: i, rs: rs, slots: make(chan struct{}, window)}
			rs.peers = append(rs.peers, p)
			peers = append(peers, p)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for _, p := range peers {
		g.Go(func() error {
			c, err := rawclient.Join(gctx, link(rooms[p.room]), wire.Hello{Client: p.name, Name: p.name})
			if err != nil {
				return fmt.Errorf("join %s: %w", p.name, err)
			}
			if c.Welcome.Role != wire.RoleOwner && c.Welcome.Role != wire.RoleEditor {
				c.WS.CloseNow()
				return fmt.Errorf("join %s: role %s cannot draw", p.name, c.Welcome.Role)
			}
			p.ws, p.you = c.WS, c.Welcome.You
			p.seq.Store(c.Seq)
			return nil
		})
	}
	err := g.Wait()
	if err != nil {
		closePeers(peers)
		return nil, err
	}
	return peers, nil
}

func closePeers(peers []*peer) {
	for _, p := range peers {
		if p.ws != nil {
			p.closing.Store(true)
			p.ws.CloseNow()
		}
	}
}

// inFrame is a server frame other than committed, decoded on the slow
// path.
type inFrame struct {
	T      string `json:"t"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// committed is what the load reads of a committed frame.
type committed struct {
	seq  uint64
	id   []byte // nil unless the frame is for the commit's author; aliases the read buffer
	peer uint16
}

// commitID names a commit and carries its send time. The suffix after the
// client ID may not contain '-', so its two parts are joined by '.'.
func commitID(name string, n int, at time.Duration) string {
	return name + "-" + strconv.Itoa(n) + "." + strconv.FormatInt(int64(at), 10)
}

// sentAt reads the send time at the end of a commit ID.
func sentAt(id []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(id, '.')
	if i < 0 {
		return 0, false
	}
	ns, ok := atou(id[i+1:])
	return time.Duration(ns), ok
}

// atou parses a decimal number without allocating.
func atou(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

var (
	committedHead = []byte(`{"t":"committed","seq":`)
	idKey         = []byte(`,"id":"`)
	peerKey       = []byte(`,"peer":`)
)

// parseCommitted reads a committed frame. The fast path relies on the
// member order encoding/json gives wire.Committed (t, seq, then id when
// the frame goes to the commit's author, then peer) and spares the
// clients, which share the CPUs with the server, a full decode of every
// broadcast. Frames it does not recognise go through encoding/json.
func parseCommitted(b []byte) (committed, bool) {
	if m, ok := parseCommittedFast(b); ok {
		return m, true
	}
	if !bytes.Contains(b, []byte(`"committed"`)) {
		return committed{}, false
	}
	var h struct {
		T    string `json:"t"`
		Seq  uint64 `json:"seq"`
		ID   string `json:"id"`
		Peer uint16 `json:"peer"`
	}
	if err := json.Unmarshal(b, &h); err != nil || h.T != wire.TCommitted {
		return committed{}, false
	}
	m := committed{seq: h.Seq, peer: h.Peer}
	if h.ID != "" {
		m.id = []byte(h.ID)
	}
	return m, true
}

func parseCommittedFast(b []byte) (m committed, ok bool) {
	rest, ok := bytes.CutPrefix(b, committedHead)
	if !ok {
		return m, false
	}
	i := bytes.IndexByte(rest, ',')
	if i <= 0 {
		return m, false
	}
	if m.seq, ok = atou(rest[:i]); !ok {
		return m, false
	}
	rest = rest[i:]
	if after, ok := bytes.CutPrefix(rest, idKey); ok {
		j := bytes.IndexByte(after, '"')
		if j <= 0 || bytes.IndexByte(after[:j], '\\') >= 0 {
			return m, false
		}
		m.id, rest = after[:j], after[j+1:]
	}
	rest, ok = bytes.CutPrefix(rest, peerKey)
	if !ok {
		return m, false
	}
	k := bytes.IndexAny(rest, ",}")
	peer, ok := atou(rest[:max(k, 0)])
	if !ok || peer > math.MaxUint16 {
		return m, false
	}
	m.peer = uint16(peer)
	return m, true
}

// readFrame reads one message into the peer's reused buffer.
func (p *peer) readFrame() (websocket.MessageType, []byte, error) {
	// No ctx: a cancellable one costs a context.AfterFunc per read. The
	// orchestrator ends a blocked read by closing the connection.
	typ, r, err := p.ws.Reader(context.Background())
	if err != nil {
		return 0, nil, err
	}
	p.buf.Reset()
	if _, err := p.buf.ReadFrom(r); err != nil {
		return 0, nil, err
	}
	return typ, p.buf.Bytes(), nil
}

// read consumes frames until the connection closes: every committed frame
// must carry the next seq of the room, the peer's own must answer a commit
// in flight, and anything but roster changes is a protocol error.
func (p *peer) read(recordOther bool) error {
	for {
		typ, b, err := p.readFrame()
		now := sinceEpoch()
		if err != nil {
			if p.closing.Load() {
				return nil
			}
			return fmt.Errorf("%s: read: %w", p.name, err)
		}
		if typ != websocket.MessageText {
			return fmt.Errorf("%s: unexpected binary frame", p.name)
		}
		m, ok := parseCommitted(b)
		if !ok {
			var f inFrame
			if err := json.Unmarshal(b, &f); err != nil {
				return fmt.Errorf("%s: bad frame %q: %w", p.name, b, err)
			}
			switch f.T {
			case wire.TJoin, wire.TLeave, wire.TUpdate:
				continue
			}
			return fmt.Errorf("%s: protocol error: unexpected frame %s", p.name, b)
		}
		if last := p.seq.Load(); m.seq != last+1 {
			return fmt.Errorf("%s: committed seq %d after %d", p.name, m.seq, last)
		}
		p.seq.Store(m.seq)
		if m.peer != p.you {
			// Only a commit's author learns its ID (it holds the author's
			// secret client ID).
			if m.id != nil {
				return fmt.Errorf("%s: protocol error: another's commit ID in %s", p.name, b)
			}
			if recordOther {
				p.arrivals = append(p.arrivals, seqTime{m.seq, now})
			}
			continue
		}
		if !bytes.HasPrefix(m.id, p.prefix) {
			return fmt.Errorf("%s: protocol error: committed frame %s attributed to us", p.name, b)
		}
		at, ok := sentAt(m.id)
		if !ok {
			return fmt.Errorf("%s: committed frame with a foreign id: %s", p.name, b)
		}
		select {
		case <-p.slots:
		default:
			return fmt.Errorf("%s: committed %q with nothing in flight", p.name, m.id)
		}
		p.acked.Add(1)
		if at >= p.recordFrom {
			p.ackLat = append(p.ackLat, now-at)
			if recordOther {
				p.sends = append(p.sends, seqTime{m.seq, at})
			}
		}
	}
}

// send commits until stop: as fast as the window allows when interval is
// 0, else one commit per interval after offset. Then it waits until every
// commit it sent is acknowledged.
func (p *peer) send(ctx context.Context, stop <-chan struct{}, interval, offset time.Duration, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x7ca))
	var tick <-chan time.Time
	if interval > 0 {
		select {
		case <-time.After(offset):
		case <-stop:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	n := 0
loop:
	for {
		if tick != nil {
			select {
			case <-tick:
			case <-stop:
				break loop
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case p.slots <- struct{}{}:
		case <-stop:
			break loop
		case <-ctx.Done():
			return ctx.Err()
		}
		if p.rs.lag() >= p.rs.maxLag {
			p.rs.stalls.Add(1)
			for p.rs.lag() >= p.rs.maxLag {
				if err := sleep(ctx, 100*time.Microsecond); err != nil {
					return err
				}
			}
		}
		p.rs.sent.Add(1)
		n++
		op := model.Op{Kind: model.OpText, X: rng.Int32N(areaW - 8), Y: rng.Int32N(areaH), Text: "tcanvas"}
		b, err := wire.Encode(wire.Commit{T: wire.TCommit, ID: commitID(p.name, n, sinceEpoch()), Ops: []model.Op{op}})
		if err != nil {
			return err
		}
		// No ctx, as in readFrame.
		if err := p.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
			return fmt.Errorf("%s: write: %w", p.name, err)
		}
		p.sent.Add(1)
	}
	// Filling the whole window waits for every commit in flight.
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for range cap(p.slots) {
		select {
		case p.slots <- struct{}{}:
		case <-dctx.Done():
			return fmt.Errorf("%s: %d of %d commits never acknowledged: %w", p.name, p.sent.Load()-p.acked.Load(), p.sent.Load(), dctx.Err())
		}
	}
	return nil
}

// loadSpec is one load run.
type loadSpec struct {
	link        func(string) string
	rooms       []string
	perRoom     int
	window      int
	interval    time.Duration // per writer; 0 saturates the window
	warmup      time.Duration
	duration    time.Duration
	recordOther bool   // measure latency at the other clients of the room (joined by seq)
	maxLag      int    // see roomState
	cpuprofile  string // profile the measured window to this file
}

type loadResult struct {
	clients, rooms int
	sent, acked    int64
	inWindow       int64 // acknowledgements inside the measured window
	window         time.Duration
	ackLat         []time.Duration // sorted
	otherLat       []time.Duration // sorted
	stalls         int64           // sender waits for a room's slowest reader
}

func (r loadResult) rate() float64 { return float64(r.inWindow) / r.window.Seconds() }

// runLoad joins the clients, runs warm-up and measurement, stops sending,
// waits for every commit to be acknowledged and every client to hold the
// room's last seq, then closes the clients.
func runLoad(ctx context.Context, spec loadSpec) (loadResult, error) {
	res := loadResult{rooms: len(spec.rooms)}
	peers, err := joinPeers(ctx, spec.link, spec.rooms, spec.perRoom, spec.window, spec.maxLag)
	if err != nil {
		return res, err
	}
	res.clients = len(peers)
	defer closePeers(peers)
	recordFrom := sinceEpoch() + spec.warmup
	g, gctx := errgroup.WithContext(ctx)
	stop := make(chan struct{})
	var senders sync.WaitGroup
	for i, p := range peers {
		p.recordFrom = recordFrom
		offset := time.Duration(0)
		if spec.interval > 0 {
			offset = spec.interval * time.Duration(i) / time.Duration(len(peers))
		}
		g.Go(func() error { return p.read(spec.recordOther) })
		senders.Add(1)
		g.Go(func() error {
			defer senders.Done()
			return p.send(gctx, stop, spec.interval, offset, uint64(i))
		})
	}
	acked := func() int64 {
		var n int64
		for _, p := range peers {
			n += p.acked.Load()
		}
		return n
	}
	sendersDone := make(chan struct{})
	go func() { senders.Wait(); close(sendersDone) }()
	orchestrate := func() error {
		defer func() {
			select {
			case <-stop:
			default:
				close(stop)
			}
		}()
		if err := sleep(gctx, spec.warmup); err != nil {
			return err
		}
		if spec.cpuprofile != "" {
			f, err := os.Create(spec.cpuprofile)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
		}
		a0, t0 := acked(), time.Now()
		err := sleep(gctx, spec.duration)
		res.inWindow, res.window = acked()-a0, time.Since(t0)
		if spec.cpuprofile != "" {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return err
		}
		close(stop)
		select {
		case <-sendersDone:
		case <-gctx.Done():
			return gctx.Err()
		case <-time.After(2 * time.Minute):
			return errors.New("senders still busy two minutes after stop")
		}
		// Every commit is acknowledged; now every client of a room must
		// reach the room's last seq.
		total := make([]uint64, len(spec.rooms))
		for _, p := range peers {
			total[p.room] += uint64(p.sent.Load())
		}
		deadline := time.Now().Add(time.Minute)
		for _, p := range peers {
			for p.seq.Load() < total[p.room] {
				if time.Now().After(deadline) {
					return fmt.Errorf("%s: at seq %d of the room's %d after a minute", p.name, p.seq.Load(), total[p.room])
				}
				if err := sleep(gctx, time.Millisecond); err != nil {
					return err
				}
			}
			if s := p.seq.Load(); s != total[p.room] {
				return fmt.Errorf("%s: at seq %d, but the room's clients sent %d", p.name, s, total[p.room])
			}
		}
		return nil
	}
	oerr := orchestrate()
	closePeers(peers)
	err = g.Wait()
	<-sendersDone
	if err != nil {
		return res, err
	}
	if oerr != nil {
		return res, oerr
	}
	seen := map[*roomState]bool{}
	type roomSeq struct {
		room int
		seq  uint64
	}
	sent := map[roomSeq]time.Duration{}
	for _, p := range peers {
		if !seen[p.rs] {
			seen[p.rs] = true
			res.stalls += p.rs.stalls.Load()
		}
		res.sent += p.sent.Load()
		res.acked += p.acked.Load()
		res.ackLat = append(res.ackLat, p.ackLat...)
		for _, v := range p.sends {
			sent[roomSeq{p.room, v.seq}] = v.at
		}
	}
	// A commit's latency at another client: its arrival there minus its
	// send time, which only its author knew.
	for _, p := range peers {
		for _, v := range p.arrivals {
			if at, ok := sent[roomSeq{p.room, v.seq}]; ok {
				res.otherLat = append(res.otherLat, v.at-at)
			}
		}
	}
	if res.sent != res.acked {
		return res, fmt.Errorf("%d commits sent, %d acknowledged", res.sent, res.acked)
	}
	slices.Sort(res.ackLat)
	slices.Sort(res.otherLat)
	return res, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pct returns the q-quantile of sorted samples (nearest rank).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

var errNoSamples = errors.New("no samples")
