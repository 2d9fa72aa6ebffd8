package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/coder/websocket"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

const (
	// recentIDs is how many commit IDs a room keeps in memory to answer
	// resends without asking the store.
	recentIDs = 1 << 16
	// recentEffects and recentBytes bound the commits whose effects stay in
	// memory for undo; older ones are read back from the store.
	recentEffects = 1024
	recentBytes   = 8 << 20
	// inboxSize bounds the messages waiting for a room's goroutine; a full
	// inbox slows the connections that feed it (backpressure).
	inboxSize = 1024
)

// room is one live room. Everything below "actor state" is owned by the
// goroutine running run: connections only post closures to inbox.
type room struct {
	srv   *Server
	name  string
	inbox chan func()
	done  chan struct{} // closed when run returns
	refs  int           // guarded by srv.mu: handlers about to use or using the room
	// attached, guarded by srv.mu, holds the connections using the room.
	attached map[*conn]struct{}

	// actor state
	meta     store.Meta
	created  bool // meta not yet durable: the first flush writes it
	canvas   *model.Canvas
	seq      uint64 // last seq assigned (applied in memory)
	durable  uint64 // last seq on disk
	snapSeq  uint64
	tokens   map[string]*store.Token // by hex hash
	conns    map[uint16]*conn        // welcomed connections
	joining  []*conn                 // joined, waiting for their welcome's state to be durable
	nextPeer uint16

	ids     map[string]uint64
	idRing  []string
	idNext  int
	idsAll  bool // ids holds every commit ID of the room
	recent  map[uint64]*store.Record
	recentQ []uint64 // seqs in recent, oldest first
	recentN int      // bytes of effects in recent
	logs    logCache // recent commits decoded, for undo (undo.go)
	runsSeq uint64
	runs    []model.Op

	pend     store.Batch
	pendMeta []pendInfo
	pendID   uint64 // ID of the batch accumulating in pend
	inflight bool
	flushed  chan flushResult
	gated    []gatedFrame

	relay relayBatcher // presence waiting for each recipient (presence.go)
	// lastPresence is each welcomed peer's latest packet, for newcomers:
	// a peer holding still sends nothing, yet a newcomer should see it.
	lastPresence map[uint16][]byte
	relayTimer   *time.Timer // fires when the next relay frame is due

	idle *time.Timer

	lease      *roomLease  // nil on a single node; else held while the room runs
	leaseTimer *time.Timer // fires when the lease must be checked or given up

	store *debtBucket // stored bytes per second (budget.go)
}

type pendInfo struct {
	peer uint16
	at   time.Time
}

// gatedFrame waits for batch to be durable before it goes to c: the
// output gate that keeps anything not yet on disk from being seen.
type gatedFrame struct {
	batch uint64
	c     *conn
	data  []byte
}

type flushResult struct {
	batch store.Batch
	meta  []pendInfo
	id    uint64
	took  time.Duration
	err   error
}

func newRoom(s *Server, name string) *room {
	return &room{
		srv:     s,
		name:    name,
		inbox:   make(chan func(), inboxSize),
		done:    make(chan struct{}),
		flushed: make(chan flushResult, 1),
	}
}

// post hands fn to the room's goroutine; false if the room has ended.
func (r *room) post(fn func()) bool {
	select {
	case r.inbox <- fn:
		return true
	case <-r.done:
		return false
	}
}

func (r *room) log() *slog.Logger { return r.srv.opts.Logger.With("room", r.name) }

