package authority

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
)

// outMsg is one item of a connection's send queue: a frame, the sync that
// follows a welcome (which the writer streams itself, so a big snapshot
// never sits in the room's goroutine or fills the queue), or the kick that
// closes the connection.
type outMsg struct {
	typ  websocket.MessageType
	data []byte
	sync *syncPlan
	kick bool
	ping bool // a liveness ping; see liveness.go
}

// syncPlan is what a new connection is sent before anything else: a
// welcome, then a snapshot or the commits it missed, then ready.
type syncPlan struct {
	welcome []byte
	seq     uint64
	runs    []model.Op // snapshot mode
	from    uint64     // catch-up mode: records (from, seq]
	catchup bool
}

// conn is one client connection. The handler goroutine reads; a writer
// goroutine drains send. Fields below "actor-owned" belong to the room's
// goroutine.
type conn struct {
	srv   *Server
	ws    *websocket.Conn
	room  *room
	hello *wire.Hello
	send  *sendQueue
	// writers counts the writer goroutine, started on demand by send.
	writers sync.WaitGroup

	// ctx ends with the connection (its reader's end, or a kick), so that
	// a writer waiting for the stream budget gives up.
	ctx    context.Context
	cancel context.CancelFunc

	seen    *atomic.Int64 // unix nanos of the last frame, ping or pong received
	pinging atomic.Bool   // a liveness ping is queued or in flight

	kickOnce   sync.Once
	kicked     chan struct{}
	kickCode   websocket.StatusCode
	kickReason string
	kickFrame  []byte

	// actor-owned
	peer     wire.Peer
	tokenID  string
	commits  *rate.Limiter
	welcomed bool
	quiet    bool // relay it no presence (hello's quiet, or a quiet frame)
	syncSeq  uint64
	pending  *pendingWelcome
	early    []func() // frames that arrived before the welcome went out
	// earlyPresence is the latest presence packet that arrived before it.
	earlyPresence []byte
	budget        *connBudget
	ip            string // the client address its per-address budgets use
	// addrStore is the stored-bytes bucket of ip, shared with its other
	// connections.
	addrStore *debtBucket
}

func (s *Server) handleConn(w http.ResponseWriter, r *http.Request, name string) {
	seen := new(atomic.Int64)
	seen.Store(time.Now().UnixNano())
	alive := func(context.Context, []byte) { seen.Store(time.Now().UnixNano()) }
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OnPingReceived: func(ctx context.Context, p []byte) bool { alive(ctx, p); return true },
		OnPongReceived: alive,
	})
	if err != nil {
		return // Accept has answered with an HTTP error
	}
	defer ws.CloseNow()
	ws.SetReadLimit(wire.MaxFrameBytes)
	hello, code, errCode, err := s.readHello(ws)
	if err != nil {
		s.closeWith(ws, code, errCode, err.Error())
		return
	}
	if hello.Existing {
		// Asked before acquire, which would prepare the room for creation.
		if _, err := s.view(r.Context(), name, ""); errors.Is(err, ErrNoRoom) {
			s.closeWith(ws, wire.CloseNoRoom, wire.CodeNoRoom, fmt.Sprintf("no such room %q (this join does not create one)", name))
			return
		}
	}
	rm, err := s.acquire(name)
	if err != nil {
		s.closeWith(ws, websocket.StatusGoingAway, wire.CodeShutdown, err.Error())
		return
	}
	defer s.release(rm)
	s.metrics.connections.Inc()
	defer s.metrics.connections.Dec()

	c := &conn{
		srv: s, ws: ws, room: rm, hello: hello, seen: seen,
		kicked:  make(chan struct{}),
		commits: rate.NewLimiter(s.opts.CommitRate, s.opts.CommitBurst),
		ip:      s.clientIP(r),
	}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	defer c.cancel()
	c.send = newSendQueue(s.opts.SendQueue, func() {
		c.writers.Add(1)
		go c.drain()
	})
	s.attach(rm, c)
	defer s.detach(rm, c)
	if rm.post(func() { rm.join(c) }) {
		c.readLoop()
		rm.post(func() { rm.leave(c) })
	} else {
		c.kick(websocket.StatusInternalError, wire.CodeInternal, "room failed to load; reconnect")
		c.readLoop() // until the kick's close handshake ends
	}
	// The reader is done, so the connection is: a writer still running
	// either finishes a kick's close or fails fast on the dead socket.
	c.cancel()
	c.send.stop()
	c.writers.Wait()
}

