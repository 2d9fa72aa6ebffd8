package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/wire"
)

// fatalError ends the session instead of reconnecting: retrying the same
// hello would be refused the same way.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }
func (f fatalError) Unwrap() error { return f.err }

// closeIsFatal tells which close codes mean "do not come back".
func closeIsFatal(code websocket.StatusCode) bool {
	switch code {
	case wire.CloseHello, wire.CloseVersion, wire.CloseToken, wire.CloseNoRoom, websocket.StatusPolicyViolation, websocket.StatusMessageTooBig:
		return true
	}
	return false
}

// connErr turns a connection error into a message that names the close
// code and reason when there is one.
func connErr(err error, lastErr *wire.Error) error {
	code := websocket.CloseStatus(err)
	if code == -1 {
		return err
	}
	msg := fmt.Sprintf("closed by the authority (%d)", code)
	if lastErr != nil {
		msg += ": " + lastErr.Reason
	} else {
		var ce websocket.CloseError
		if errors.As(err, &ce) && ce.Reason != "" {
			msg += ": " + ce.Reason
		}
	}
	if code == wire.CloseNoRoom {
		return fatalError{fmt.Errorf("%w: %s", ErrNoRoom, msg)}
	}
	if closeIsFatal(code) {
		return fatalError{errors.New(msg)}
	}
	return errors.New(msg)
}

// connect dials, says hello, and syncs. On return the session is Online
// and the connection is ready for serve.
func (s *Session) connect(ctx context.Context) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
	ws, _, err := websocket.Dial(dctx, s.link.WebSocketURL(), &websocket.DialOptions{HTTPClient: s.opts.HTTPClient})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.link.WebSocketURL(), err)
	}
	ws.SetReadLimit(wire.MaxServerFrameBytes)
	if err := s.hello(ctx, ws); err != nil {
		ws.CloseNow()
		return nil, err
	}
	return ws, nil
}

func (s *Session) hello(ctx context.Context, ws *websocket.Conn) error {
	s.mu.Lock()
	h := wire.Hello{T: wire.THello, V: wire.Version, Client: s.opts.ClientID, Name: s.opts.Name,
		Color: s.opts.Color, Bot: s.opts.Bot, Token: s.link.Token, Epoch: s.epoch, Seq: s.seq, Existing: s.opts.Existing,
		Quiet: s.quiet}
	s.quietSent = s.quiet
	if s.token != "" {
		h.Token = s.token // the owner token we were given beats a tokenless link
	}
	s.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
	err := writeJSON(wctx, ws, h)
	cancel()
	if err != nil {
		return err
	}
	var welcome wire.Welcome
	var fresh *model.Canvas // snapshot being received
	var lastErr *wire.Error
	for {
		// A timed-out read closes the connection, which is what we want
		// here: a server that goes silent mid-sync is as good as gone.
		rctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
		typ, b, err := ws.Read(rctx)
		// Read before cancel: afterwards rctx.Err() is never nil, and
		// every refusal would look like silence.
		timedOut := errors.Is(rctx.Err(), context.DeadlineExceeded)
		cancel()
		if err != nil {
			if ctx.Err() == nil && timedOut {
				return fmt.Errorf("no answer from the authority within %s", s.opts.ConnectTimeout)
			}
			return connErr(err, lastErr)
		}
		if typ != websocket.MessageText {
			continue
		}
		var hd wire.Header
		if err := json.Unmarshal(b, &hd); err != nil {
			return fmt.Errorf("authority sent a malformed frame: %w", err)
		}
		switch hd.T {
		case wire.TError:
			var e wire.Error
			json.Unmarshal(b, &e)
			lastErr = &e
		case wire.TWelcome:
			if err := json.Unmarshal(b, &welcome); err != nil {
				return err
			}
			if welcome.Sync == wire.SyncSnapshot {
				fresh = model.NewCanvas()
			}
		case wire.TSnap:
			var m wire.Snap
			if err := json.Unmarshal(b, &m); err != nil || fresh == nil {
				return fmt.Errorf("authority sent a bad snap frame: %v", err)
			}
			fresh.Apply(m.Runs)
		case wire.TCommitted:
			var m wire.Committed
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			if err := s.applyCommitted(m); err != nil {
				return err
			}
		case wire.TReady:
			s.ready(welcome, fresh)
			return nil
		}
	}
}