// run is the room's goroutine. prev, when set, is a previous incarnation
// of the room still flushing on its way to hibernation.
func (r *room) run(prev chan struct{}) {
	defer r.srv.rooms.Done()
	defer r.srv.kickAttached(r) // after done: posts now fail fast
	defer r.srv.forget(r)
	defer close(r.done)
	if prev != nil {
		<-prev
	}
	if err := r.load(); err != nil {
		level := slog.LevelError
		if errors.Is(err, store.ErrLeaseHeld) {
			level = slog.LevelInfo // lost a race for the room to another node
		}
		r.log().Log(r.srv.ctx, level, "load failed", "err", err)
		if r.lease != nil {
			r.srv.cl.release(r)
		}
		return
	}
	r.srv.metrics.roomsLive.Inc()
	defer r.srv.metrics.roomsLive.Dec()
	if r.lease != nil {
		defer r.srv.cl.release(r) // after finish: the last flush needs the lease
		r.leaseTimer = time.NewTimer(r.srv.cl.remaining(r.lease))
		defer r.leaseTimer.Stop()
	}
	r.idle = time.NewTimer(r.srv.opts.IdleTimeout)
	defer r.idle.Stop()
	defer r.stopPresence()
	for {
		select {
		case fn := <-r.inbox:
			fn()
		case res := <-r.flushed:
			if !r.onFlushed(res) {
				return
			}
		case <-r.relayTimerC():
			r.relayPresence(time.Now())
		case <-r.leaseTimerC():
			if !r.checkLease() {
				return
			}
		case <-r.leaseLost():
			r.loseLease()
			return
		case <-r.idle.C:
			if len(r.conns) == 0 && len(r.joining) == 0 {
				if r.srv.tryHibernate(r) {
					r.finish(websocket.StatusGoingAway, wire.CodeShutdown, "")
					r.srv.metrics.hibernations.Inc()
					return
				}
				r.idle.Reset(r.srv.opts.IdleTimeout) // a joiner is on its way
			}
		case <-r.srv.ctx.Done():
			r.finish(websocket.StatusGoingAway, wire.CodeShutdown, "authority shutting down; reconnect")
			return
		}
	}
}

// load wakes the room from the store, or prepares a new one.
func (r *room) load() error {
	start := time.Now()
	ctx := r.srv.ctx
	r.canvas = model.NewCanvas()
	r.conns = map[uint16]*conn{}
	r.tokens = map[string]*store.Token{}
	r.ids = make(map[string]uint64)
	r.recent = map[uint64]*store.Record{}
	r.relay = newRelayBatcher(r.srv.opts.PresenceTick)
	r.lastPresence = map[uint16][]byte{}
	r.pend.Room = r.name
	r.pendID = 1
	if r.srv.cl != nil {
		// The lease first: what is loaded after it includes every write
		// of the room's previous owner, which can write no more.
		if err := r.srv.cl.acquire(ctx, r); err != nil {
			return err
		}
	}
	data, err := r.srv.opts.Store.Load(ctx, r.name, recentIDs)
	switch {
	case errors.Is(err, store.ErrNotFound):
		r.meta = store.Meta{Room: r.name, Epoch: randomID(8), Open: r.srv.opts.Open, Created: time.Now().UnixMilli()}
		// Not written until its first joiner owns it (join): a refused
		// hello must leave nothing behind.
		r.created = true
		r.idsAll = true
		r.srv.metrics.wakes.Inc()
		return nil
	case err != nil:
		return err
	}
	r.meta = data.Meta
	if len(data.Snapshot.Data) > 0 {
		if err := r.canvas.UnmarshalBinary(data.Snapshot.Data); err != nil {
			return fmt.Errorf("room %s: snapshot at %d: %w", r.name, data.Snapshot.Seq, err)
		}
	}
	for _, rec := range data.Records {
		var ops []model.Op
		if err := json.Unmarshal(rec.Ops, &ops); err != nil {
			return fmt.Errorf("room %s: commit %d: %w", r.name, rec.Seq, err)
		}
		r.canvas.Apply(ops)
	}
	r.seq, r.durable, r.snapSeq = data.LastSeq, data.LastSeq, data.Snapshot.Seq
	for i := range data.Tokens {
		t := &data.Tokens[i]
		r.tokens[string(t.Hash)] = t
	}
	for _, v := range data.RecentIDs {
		r.rememberID(v.ID, v.Seq)
	}
	r.idsAll = uint64(len(data.RecentIDs)) == data.LastSeq
	r.srv.metrics.wakes.Inc()
	r.srv.metrics.wakeSeconds.Observe(time.Since(start).Seconds())
	return nil
}

// finish ends the room: everything pending is made durable and a final
// snapshot taken, then every connection is closed with code.
func (r *room) finish(code websocket.StatusCode, errCode, reason string) {
	for r.inflight || r.hasPending() {
		if !r.inflight {
			r.flush()
		}
		if !r.onFlushed(<-r.flushed) {
			return
		}
	}
	if r.seq > r.snapSeq {
		r.snapshotInto(&r.pend)
		r.flush()
		r.onFlushed(<-r.flushed)
	}
	for _, c := range r.conns {
		c.kick(code, errCode, reason)
	}
	for _, c := range r.joining {
		c.kick(code, errCode, reason)
	}
}