// readHello reads and checks the first frame. Any other frame first is
// refused, so nothing can be committed before authentication.
func (s *Server) readHello(ws *websocket.Conn) (*wire.Hello, websocket.StatusCode, string, error) {
	// A read whose context expires tears the connection down at once, so
	// the timeout closes it from a timer instead, with an error frame and a
	// close code the client can read.
	timer := time.AfterFunc(s.opts.HelloTimeout, func() {
		s.closeWith(ws, wire.CloseHello, wire.CodeHello, fmt.Sprintf("no hello within %s", s.opts.HelloTimeout))
	})
	defer timer.Stop()
	typ, data, err := ws.Read(s.ctx)
	if err != nil {
		return nil, wire.CloseHello, wire.CodeHello, fmt.Errorf("no hello: %w", err)
	}
	if typ != websocket.MessageText {
		return nil, wire.CloseHello, wire.CodeHello, errors.New("the first frame must be a hello text frame")
	}
	v, err := wire.DecodeClient(data)
	if err != nil {
		if errors.Is(err, wire.ErrVersion) {
			return nil, wire.CloseVersion, wire.CodeVersion, err
		}
		return nil, wire.CloseHello, wire.CodeHello, err
	}
	h, ok := v.(*wire.Hello)
	if !ok {
		return nil, wire.CloseHello, wire.CodeHello, errors.New("the first frame must be a hello")
	}
	return h, 0, "", nil
}

// closeWith sends an error frame, then closes with code.
func (s *Server) closeWith(ws *websocket.Conn, code websocket.StatusCode, errCode, reason string) {
	s.closeWithFrame(ws, code, errorFrame(errCode, reason), reason)
}

func errorFrame(code, reason string) []byte {
	b, _ := wire.Encode(wire.Error{T: wire.TError, Code: code, Reason: reason, Fatal: true})
	return b
}

// truncateReason keeps a close reason within the 123 bytes a close frame
// allows; the full text went in the error frame.
func truncateReason(s string) string {
	if len(s) <= 120 {
		return s
	}
	return s[:120]
}

// kick closes the connection with code after an error frame. Safe from any
// goroutine, and it never blocks: the writer does the closing.
func (c *conn) kick(code websocket.StatusCode, errCode, reason string) {
	c.kickOnce.Do(func() {
		c.kickCode, c.kickReason, c.kickFrame = code, reason, errorFrame(errCode, reason)
		close(c.kicked)
		c.cancel()
		c.send.push(outMsg{kick: true}, true)
	})
}

func (c *conn) isKicked() bool {
	select {
	case <-c.kicked:
		return true
	default:
		return false
	}
}

// enqueue queues a frame without blocking; a client whose queue is full is
// too slow to keep and is disconnected rather than allowed to stall the room.
func (c *conn) enqueue(m outMsg) bool {
	if c.send.push(m, false) {
		return true
	}
	c.kick(wire.CloseSlow, wire.CodeSlow, fmt.Sprintf("send queue of %d frames full: the client is not reading fast enough", c.send.max))
	return false
}

// drain is the writer: it runs while the queue has frames and exits when
// it is empty, or for good once the connection is closed or broken.
func (c *conn) drain() {
	defer c.writers.Done()
	for {
		m, ok := c.send.next()
		if !ok {
			return
		}
		if m.kick {
			c.srv.closeWithFrame(c.ws, c.kickCode, c.kickFrame, c.kickReason)
			c.send.stop()
			return
		}
		if m.ping {
			if err := c.ping(); err != nil {
				c.ws.CloseNow() // dead link: the reader fails and the peer leaves
				c.send.stop()
				return
			}
			continue
		}
		if err := c.write(m); err != nil {
			c.ws.CloseNow()
			c.send.stop()
			return
		}
	}
}