// ready installs the welcome's state and queues every pending commit to be
// sent again with its original ID.
func (s *Session) ready(w wire.Welcome, fresh *model.Canvas) {
	s.mu.Lock()
	if fresh != nil {
		for _, p := range s.pend {
			p.eff = fresh.Apply(p.ops)
		}
		s.view = fresh
	}
	s.seq, s.epoch, s.room, s.you, s.role = w.Seq, w.Epoch, w.Room, w.You, w.Role
	if w.Token != "" {
		s.token = w.Token
	}
	for _, p := range s.pend {
		p.sent = false
	}
	clear(s.roster)
	s.byID = s.byID[:0]
	for _, p := range w.Roster {
		s.setPeerLocked(&Peer{Peer: p, Route: "relay", You: p.ID == w.You})
	}
	s.state = Link{State: Online}
	roster := s.rosterLocked()
	s.mu.Unlock()
	s.emit(Synced{Room: w.Room, You: w.You, Seq: w.Seq, Epoch: w.Epoch, Role: w.Role, Snapshot: fresh != nil, Token: w.Token},
		Roster{Peers: roster}, LinkChanged{Link: Link{State: Online}})
	s.startMesh(w)
	s.poke()
}

// run serves connections one after another until the session ends.
func (s *Session) run(ws *websocket.Conn) {
	defer close(s.done)
	attempt := 0
	for {
		err := s.serve(ws)
		if s.ctx.Err() != nil {
			s.end(nil)
			return
		}
		var fatal fatalError
		if errors.As(err, &fatal) {
			s.end(err)
			return
		}
		s.opts.Logger.Debug("link lost", "err", err)
		for {
			attempt++
			wait := backoff(attempt, s.opts.MinBackoff, s.opts.MaxBackoff)
			s.setLink(Link{State: Offline, Attempt: attempt, RetryAt: time.Now().Add(wait), Err: err.Error()})
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				s.end(nil)
				return
			}
			s.setLink(Link{State: Connecting, Attempt: attempt})
			ws, err = s.connect(s.ctx)
			if err == nil {
				attempt = 0
				break
			}
			if errors.As(err, &fatal) || s.ctx.Err() != nil {
				s.end(err)
				return
			}
		}
	}
}

// backoff is exponential with full jitter, so that many clients losing one
// server do not all come back in the same millisecond.
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := lo << min(attempt-1, 20)
	if d > hi || d <= 0 {
		d = hi
	}
	return lo/2 + rand.N(d)
}

func (s *Session) end(err error) {
	s.mu.Lock()
	if err != nil && s.ctx.Err() == nil {
		s.err = err
	}
	s.state = Link{State: Closed}
	s.signalChangedLocked()
	s.mu.Unlock()
	if err != nil && s.ctx.Err() == nil {
		s.emit(Error{Code: "closed", Reason: err.Error(), Fatal: true})
	}
	// The consumer may have stopped reading; the final state change must
	// not block the end of the session.
	select {
	case s.events <- LinkChanged{Link: Link{State: Closed}}:
	default:
	}
	s.cancel()
}

// serve runs one connection: a reader, a writer and a pinger. The first of
// them to fail ends all three.
func (s *Session) serve(ws *websocket.Conn) error {
	defer ws.CloseNow()
	g, ctx := errgroup.WithContext(s.ctx)
	g.Go(func() error { return s.readLoop(ctx, ws) })
	g.Go(func() error { return s.writeLoop(ctx, ws) })
	g.Go(func() error { return s.pingLoop(ctx, ws) })
	err := g.Wait()
	// Peer IDs are per connection: the next one gets a new mesh.
	s.stopMesh()
	if s.ctx.Err() != nil {
		ws.Close(websocket.StatusNormalClosure, "bye")
	}
	return err
}

func (s *Session) pingLoop(ctx context.Context, ws *websocket.Conn) error {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, s.opts.PingTimeout)
		err := ws.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("no pong within %s: the link is dead: %w", s.opts.PingTimeout, err)
		}
	}
}

func (s *Session) readLoop(ctx context.Context, ws *websocket.Conn) error {
	var lastErr *wire.Error
	for {
		typ, b, err := ws.Read(ctx)
		if err != nil {
			return connErr(err, lastErr)
		}
		if typ == websocket.MessageBinary {
			s.relayed(b)
			continue
		}
		e, err := s.handle(b)
		if err != nil {
			return err
		}
		if e != nil {
			lastErr = e
		}
	}
}