func (r *room) hasPending() bool {
	return r.pend.Meta != nil || len(r.pend.Records) > 0 || len(r.pend.Tokens) > 0 || r.pend.Snapshot != nil
}

func (r *room) snapshotInto(b *store.Batch) {
	data, err := r.canvas.MarshalBinary()
	if err != nil {
		r.log().Error("snapshot failed", "err", err)
		return
	}
	b.Snapshot = &store.Snapshot{Seq: r.seq, Data: data}
	r.snapSeq = r.seq
}

// flush starts writing the pending batch if no write is in flight. Commits
// that arrive meanwhile gather in the next batch, so a busy room pays one
// fsync per batch rather than per commit.
func (r *room) flush() {
	if r.inflight || !r.hasPending() {
		return
	}
	b, meta, id := r.pend, r.pendMeta, r.pendID
	r.pend = store.Batch{Room: r.name}
	r.pendMeta = nil
	r.pendID++
	r.inflight = true
	if r.lease != nil {
		b.Fence = r.lease.fence
	}
	go func() {
		start := time.Now()
		err := r.srv.opts.Store.Write(context.Background(), b)
		r.flushed <- flushResult{batch: b, meta: meta, id: id, took: time.Since(start), err: err}
	}()
}

// gateBatch is the batch whose durability a frame sent now must wait for:
// the accumulating one if it has anything, else the one in flight, else 0
// (send at once).
func (r *room) gateBatch() uint64 {
	switch {
	case r.hasPending():
		return r.pendID
	case r.inflight:
		return r.pendID - 1
	}
	return 0
}

// onFlushed releases what waited for a batch; false if the room failed.
func (r *room) onFlushed(res flushResult) bool {
	r.inflight = false
	if res.err != nil {
		// Memory is now ahead of disk. Dropping the room is the only honest
		// move: clients resend what was never acknowledged.
		code, errCode, reason := websocket.StatusInternalError, wire.CodeInternal, "storage failure; reconnect"
		if errors.Is(res.err, store.ErrFenced) {
			// Another node owns the room now: nothing was written.
			code, errCode, reason = websocket.StatusGoingAway, wire.CodeShutdown, "room moved to another node; reconnect"
			r.srv.cl.forgetLost(r)
		}
		r.log().Error("store write failed", "err", res.err)
		r.srv.forget(r)
		for _, c := range r.conns {
			c.kick(code, errCode, reason)
		}
		for _, c := range r.joining {
			c.kick(code, errCode, reason)
		}
		return false
	}
	if res.batch.Meta != nil {
		r.created = false
	}
	m := r.srv.metrics
	m.flushSeconds.Observe(res.took.Seconds())
	if n := len(res.batch.Records); n > 0 {
		m.flushRecords.Observe(float64(n))
	}
	now := time.Now()
	for i, rec := range res.batch.Records {
		// Joiners whose snapshot stops before this commit are welcomed
		// first, so they get exactly the commits after their snapshot.
		r.welcomeUpTo(rec.Seq - 1)
		r.durable = rec.Seq
		// Encoded once for everyone, and once more only if the author
		// (the one recipient who gets the commit ID) is connected.
		public := committedFrame(rec, res.meta[i].peer, false)
		var own []byte
		r.eachLoudFirst(func(c *conn) {
			if rec.Seq <= c.syncSeq {
				return
			}
			frame := public
			if c.hello.Client == rec.Client {
				if own == nil {
					own = committedFrame(rec, res.meta[i].peer, true)
				}
				frame = own
			}
			c.enqueue(outMsg{typ: websocket.MessageText, data: frame})
		})
		m.commitLat.Observe(now.Sub(res.meta[i].at).Seconds())
	}
	r.welcomeUpTo(r.durable)
	kept := r.gated[:0]
	for _, g := range r.gated {
		if g.batch <= res.id {
			g.c.enqueue(outMsg{typ: websocket.MessageText, data: g.data})
		} else {
			kept = append(kept, g)
		}
	}
	r.gated = kept
	r.flush()
	return true
}

// sendGated sends data to c once everything already accepted is durable.
func (r *room) sendGated(c *conn, v any) {
	b, err := wire.Encode(v)
	if err != nil {
		return
	}
	if id := r.gateBatch(); id != 0 {
		r.gated = append(r.gated, gatedFrame{batch: id, c: c, data: b})
		return
	}
	c.enqueue(outMsg{typ: websocket.MessageText, data: b})
}