func (s *Server) closeWithFrame(ws *websocket.Conn, code websocket.StatusCode, frame []byte, reason string) {
	s.metrics.disconnects.WithLabelValues(strconv.Itoa(int(code))).Inc()
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.WriteTimeout)
	defer cancel()
	ws.Write(ctx, websocket.MessageText, frame)
	ws.Close(code, truncateReason(reason))
}

func (c *conn) write(m outMsg) error {
	if m.sync != nil {
		return c.writeSync(m.sync)
	}
	return c.writeFrame(m.typ, m.data)
}

func (c *conn) writeFrame(typ websocket.MessageType, b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.opts.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, typ, b)
}

func (c *conn) writeJSON(v any) error {
	b, err := wire.Encode(v)
	if err != nil {
		return err
	}
	return c.writeFrame(websocket.MessageText, b)
}

// writeSync streams the welcome and the state that goes with it. It runs
// in the writer, off the room's goroutine: catch-up records are read from
// the store, where they are durable by the time the welcome is released.
func (c *conn) writeSync(p *syncPlan) error {
	if err := c.writeFrame(websocket.MessageText, p.welcome); err != nil {
		return err
	}
	if p.catchup {
		// Each page of records must be written within the stream page
		// timeout: a reader too slow for that is cut off, so it cannot
		// sit on its share of the server's stream budget.
		timeout := c.srv.opts.Budget.StreamPageTimeout
		pctx, pcancel := c.ctx, context.CancelFunc(func() {})
		var writeErr error
		err := c.srv.streamRecords(c.ctx, c.room.name, p.from, p.seq, func() {
			pctx, pcancel = context.WithTimeout(c.ctx, timeout)
		}, func(rec store.Record) error {
			writeErr = c.ws.Write(pctx, websocket.MessageText, committedFrame(rec, 0, rec.Client == c.hello.Client))
			return writeErr
		}, func() error {
			pcancel()
			return nil
		})
		pcancel()
		switch {
		case writeErr != nil:
			return writeErr
		case c.isKicked():
			return nil // the kick is next in the queue
		case err != nil:
			if c.ctx.Err() == nil {
				c.srv.opts.Logger.Error("catch-up", "room", c.room.name, "err", err)
			}
			c.kick(websocket.StatusInternalError, wire.CodeInternal, "catch-up failed; reconnect")
			return nil
		}
	} else {
		runs := splitLongRuns(p.runs, maxRunRunes)
		for {
			n := snapChunk(runs)
			if err := c.writeJSON(wire.Snap{T: wire.TSnap, Runs: runs[:n:n], Done: n == len(runs)}); err != nil {
				return err
			}
			runs = runs[n:]
			if len(runs) == 0 {
				break
			}
		}
	}
	return c.writeJSON(wire.Ready{T: wire.TReady, Seq: p.seq})
}

// maxRunRunes bounds one run of a snap frame: a row-long run of escaped
// characters could otherwise make a single frame bigger than any client
// accepts.
const maxRunRunes = 4096

// splitLongRuns cuts runs longer than max runes into consecutive pieces.
// It returns runs itself when nothing needs cutting, as is usual.
func splitLongRuns(runs []model.Op, max int) []model.Op {
	long := false
	for _, r := range runs {
		long = long || len(r.Text) > max // bytes >= runes: a cheap first test
	}
	if !long {
		return runs
	}
	out := make([]model.Op, 0, len(runs))
	for _, r := range runs {
		rs := []rune(r.Text)
		for len(rs) > max {
			piece := r
			piece.Text = string(rs[:max])
			out = append(out, piece)
			r.X += int32(max)
			rs = rs[max:]
		}
		r.Text = string(rs)
		out = append(out, r)
	}
	return out
}

// snapChunk is how many runs go in the next snap frame: at most
// SnapRunsPerFrame, and few enough that the frame stays well under
// MaxServerFrameBytes even if every rune is escaped (6 bytes) in JSON.
func snapChunk(runs []model.Op) int {
	const budget = wire.MaxServerFrameBytes / 4
	size := 0
	for i, r := range runs {
		size += 64 + 6*len(r.Text)
		if i > 0 && (size > budget || i == wire.SnapRunsPerFrame) {
			return i
		}
	}
	return len(runs)
}

