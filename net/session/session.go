package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/mesh"
	"github.com/tcanvas/tcanvas/net/outbox"
	"github.com/tcanvas/tcanvas/net/wire"
)

// Errors of the session API.
var (
	// ErrClosed means the session has ended.
	ErrClosed = errors.New("session closed")
	// ErrReadOnly means our role in the room cannot draw.
	ErrReadOnly = errors.New("read-only: your role cannot draw in this room")
	// ErrNothingToUndo means the undo (or redo) history is empty.
	ErrNothingToUndo = errors.New("nothing to undo")
	// ErrNothingToRedo means there is no undone commit to redo.
	ErrNothingToRedo = errors.New("nothing to redo")
	// ErrNoRoom means Options.Existing was set and the room does not exist.
	ErrNoRoom = errors.New("no such room")
)

// Options configures a session. Zero values mean the documented defaults.
type Options struct {
	Name  string      // display name; default "anon"
	Color model.Color // cursor colour
	Bot   bool        // shown as a bot in the roster
	Token string      // overrides the link's ?token=
	// ClientID identifies this participant across reconnections; default
	// random. Commit IDs are ClientID-N.
	ClientID string
	// MinBackoff and MaxBackoff bound the jittered exponential wait between
	// reconnection attempts. Default 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// ConnectTimeout bounds each silence while connecting: the dial, and
	// each wait for a frame until the sync is done (a silence, not the
	// total, so a big snapshot can take as long as it streams). Default 10s.
	ConnectTimeout time.Duration
	// PingInterval and PingTimeout detect a dead link: one ping every
	// interval, the link is dropped when a pong takes longer than the
	// timeout. Default 5s and 5s, so a dead link is noticed within 10s.
	PingInterval, PingTimeout time.Duration
	// EventBuffer is the capacity of the Events channel. Default 1024.
	// Presence events are dropped when it is full; others wait.
	EventBuffer int
	// HTTPClient dials the WebSocket. Default http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives debug logs. Default: discard.
	Logger *slog.Logger
	// ICEAllow lists the local address ranges the presence mesh may use.
	// Default: $TCANVAS_ICE_ALLOW (comma-separated CIDRs), else all.
	ICEAllow []netip.Prefix
	// NoMesh sends all presence through the authority's relay.
	NoMesh bool
	// Existing joins only a room that exists: Dial of a missing one fails
	// with ErrNoRoom instead of creating it (and owning it).
	Existing bool
	// Quiet starts the session with the authority's presence relay to it
	// off (see SetQuiet).
	Quiet bool
	// Outbox, when set, journals every commit on disk before it is shown
	// as pending, and the session starts with what the journal still holds
	// (resent with the same IDs, under the journal's client ID, which
	// replaces ClientID). Nil keeps the outbox in memory only, as bots and
	// the SSH door do. The caller closes it after the session.
	Outbox *outbox.Journal
}