func (r *room) defaultRole() wire.Role {
	if r.meta.Open {
		return wire.RoleEditor
	}
	return wire.RoleViewer
}

func (r *room) join(c *conn) {
	h := c.hello
	if len(r.conns)+len(r.joining) >= r.srv.opts.MaxPeers {
		c.kick(wire.CloseRoomFull, wire.CodeRoomFull, fmt.Sprintf("room is full (%d connections)", r.srv.opts.MaxPeers))
		return
	}
	role := r.defaultRole()
	var minted string
	switch {
	case r.created && len(r.tokens) == 0 && r.pend.Meta == nil:
		// This hello creates the room, if it may (Options.Create).
		owner, reason := r.mayCreate(h)
		if reason != "" {
			c.kick(wire.CloseToken, wire.CodeToken, reason)
			return
		}
		m := r.meta // a copy: the batch must not keep the room reachable
		r.pend.Meta = &m
		if owner {
			// The first joiner of a new room owns it, and gets the token
			// that proves it next time.
			var t *store.Token
			minted, t = r.newToken(wire.RoleOwner)
			role, c.tokenID = wire.RoleOwner, t.ID
		}
	case h.Token != "":
		t := r.tokens[string(hashToken(h.Token))]
		if t == nil || t.Revoked {
			c.kick(wire.CloseToken, wire.CodeToken, "unknown or revoked token")
			return
		}
		role, c.tokenID = wire.Role(t.Role), t.ID
	}
	c.peer = wire.Peer{ID: r.allocPeer(), Author: wire.AuthorOf(h.Client), Name: h.Name, Color: h.Color, Role: role, Bot: h.Bot}
	c.syncSeq = r.seq
	r.stopIdle()
	plan := &syncPlan{seq: r.seq}
	if h.Epoch == r.meta.Epoch && h.Seq <= r.seq && r.seq-h.Seq <= wire.MaxCatchup {
		plan.catchup, plan.from = true, h.Seq
	} else {
		if r.runs == nil || r.runsSeq != r.seq {
			r.runs, r.runsSeq = r.canvas.Runs(), r.seq
		}
		plan.runs = r.runs
		if plan.runs == nil {
			plan.runs = []model.Op{} // "runs":[] rather than null for an empty room
		}
	}
	r.joining = append(r.joining, c)
	c.pending = &pendingWelcome{plan: plan, token: minted}
	if r.gateBatch() == 0 {
		r.welcomeUpTo(r.seq)
	} else {
		r.flush()
	}
}

type pendingWelcome struct {
	plan  *syncPlan
	token string
}

// welcomeUpTo welcomes the joiners whose state is at or before seq, in
// join order, now that it is durable.
func (r *room) welcomeUpTo(seq uint64) {
	if r.created {
		return // the room itself is not on disk yet
	}
	n := 0
	for _, c := range r.joining {
		if c.syncSeq > seq {
			break
		}
		n++
		r.welcome(c)
	}
	// Shift rather than reslice, so welcomed connections do not stay
	// reachable from the slice's backing array.
	k := copy(r.joining, r.joining[n:])
	clear(r.joining[k:])
	r.joining = r.joining[:k]
}

func (r *room) welcome(c *conn) {
	pw := c.pending
	c.pending = nil
	roster := make([]wire.Peer, 0, len(r.conns)+1)
	for _, o := range r.conns {
		roster = append(roster, o.peer)
	}
	roster = append(roster, c.peer)
	sync := wire.SyncSnapshot
	if pw.plan.catchup {
		sync = wire.SyncCatchup
	}
	o := r.srv.opts
	pw.plan.welcome, _ = wire.Encode(wire.Welcome{
		T: wire.TWelcome, V: wire.Version, Room: r.name, You: c.peer.ID, Role: c.peer.Role,
		Open: r.meta.Open, Token: pw.token, Epoch: r.meta.Epoch, Seq: pw.plan.seq, Sync: sync, Roster: roster,
		Limits: wire.Limits{
			MaxFrameBytes: wire.MaxFrameBytes, MaxCommitCells: o.Limits.MaxCells, MaxCommitOps: o.Limits.MaxOps, MaxCoord: o.Limits.MaxCoord,
			CommitsPerSec: float64(o.CommitRate), FramesPerSec: float64(o.FrameRate),
			PresencePerSec: wire.PresenceHz, MaxPresenceSize: wire.MaxPresenceBytes,
		},
		ICE: o.ICEServers, MeshMax: o.MeshMax,
	})
	if !c.enqueue(outMsg{sync: pw.plan}) {
		return
	}
	r.broadcast(wire.RosterJoin{T: wire.TJoin, Peer: c.peer}, 0)
	r.conns[c.peer.ID] = c
	c.welcomed = true
	c.quiet = c.hello.Quiet
	early := c.early
	c.early = nil
	for _, fn := range early {
		fn()
	}
	r.greetPresence(c)
	if p := c.earlyPresence; p != nil {
		c.earlyPresence = nil
		r.presence(c, p)
	}
}