func (c *conn) readLoop() {
	frames := rate.NewLimiter(c.srv.opts.FrameRate, c.srv.opts.FrameBurst)
	ctx := context.Background()
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			return
		}
		c.seen.Store(time.Now().UnixNano())
		if c.isKicked() {
			continue // closing: read until the handshake ends, act on nothing
		}
		if !frames.Allow() {
			c.kick(wire.CloseRateLimited, wire.CodeRateLimited,
				fmt.Sprintf("more than %g frames per second (burst %d)", float64(c.srv.opts.FrameRate), c.srv.opts.FrameBurst))
			continue
		}
		if typ == websocket.MessageBinary {
			if _, err := wire.DecodePresence(data); err != nil {
				rm := c.room
				rm.post(func() { rm.afterWelcome(c, func() { c.sendError(wire.CodeInvalid, err.Error()) }) })
				continue
			}
			c.room.post(func() { c.room.presence(c, data) })
			continue
		}
		at := time.Now()
		v, err := wire.DecodeClient(data)
		if err != nil {
			// Through the room, so that no answer overtakes the welcome.
			rm := c.room
			rm.post(func() { rm.afterWelcome(c, func() { c.refuse(data, err) }) })
			continue
		}
		rm := c.room
		switch m := v.(type) {
		case *wire.Hello:
			rm.post(func() { rm.afterWelcome(c, func() { c.sendError(wire.CodeHello, "hello: already received") }) })
		case *wire.Commit:
			rm.post(func() { rm.afterWelcome(c, func() { rm.commit(c, m, at) }) })
		case *wire.Undo:
			rm.post(func() { rm.afterWelcome(c, func() { rm.undo(c, m, at) }) })
		case *wire.Signal:
			rm.post(func() { rm.afterWelcome(c, func() { rm.signal(c, m) }) })
		case *wire.Mint:
			rm.post(func() { rm.afterWelcome(c, func() { rm.mint(c, m) }) })
		case *wire.Revoke:
			rm.post(func() { rm.afterWelcome(c, func() { rm.revoke(c, m) }) })
		case *wire.ListTokens:
			rm.post(func() { rm.afterWelcome(c, func() { rm.listTokens(c, m) }) })
		case *wire.Quiet:
			rm.post(func() { rm.afterWelcome(c, func() { rm.setQuiet(c, *m.On) }) })
		}
	}
}

// refuse answers a frame that failed to decode: with a reject naming its ID
// when one can be read (so the client drops that commit rather than resend
// it forever), else with an error frame.
func (c *conn) refuse(data []byte, err error) {
	code := wire.CodeInvalid
	if errors.Is(err, model.ErrTooLarge) {
		code = wire.CodeTooLarge
	}
	var idOnly struct {
		T  string `json:"t"`
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &idOnly) == nil && idOnly.ID != "" && wire.CheckID("id", idOnly.ID) == nil &&
		(idOnly.T == wire.TCommit || idOnly.T == wire.TUndo || idOnly.T == wire.TRedo) {
		c.sendFrame(wire.Reject{T: wire.TReject, ID: idOnly.ID, Code: code, Reason: err.Error()})
		return
	}
	c.sendError(code, err.Error())
}

func (c *conn) sendError(code, reason string) {
	c.sendFrame(wire.Error{T: wire.TError, Code: code, Reason: reason})
}

func (c *conn) sendFrame(v any) {
	b, err := wire.Encode(v)
	if err != nil {
		return
	}
	c.enqueue(outMsg{typ: websocket.MessageText, data: b})
}

// committedFrame encodes a record as the frame participants receive; only
// its author gets the commit ID, which contains the author's client ID.
func committedFrame(rec store.Record, peer uint16, forAuthor bool) []byte {
	m := wire.Committed{
		T: wire.TCommitted, Seq: rec.Seq, Peer: peer, Author: wire.AuthorOf(rec.Client),
		Name: rec.Name, Kind: rec.Kind, Target: rec.Target, Ops: rec.Ops,
	}
	if forAuthor {
		m.ID = rec.ID
	}
	b, _ := wire.Encode(m)
	return b
}