// handle applies one control frame. It returns the frame when it is an
// error frame, so that a following close can name the reason.
func (s *Session) handle(b []byte) (*wire.Error, error) {
	var hd wire.Header
	if err := json.Unmarshal(b, &hd); err != nil {
		return nil, fmt.Errorf("authority sent a malformed frame: %w", err)
	}
	switch hd.T {
	case wire.TCommitted:
		var m wire.Committed
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		return nil, s.applyCommitted(m)
	case wire.TAck:
		var m wire.Ack
		if err := json.Unmarshal(b, &m); err == nil {
			s.acked(m)
		}
	case wire.TReject:
		var m wire.Reject
		if err := json.Unmarshal(b, &m); err == nil {
			s.rejected(m)
		}
	case wire.TJoin, wire.TUpdate:
		var m wire.RosterJoin
		if err := json.Unmarshal(b, &m); err == nil {
			s.rosterChange(m.Peer, false)
		}
	case wire.TLeave:
		var m wire.RosterLeave
		if err := json.Unmarshal(b, &m); err == nil {
			s.rosterChange(wire.Peer{ID: m.ID}, true)
		}
	case wire.TSignal:
		var m wire.Signal
		if err := json.Unmarshal(b, &m); err == nil && m.From != 0 {
			if lane := s.currentMesh(); lane != nil {
				lane.HandleSignal(m.From, m.Data)
			}
		}
	case wire.TRevoked:
		// Our own role change arrives as a roster update; this only
		// confirms a Revoke we asked for.
		var m wire.Revoked
		if err := json.Unmarshal(b, &m); err == nil {
			s.emit(TokenRevoked{Req: m.Req, ID: m.ID})
		}
	case wire.TTokens:
		var m wire.TokenList
		if err := json.Unmarshal(b, &m); err == nil {
			s.emit(Tokens{Req: m.Req, Tokens: m.Tokens})
		}
	case wire.TToken:
		var m wire.Token
		if err := json.Unmarshal(b, &m); err == nil {
			s.emit(Token{Req: m.Req, ID: m.ID, Token: m.Token, Role: m.Role})
		}
	case wire.TError:
		var m wire.Error
		if err := json.Unmarshal(b, &m); err == nil {
			// unknown_peer answers mesh signaling that raced a peer's
			// departure: expected, and nothing a user can act on.
			if !m.Fatal && m.Code != wire.CodeUnknownPeer {
				s.emit(Error{Code: m.Code, Reason: m.Reason})
			}
			return &m, nil
		}
	}
	return nil, nil
}

func (s *Session) writeLoop(ctx context.Context, ws *websocket.Conn) error {
	// Presence has no ticker: the timer runs only while a packet waits for
	// its interval to end or a keep-alive is due.
	timer := time.NewTimer(keepAlive)
	defer timer.Stop()
	for {
		if err := s.flushPending(ctx, ws); err != nil {
			return err
		}
		pkt, next := s.presenceDue(time.Now())
		if pkt != nil && s.needsRelay(pkt) {
			if err := ws.Write(ctx, websocket.MessageBinary, pkt); err != nil {
				return err
			}
		}
		var due <-chan time.Time
		if !next.IsZero() {
			timer.Reset(time.Until(next))
			due = timer.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.wake:
		case <-due:
		}
	}
}

// flushPending sends, in order, every pending commit not yet sent on this
// connection, then any queued control request.
func (s *Session) flushPending(ctx context.Context, ws *websocket.Conn) error {
	for {
		s.mu.Lock()
		if s.state.State != Online {
			s.mu.Unlock()
			return nil
		}
		var frame any
		var next *pending
		for _, p := range s.pend {
			if !p.sent {
				next = p
				break
			}
		}
		switch {
		case s.quiet != s.quietSent:
			// Before any commit, so that a commit's answer also says the
			// setting made before it took effect. Only the latest setting
			// goes, and only to this connection: the next one's hello
			// carries it.
			on := s.quiet
			frame, s.quietSent, next = wire.Quiet{T: wire.TQuiet, On: &on}, on, nil
		case next == nil:
		case next.kind == wire.KindDraw:
			frame = wire.Commit{T: wire.TCommit, ID: next.id, Ops: next.ops}
		default:
			// An undo waits for its target's seq, and so does everything
			// after it, so the authority sees our commits in our order.
			if seq, ok := s.ownSeq[next.targetID]; ok {
				t := wire.TUndo
				if next.kind == wire.KindRedo {
					t = wire.TRedo
				}
				frame = wire.Undo{T: t, ID: next.id, Target: seq}
			}
		}
		if frame == nil {
			s.mu.Unlock()
			break
		}
		if next != nil {
			next.sent = true
		}
		s.mu.Unlock()
		if err := writeJSON(ctx, ws, frame); err != nil {
			return err
		}
	}
	for {
		select {
		case b := <-s.control:
			if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// sendControl queues a request that is not a commit (mint, revoke,
// signal). Such requests are not kept across reconnections: their answers
// matter only to a caller that is there now.
func (s *Session) sendControl(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if l := s.Link(); l.State != Online {
		return fmt.Errorf("cannot send while %s", l.State)
	}
	select {
	case s.control <- b:
		s.poke()
		return nil
	default:
		return errors.New("too many requests waiting to be sent")
	}
}

func writeJSON(ctx context.Context, ws *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return ws.Write(ctx, websocket.MessageText, b)
}