// maxEarly bounds the frames a connection may send before its welcome.
const maxEarly = 256

// afterWelcome runs fn now if c has been welcomed, else right after its
// welcome, so that no answer overtakes the welcome on the wire.
func (r *room) afterWelcome(c *conn, fn func()) {
	if c.welcomed {
		fn()
		return
	}
	if len(c.early) >= maxEarly {
		c.kick(wire.CloseRateLimited, wire.CodeRateLimited, fmt.Sprintf("more than %d frames before the welcome", maxEarly))
		return
	}
	c.early = append(c.early, fn)
}

func (r *room) allocPeer() uint16 {
	for {
		r.nextPeer++
		if r.nextPeer == 0 {
			continue // 0 means "no peer" on the wire
		}
		if _, used := r.conns[r.nextPeer]; used {
			continue
		}
		inJoin := false
		for _, c := range r.joining {
			inJoin = inJoin || c.peer.ID == r.nextPeer
		}
		if !inJoin {
			return r.nextPeer
		}
	}
}

func (r *room) leave(c *conn) {
	if c.welcomed {
		if r.conns[c.peer.ID] == c {
			delete(r.conns, c.peer.ID)
			r.relay.drop(c.peer.ID)
			delete(r.lastPresence, c.peer.ID)
			r.broadcast(wire.RosterLeave{T: wire.TLeave, ID: c.peer.ID}, 0)
		}
	} else {
		for i, j := range r.joining {
			if j == c {
				r.joining = append(r.joining[:i], r.joining[i+1:]...)
				break
			}
		}
	}
	if len(r.conns) == 0 && len(r.joining) == 0 {
		r.runs = nil // the snapshot cache serves joiners; an empty room has none
		r.idle.Reset(r.srv.opts.IdleTimeout)
	}
}

func (r *room) stopIdle() {
	if !r.idle.Stop() {
		select {
		case <-r.idle.C:
		default:
		}
	}
}

// eachLoudFirst calls fn for every welcomed connection, the quiet ones
// last. A quiet connection shows no one live (an SSH viewer watching a
// shared screen, whose group program is loud), so with hundreds of them
// in the room a commit reaches the screens that show it before the
// sessions that only keep up.
func (r *room) eachLoudFirst(fn func(*conn)) {
	for _, quiet := range [2]bool{false, true} {
		for _, c := range r.conns {
			if c.quiet == quiet {
				fn(c)
			}
		}
	}
}

// broadcast sends v to every welcomed connection but skip.
func (r *room) broadcast(v any, skip uint16) {
	b, err := wire.Encode(v)
	if err != nil {
		return
	}
	for id, c := range r.conns {
		if id != skip {
			c.enqueue(outMsg{typ: websocket.MessageText, data: b})
		}
	}
}

func (r *room) reject(c *conn, id, code, reason string) {
	r.srv.metrics.commits.WithLabelValues("rejected").Inc()
	c.sendFrame(wire.Reject{T: wire.TReject, ID: id, Code: code, Reason: reason})
}

// admit runs the checks every commit, undo and redo shares. It returns
// false once it has answered.
func (r *room) admit(c *conn, id string) bool {
	if err := wire.CheckCommitID(c.hello.Client, id); err != nil {
		r.reject(c, id, wire.CodeInvalid, err.Error())
		return false
	}
	// A resend of what already landed is answered first: it changes
	// nothing, whatever our role has become since.
	if seq, ok := r.seqOf(id); ok {
		r.srv.metrics.commits.WithLabelValues("duplicate").Inc()
		r.sendGated(c, wire.Ack{T: wire.TAck, ID: id, Seq: seq})
		return false
	}
	if !c.peer.Role.CanWrite() {
		r.reject(c, id, wire.CodeForbidden, fmt.Sprintf("role %s cannot draw in this room", c.peer.Role))
		return false
	}
	if !c.commits.Allow() {
		r.reject(c, id, wire.CodeRateLimited, fmt.Sprintf("more than %g commits per second; retry", float64(r.srv.opts.CommitRate)))
		return false
	}
	if reason, ok := r.allowStore(c); !ok {
		r.reject(c, id, wire.CodeRateLimited, reason)
		return false
	}
	return true
}