func (o Options) withDefaults() Options {
	if o.Name == "" {
		o.Name = "anon"
	}
	if o.Outbox != nil {
		o.ClientID = o.Outbox.ClientID()
	}
	if o.ClientID == "" {
		b := make([]byte, 8)
		rand.Read(b)
		o.ClientID = hex.EncodeToString(b)
	}
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.MinBackoff, 100*time.Millisecond)
	set(&o.MaxBackoff, 5*time.Second)
	set(&o.ConnectTimeout, 10*time.Second)
	set(&o.PingInterval, 5*time.Second)
	set(&o.PingTimeout, 5*time.Second)
	if o.EventBuffer <= 0 {
		o.EventBuffer = 1024
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Session is one participant in one room. It is safe for concurrent use.
// Its goroutines end when Close is called or the Dial context ends.
type Session struct {
	link    wire.Link
	opts    Options
	events  chan Event
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	wake    chan struct{} // something new to send
	control chan []byte   // control frames waiting for the writer

	mu      sync.Mutex
	view    *model.Canvas // confirmed state with pend applied on top
	pend    []*pending
	changed chan struct{} // closed and replaced whenever pend shrinks
	seq     uint64
	epoch   string
	room    string
	you     uint16
	role    wire.Role
	token   string
	roster  map[uint16]*Peer
	// byID holds roster's entries in ID order, so that a change costs a
	// copy, not a sort: an SSH door serving an audience of hundreds has as
	// many sessions, each told of every join.
	byID    []*Peer
	state   Link
	counter uint64
	ownSeq  map[string]uint64 // our commit IDs to their seqs
	failed  map[string]bool   // our commit IDs the authority rejected
	undos   []string          // our commits that Undo would revert, newest last
	redos   []string          // our undo commits that Redo would revert
	pres    presenceState
	err     error // why the session closed
	// quiet: the relay should send us no presence (SetQuiet); quietSent,
	// what this connection's authority was last told.
	quiet, quietSent bool

	meshMu  sync.Mutex // guards only the two fields below; see currentMesh
	mesh    *mesh.Mesh
	meshMax int
}

type pending struct {
	id       string
	kind     string
	ops      []model.Op   // draw: applied optimistically
	targetID string       // undo/redo: our commit it reverts
	eff      model.Effect // what ops changed in view
	sent     bool
}

// Dial joins the room at link and returns once the session holds the
// room's state. If the first connection fails, Dial fails; after that the
// session reconnects by itself until ctx ends or Close is called.
func Dial(ctx context.Context, link string, opts Options) (*Session, error) {
	l, err := wire.ParseLink(link)
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	if opts.Token != "" {
		l.Token = opts.Token
	}
	if opts.ICEAllow == nil {
		if opts.ICEAllow, err = iceAllowFromEnv(); err != nil {
			return nil, err
		}
	}
	if err := wire.CheckName(opts.Name); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &Session{
		link: l, opts: opts, ctx: sctx, cancel: cancel,
		events:  make(chan Event, opts.EventBuffer),
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		control: make(chan []byte, 256),
		view:    model.NewCanvas(),
		changed: make(chan struct{}),
		roster:  map[uint16]*Peer{},
		ownSeq:  map[string]uint64{},
		failed:  map[string]bool{},
		state:   Link{State: Connecting},
		quiet:   opts.Quiet,
	}
	s.restore()
	c, err := s.connect(sctx)
	if err != nil {
		cancel()
		return nil, err
	}
	go s.run(c)
	return s, nil
}

// Close ends the session and waits for its goroutines.
func (s *Session) Close() error {
	s.cancel()
	<-s.done
	return nil
}

// Done is closed when the session has ended; Err then says why.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is the reason the session ended, or nil while it runs or after Close.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Events delivers what happens in the room. Drain it: when it is full,
// presence events are dropped and other events hold up the session.
func (s *Session) Events() <-chan Event { return s.events }

// emit delivers events in order, after the lock is released.
func (s *Session) emit(evs ...Event) {
	for _, ev := range evs {
		if _, ok := ev.(Presence); ok {
			select {
			case s.events <- ev:
			default: // presence is disposable; the next one supersedes it
			}
			continue
		}
		select {
		case s.events <- ev:
		case <-s.ctx.Done():
			return
		}
	}
}

func (s *Session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// SetQuiet turns the authority's presence relay to this session off (on)
// or back on, for as long as nothing shows others' cursors: an SSH viewer
// of a shared screen. Peers' presence then reaches it only over the mesh.
// The setting holds across reconnections; turned back on, the session
// receives every peer's latest packet.
func (s *Session) SetQuiet(on bool) {
	s.mu.Lock()
	if s.quiet && !on {
		// The greeting resends packets we may have seen before going
		// quiet; a new program showing cursors needs them all the same.
		clear(s.pres.seen)
	}
	s.quiet = on
	s.mu.Unlock()
	s.poke()
}

// ClientID returns the participant's client instance ID.
func (s *Session) ClientID() string { return s.opts.ClientID }

// Link returns the connection's state.
func (s *Session) Link() Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Room returns the room's name.
func (s *Session) Room() string { return s.link.Room }

// RoomLink returns the link others can join with (without our token).
func (s *Session) RoomLink() string {
	l := s.link
	l.Token = ""
	return l.String()
}

// Info is a consistent view of the session's scalar state.
type Info struct {
	Room    string
	You     uint16
	Role    wire.Role
	Seq     uint64
	Epoch   string
	Pending int
	Token   string
	Link    Link
}

// Info returns the session's state in one locked read.
func (s *Session) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Info{Room: s.link.Room, You: s.you, Role: s.role, Seq: s.seq, Epoch: s.epoch,
		Pending: len(s.pend), Token: s.token, Link: s.state}
}

// Roster returns the participants, ordered by peer ID, with each pair's
// presence route and round-trip time.
func (s *Session) Roster() []Peer {
	var routes map[uint16]mesh.Route
	if m := s.currentMesh(); m != nil {
		routes = m.Routes()
	}
	s.mu.Lock()
	out := s.rosterLocked()
	s.mu.Unlock()
	for i := range out {
		if r, ok := routes[out[i].ID]; ok {
			out[i].Route, out[i].RTT = r.Route, r.RTT
		}
	}
	return out
}

func (s *Session) rosterLocked() []Peer {
	out := make([]Peer, len(s.byID))
	for i, p := range s.byID {
		out[i] = *p
	}
	return out
}

// setPeerLocked puts p in the roster, replacing any entry with its ID.
func (s *Session) setPeerLocked(p *Peer) {
	s.roster[p.ID] = p
	i, found := slices.BinarySearchFunc(s.byID, p.ID, byPeerID)
	if found {
		s.byID[i] = p
		return
	}
	s.byID = slices.Insert(s.byID, i, p)
}

func (s *Session) removePeerLocked(id uint16) {
	delete(s.roster, id)
	if i, found := slices.BinarySearchFunc(s.byID, id, byPeerID); found {
		s.byID = slices.Delete(s.byID, i, i+1)
	}
}

func byPeerID(p *Peer, id uint16) int { return int(p.ID) - int(id) }

// Region reads the view (confirmed state plus our pending commits) into
// dst, row-major, like model.Canvas.Region.
func (s *Session) Region(r model.Rect, dst []model.Cell) []model.Cell {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.view.Region(r, dst)
}

// Canvas returns a copy of the view.
func (s *Session) Canvas() *model.Canvas {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.view.Clone()
}

// Confirmed returns a copy of the room's state as the authority ordered
// it, without our pending commits.
func (s *Session) Confirmed() *model.Canvas {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.view.Clone()
	for i := len(s.pend) - 1; i >= 0; i-- {
		c.Apply(s.pend[i].eff.Inverse())
	}
	return c
}

// Get returns one cell of the view.
func (s *Session) Get(x, y int32) model.Cell {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.view.Get(x, y)
}

// Commit applies ops to the view at once and sends them to the authority
// (now, or after reconnecting). It returns the commit's ID.
func (s *Session) Commit(ops []model.Op) (string, error) {
	if err := model.ValidateOps(ops, model.DefaultLimits); err != nil {
		return "", err
	}
	// A commit within the cell limit can still encode past the frame
	// limit (~40,000 coloured cells); the authority would close the
	// connection, so refuse it here, where the caller can split it.
	if b, err := json.Marshal(wire.Commit{T: wire.TCommit, ID: s.opts.ClientID + "-18446744073709551615", Ops: ops}); err != nil || len(b) > wire.MaxFrameBytes {
		return "", fmt.Errorf("%w: the commit encodes to more than %d bytes; split it", model.ErrTooLarge, wire.MaxFrameBytes)
	}
	s.mu.Lock()
	if err := s.writableLocked(); err != nil {
		s.mu.Unlock()
		return "", err
	}
	p := &pending{id: s.nextIDLocked(), kind: wire.KindDraw, ops: ops}
	if err := s.journalLocked(p, 0); err != nil {
		s.mu.Unlock()
		return "", err
	}
	p.eff = s.view.Apply(ops)
	s.pend = append(s.pend, p)
	s.undos = append(s.undos, p.id)
	s.redos = s.redos[:0]
	s.mu.Unlock()
	s.poke()
	return p.id, nil
}

func (s *Session) writableLocked() error {
	if s.state.State == Closed {
		return ErrClosed
	}
	if !s.role.CanWrite() {
		return ErrReadOnly
	}
	return nil
}

func (s *Session) nextIDLocked() string {
	s.counter++
	return s.opts.ClientID + "-" + strconv.FormatUint(s.counter, 10)
}

// Undo reverts our most recent commit not yet undone. The authority
// restores only cells that still hold what that commit wrote.
func (s *Session) Undo() (string, error) {
	return s.revert(wire.KindUndo, &s.undos, &s.redos, ErrNothingToUndo)
}

// Redo reverts our most recent undo.
func (s *Session) Redo() (string, error) {
	return s.revert(wire.KindRedo, &s.redos, &s.undos, ErrNothingToRedo)
}

func (s *Session) revert(kind string, from, to *[]string, empty error) (string, error) {
	s.mu.Lock()
	if err := s.writableLocked(); err != nil {
		s.mu.Unlock()
		return "", err
	}
	for len(*from) > 0 && s.failed[(*from)[len(*from)-1]] {
		*from = (*from)[:len(*from)-1]
	}
	if len(*from) == 0 {
		s.mu.Unlock()
		return "", empty
	}
	target := (*from)[len(*from)-1]
	p := &pending{id: s.nextIDLocked(), kind: kind, targetID: target}
	if err := s.journalLocked(p, s.ownSeq[target]); err != nil {
		s.mu.Unlock()
		return "", err
	}
	*from = (*from)[:len(*from)-1]
	s.pend = append(s.pend, p)
	*to = append(*to, p.id)
	s.mu.Unlock()
	s.poke()
	return p.id, nil
}

// Sync waits until every commit made before the call is acknowledged (or
// rejected).
func (s *Session) Sync(ctx context.Context) error {
	s.mu.Lock()
	ids := make(map[string]bool, len(s.pend))
	for _, p := range s.pend {
		ids[p.id] = true
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		left := false
		for _, p := range s.pend {
			left = left || ids[p.id]
		}
		ch, closed := s.changed, s.state.State == Closed
		s.mu.Unlock()
		if !left {
			return nil
		}
		if closed {
			return ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
		}
	}
}

// Mint asks the authority for an invite token (owners only); the answer
// arrives as a Token event carrying req.
func (s *Session) Mint(role wire.Role, req string) error {
	return s.sendControl(wire.Mint{T: wire.TMint, Req: req, Role: role})
}

// Revoke withdraws a token by ID (owners only).
func (s *Session) Revoke(id, req string) error {
	return s.sendControl(wire.Revoke{T: wire.TRevoke, Req: req, ID: id})
}

// ListTokens asks the authority for the room's live tokens (owners only);
// the answer arrives as a Tokens event carrying req, a refusal as an Error.
func (s *Session) ListTokens(req string) error {
	return s.sendControl(wire.ListTokens{T: wire.TTokens, Req: req})
}

// signalsChanged wakes everyone waiting on pend.
func (s *Session) signalChangedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Session) setLink(l Link) {
	s.mu.Lock()
	s.state = l
	s.mu.Unlock()
	s.emit(LinkChanged{Link: l})
}

func (s *Session) String() string {
	return fmt.Sprintf("session %s in %s", s.opts.ClientID, s.link.Room)
}