// seqOf finds an already committed ID: in memory, or in the store when the
// room has more history than it keeps IDs for.
func (r *room) seqOf(id string) (uint64, bool) {
	if seq, ok := r.ids[id]; ok {
		return seq, true
	}
	if r.idsAll {
		return 0, false
	}
	seq, err := r.srv.opts.Store.SeqOf(r.srv.ctx, r.name, id)
	return seq, err == nil
}

func (r *room) commit(c *conn, m *wire.Commit, at time.Time) {
	if !r.admit(c, m.ID) {
		return
	}
	if err := model.ValidateOps(m.Ops, r.srv.opts.Limits); err != nil {
		code := wire.CodeInvalid
		if errors.Is(err, model.ErrTooLarge) {
			code = wire.CodeTooLarge
		}
		r.reject(c, m.ID, code, err.Error())
		return
	}
	effect := r.canvas.Apply(m.Ops)
	if r.canvas.Len() > r.srv.opts.MaxRoomCells {
		r.canvas.Apply(effect.Inverse())
		r.reject(c, m.ID, wire.CodeRoomFull, fmt.Sprintf("the room holds its limit of %d drawn cells; erase something first", r.srv.opts.MaxRoomCells))
		return
	}
	r.record(c, m.ID, wire.KindDraw, 0, m.Ops, effect, at)
}

func (r *room) undo(c *conn, m *wire.Undo, at time.Time) {
	if !r.admit(c, m.ID) {
		return
	}
	kind := wire.KindUndo
	if m.T == wire.TRedo {
		kind = wire.KindRedo
	}
	target, err := r.lookup(m.Target)
	if err != nil {
		r.reject(c, m.ID, wire.CodeNotFound, fmt.Sprintf("%s: commit %d: %v", kind, m.Target, err))
		return
	}
	if target.Client != c.hello.Client && c.peer.Role != wire.RoleOwner {
		r.reject(c, m.ID, wire.CodeForbidden, fmt.Sprintf("%s: commit %d is not yours", kind, m.Target))
		return
	}
	if (kind == wire.KindUndo) == (target.Kind == wire.KindUndo) {
		r.reject(c, m.ID, wire.CodeInvalid, fmt.Sprintf("%s: commit %d is a %s; undo takes a draw or redo, redo takes an undo", kind, m.Target, target.Kind))
		return
	}
	ops, err := r.toggle(m.Target, target)
	if err != nil {
		r.reject(c, m.ID, wire.CodeInternal, fmt.Sprintf("%s: commit %d: %v", kind, m.Target, err))
		return
	}
	if ops == nil {
		ops = []model.Op{}
	}
	r.record(c, m.ID, kind, m.Target, ops, r.canvas.Apply(ops), at)
}

// lookup returns a commit with its effect, from memory or the store.
func (r *room) lookup(seq uint64) (*store.Record, error) {
	if seq == 0 || seq > r.seq {
		return nil, store.ErrNotFound
	}
	if rec, ok := r.recent[seq]; ok {
		return rec, nil
	}
	rec, err := r.srv.opts.Store.Record(r.srv.ctx, r.name, seq)
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// record assigns the next seq to an applied commit and queues it for the
// next flush; it is broadcast once durable.
func (r *room) record(c *conn, id, kind string, target uint64, ops []model.Op, effect model.Effect, at time.Time) {
	opsJSON, err := json.Marshal(ops)
	if err != nil {
		r.canvas.Apply(effect.Inverse())
		r.reject(c, id, wire.CodeInvalid, err.Error())
		return
	}
	r.seq++
	rec := store.Record{
		Seq: r.seq, ID: id, Client: c.hello.Client, Name: c.peer.Name, Kind: kind, Target: target,
		Ops: opsJSON, Effect: model.AppendEffect(nil, effect), At: at.UnixMilli(),
	}
	r.chargeStore(c, &rec)
	r.pend.Records = append(r.pend.Records, rec)
	r.pendMeta = append(r.pendMeta, pendInfo{peer: c.peer.ID, at: at})
	r.rememberID(id, r.seq)
	r.remember(&rec)
	r.logs.add(r.seq, kind, target, ops, effect)
	if r.seq-r.snapSeq >= uint64(r.srv.opts.SnapshotEvery) {
		r.snapshotInto(&r.pend)
	}
	r.srv.metrics.commits.WithLabelValues("accepted").Inc()
	r.flush()
}

// remember keeps a commit's effect in memory for a likely undo, within
// recentEffects commits and recentBytes bytes. Only what undo needs is
// kept, not the ops, and every byte kept is counted.
func (r *room) remember(rec *store.Record) {
	kept := &store.Record{Seq: rec.Seq, ID: rec.ID, Client: rec.Client, Kind: rec.Kind, Target: rec.Target, Effect: rec.Effect}
	r.recent[rec.Seq] = kept
	r.recentQ = append(r.recentQ, rec.Seq)
	r.recentN += cachedBytes(kept)
	// Only durable commits are evicted: the store can give those back.
	for len(r.recentQ) > 1 && r.recentQ[0] <= r.durable && (len(r.recentQ) > recentEffects || r.recentN > recentBytes) {
		old := r.recentQ[0]
		r.recentQ = r.recentQ[1:]
		r.recentN -= cachedBytes(r.recent[old])
		delete(r.recent, old)
	}
}

// rememberID keeps the last recentIDs commit IDs. The ring grows as needed
// so a small room does not pay for a big one's memory.
func (r *room) rememberID(id string, seq uint64) {
	r.ids[id] = seq
	if len(r.idRing) < recentIDs {
		r.idRing = append(r.idRing, id)
		return
	}
	delete(r.ids, r.idRing[r.idNext])
	r.idsAll = false
	r.idRing[r.idNext] = id
	r.idNext = (r.idNext + 1) % recentIDs
}

func (r *room) signal(c *conn, m *wire.Signal) {
	to, ok := r.conns[m.To]
	if !ok {
		c.sendError(wire.CodeUnknownPeer, fmt.Sprintf("signal: no peer %d in this room", m.To))
		return
	}
	if !r.allowSignal(c, to, len(m.Data)) {
		return
	}
	to.sendFrame(wire.Signal{T: wire.TSignal, From: c.peer.ID, Data: m.Data})
}

func (r *room) newToken(role wire.Role) (string, *store.Token) {
	secret, hash := tokenSecret()
	t := &store.Token{ID: randomID(6), Hash: hash, Role: string(role), Created: time.Now().UnixMilli()}
	r.tokens[string(hash)] = t
	r.pend.Tokens = append(r.pend.Tokens, *t)
	return secret, t
}

func (r *room) mint(c *conn, m *wire.Mint) {
	if c.peer.Role != wire.RoleOwner {
		r.reject(c, m.Req, wire.CodeForbidden, "mint: only the room's owner mints tokens")
		return
	}
	secret, t := r.newToken(m.Role)
	r.sendGated(c, wire.Token{T: wire.TToken, Req: m.Req, ID: t.ID, Role: m.Role, Token: secret})
	r.flush()
}

func (r *room) revoke(c *conn, m *wire.Revoke) {
	if c.peer.Role != wire.RoleOwner {
		r.reject(c, m.Req, wire.CodeForbidden, "revoke: only the room's owner revokes tokens")
		return
	}
	var t *store.Token
	for _, v := range r.tokens {
		if v.ID == m.ID {
			t = v
		}
	}
	if t == nil {
		r.reject(c, m.Req, wire.CodeNotFound, fmt.Sprintf("revoke: no token %s", m.ID))
		return
	}
	t.Revoked = true
	r.pend.Tokens = append(r.pend.Tokens, *t)
	// Live connections lose the role now, before the revocation is even
	// durable: erring towards less access is safe.
	for _, o := range r.conns {
		if o.tokenID == t.ID {
			o.tokenID = ""
			o.peer.Role = r.defaultRole()
			r.broadcast(wire.RosterJoin{T: wire.TUpdate, Peer: o.peer}, 0)
		}
	}
	for _, o := range r.joining {
		if o.tokenID == t.ID {
			o.tokenID, o.peer.Role = "", r.defaultRole()
		}
	}
	r.sendGated(c, wire.Revoked{T: wire.TRevoked, Req: m.Req, ID: t.ID})
	r.flush()
}
