package bot

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// PipeOptions configures Pipe.
type PipeOptions struct {
	// NoPresence leaves presence events out of the output: with many
	// moving cursors they are most of it.
	NoPresence bool
}

// maxPipeLine bounds one command line. The commit it becomes must also fit
// the authority's frame limit, which is checked separately.
const maxPipeLine = 4 << 20

// reportGrace bounds the wait, after Sync, for the Committed events of
// our commits to be written out. A commit acknowledged by an "ack" (a
// resend the authority already had, whose committed frame arrived in a
// snapshot) has no event, and must not hold up a sync answer forever.
const reportGrace = 2 * time.Second

// Pipe is a JSON-lines bridge: it reads commands from out.In, one JSON
// object per line, and writes events to out.Out, one JSON object per line
// (docs/BOTS.md describes both). Commands are carried out in order; a bad
// line is answered with an error event naming its line number, and the
// bot keeps going. At the end of the input it syncs and returns nil.
//
// The goroutine reading out.In is the one Pipe may leave behind: when ctx
// ends or the session fails while a Read is blocked, nothing portable can
// interrupt it. It ends at that Read's next line or EOF.
func Pipe(ctx context.Context, cfg Config, opts PipeOptions, out IO) error {
	out = out.withDefaults()
	p := &pipe{out: &jsonLines{w: out.Out}, opts: opts, outstanding: map[string]bool{}, changed: make(chan struct{})}
	s, err := cfg.dial(ctx, "pipe", out.Err)
	if err != nil {
		p.out.write(errorEvent{Event: "error", Code: "closed", Reason: err.Error(), Fatal: true})
		return err
	}
	defer s.Close()
	p.s = s

	// The welcome is the first event a pipe writes, before any answer to a
	// command: Dial returned after the sync, so its events are queued.
	for welcomed := false; !welcomed; {
		select {
		case ev := <-s.Events():
			_, welcomed = ev.(session.Synced)
			if err := p.event(ev); err != nil {
				return fmt.Errorf("write event: %w", err)
			}
		case <-ctx.Done():
			return nil
		case <-s.Done():
			return s.Err()
		}
	}

	quit := make(chan struct{})
	defer close(quit)
	lines := make(chan pipeLine)
	go readLines(out.In, lines, quit)

	g, gctx := errgroup.WithContext(ctx)
	cmdsDone := make(chan struct{})
	g.Go(func() error { return p.forward(gctx, cmdsDone) })
	g.Go(func() error {
		defer close(cmdsDone)
		return p.commands(gctx, lines)
	})
	err = g.Wait()
	if serr := s.Err(); serr != nil {
		return serr
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

type pipe struct {
	s    *session.Session
	out  *jsonLines
	opts PipeOptions

	mu          sync.Mutex
	outstanding map[string]bool // our commit IDs whose event is not written yet
	changed     chan struct{}   // closed and replaced when outstanding shrinks
}

// jsonLines writes one JSON object per line; the command loop and the
// event forwarder share it.
type jsonLines struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func (j *jsonLines) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil {
		_, j.err = j.w.Write(append(b, '\n'))
	}
	return j.err
}

type pipeLine struct {
	n       int
	b       []byte
	tooLong bool
	err     error // io.EOF at the end
}

// readLines splits r into lines for the command loop. Lines longer than
// maxPipeLine are skipped, not fatal: they get an error event like any
// other bad line.
func readLines(r io.Reader, lines chan<- pipeLine, quit <-chan struct{}) {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	tooLong := false
	n := 0
	send := func(l pipeLine) bool {
		select {
		case lines <- l:
			return true
		case <-quit:
			return false
		}
	}
	for {
		frag, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(frag) > maxPipeLine {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil || len(buf) > 0 || tooLong {
			n++
			if !send(pipeLine{n: n, b: bytes.TrimRight(buf, "\r\n"), tooLong: tooLong}) {
				return
			}
			buf, tooLong = nil, false
		}
		if err != nil {
			send(pipeLine{n: n, err: err})
			return
		}
	}
}

// Events written by Pipe.
type (
	errorEvent struct {
		Event  string `json:"event"`
		Line   int    `json:"line,omitempty"`
		Req    string `json:"req,omitempty"`
		Code   string `json:"code,omitempty"`
		Reason string `json:"reason"`
		Fatal  bool   `json:"fatal,omitempty"`
	}
	welcomeEvent struct {
		Event    string    `json:"event"`
		Room     string    `json:"room"`
		You      uint16    `json:"you"`
		Role     wire.Role `json:"role"`
		Seq      uint64    `json:"seq"`
		Epoch    string    `json:"epoch"`
		Snapshot bool      `json:"snapshot"`
		Token    string    `json:"token,omitempty"`
	}
	syncedEvent struct {
		Event   string `json:"event"`
		Req     string `json:"req,omitempty"`
		Seq     uint64 `json:"seq"`
		Pending int    `json:"pending"`
	}
	queuedEvent struct {
		Event string `json:"event"`
		Req   string `json:"req"`
		ID    string `json:"id"`
	}
	committedEvent struct {
		Event  string     `json:"event"`
		Seq    uint64     `json:"seq"`
		ID     string     `json:"id,omitempty"`
		Own    bool       `json:"own"`
		Peer   uint16     `json:"peer"`
		Author string     `json:"author"`
		Name   string     `json:"name"`
		Kind   string     `json:"kind"`
		Target uint64     `json:"target,omitempty"`
		Ops    []model.Op `json:"ops"`
	}
	rejectedEvent struct {
		Event  string `json:"event"`
		ID     string `json:"id"`
		Code   string `json:"code"`
		Reason string `json:"reason"`
	}
	rosterPeer struct {
		wire.Peer
		You   bool    `json:"you"`
		Route string  `json:"route"`
		RTTMS float64 `json:"rtt_ms"`
	}
	rosterEvent struct {
		Event string       `json:"event"`
		Peers []rosterPeer `json:"peers"`
	}
	presenceEvent struct {
		Event    string     `json:"event"`
		Peer     uint16     `json:"peer"`
		Cursor   *jsonPoint `json:"cursor,omitempty"`
		Viewport *jsonRect  `json:"viewport,omitempty"`
		Tool     *uint8     `json:"tool,omitempty"`
		Brush    string     `json:"brush,omitempty"`
		Ghost    *jsonGhost `json:"ghost,omitempty"`
		Hidden   bool       `json:"hidden,omitempty"`
		NoFollow bool       `json:"no_follow,omitempty"`
	}
	jsonPoint struct {
		X int32 `json:"x"`
		Y int32 `json:"y"`
	}
	jsonRect struct {
		X int32 `json:"x"`
		Y int32 `json:"y"`
		W int32 `json:"w"`
		H int32 `json:"h"`
	}
	jsonGhost struct {
		Kind   uint8       `json:"kind"`
		Style  uint8       `json:"style"`
		Ch     string      `json:"ch,omitempty"`
		Points []jsonPoint `json:"points"`
	}
	linkEvent struct {
		Event     string `json:"event"`
		State     string `json:"state"`
		Attempt   int    `json:"attempt,omitempty"`
		RetryInMS int64  `json:"retry_in_ms,omitempty"`
		Reason    string `json:"reason,omitempty"`
	}
	exportEvent struct {
		Event  string   `json:"event"`
		Req    string   `json:"req,omitempty"`
		Format string   `json:"format"`
		Region jsonRect `json:"region"`
		Text   string   `json:"text"`
	}
)

// forward writes the session's events until the command loop is done.
func (p *pipe) forward(ctx context.Context, cmdsDone <-chan struct{}) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cmdsDone:
			return nil
		case <-p.s.Done():
			err := p.s.Err()
			if err == nil {
				return nil
			}
			// The session already emitted its fatal Error event; it may
			// still be in the channel, but its reason is here too.
			p.out.write(errorEvent{Event: "error", Code: "closed", Reason: err.Error(), Fatal: true})
			return err
		case ev := <-p.s.Events():
			if err := p.event(ev); err != nil {
				return fmt.Errorf("write event: %w", err)
			}
		}
	}
}

func (p *pipe) event(ev session.Event) error {
	switch ev := ev.(type) {
	case session.Synced:
		in := p.s.Info()
		return p.out.write(welcomeEvent{Event: "welcome", Room: ev.Room, You: in.You, Role: ev.Role, Seq: ev.Seq,
			Epoch: ev.Epoch, Snapshot: ev.Snapshot, Token: ev.Token})
	case session.Committed:
		ops := ev.Ops
		if ops == nil {
			ops = []model.Op{}
		}
		e := committedEvent{Event: "committed", Seq: ev.Seq, Own: ev.Own, Peer: ev.Peer, Author: ev.Author,
			Name: ev.Name, Kind: ev.Kind, Target: ev.Target, Ops: ops}
		if ev.Own {
			e.ID = ev.ID
		}
		err := p.out.write(e)
		if ev.Own {
			p.reported(ev.ID)
		}
		return err
	case session.Rejected:
		err := p.out.write(rejectedEvent{Event: "rejected", ID: ev.ID, Code: ev.Code, Reason: ev.Reason})
		p.reported(ev.ID)
		return err
	case session.Roster:
		peers := make([]rosterPeer, len(ev.Peers))
		for i, pr := range ev.Peers {
			peers[i] = rosterPeer{Peer: pr.Peer, You: pr.You, Route: pr.Route, RTTMS: float64(pr.RTT.Microseconds()) / 1e3}
		}
		return p.out.write(rosterEvent{Event: "roster", Peers: peers})
	case session.Presence:
		if p.opts.NoPresence {
			return nil
		}
		return p.out.write(presenceJSON(ev))
	case session.LinkChanged:
		e := linkEvent{Event: "link", State: ev.Link.State.String(), Attempt: ev.Link.Attempt, Reason: ev.Link.Err}
		if ev.Link.State == session.Offline {
			e.RetryInMS = max(0, time.Until(ev.Link.RetryAt).Milliseconds())
		}
		return p.out.write(e)
	case session.Error:
		return p.out.write(errorEvent{Event: "error", Code: ev.Code, Reason: ev.Reason, Fatal: ev.Fatal})
	}
	return nil
}

func presenceJSON(ev session.Presence) presenceEvent {
	pr := ev.Presence
	e := presenceEvent{Event: "presence", Peer: ev.Peer, Hidden: pr.Hidden, NoFollow: pr.NoFollow}
	if pr.HasCursor {
		e.Cursor = &jsonPoint{pr.Cursor.X, pr.Cursor.Y}
	}
	if pr.HasViewport {
		e.Viewport = &jsonRect{pr.Viewport.X, pr.Viewport.Y, pr.Viewport.W, pr.Viewport.H}
	}
	if pr.HasTool {
		t := pr.Tool
		e.Tool = &t
		if pr.Brush != 0 {
			e.Brush = string(pr.Brush)
		}
	}
	if g := pr.Ghost; g != nil {
		jg := &jsonGhost{Kind: g.Kind, Style: uint8(g.Style), Points: make([]jsonPoint, len(g.Points))}
		if g.Ch != 0 {
			jg.Ch = string(g.Ch)
		}
		for i, pt := range g.Points {
			jg.Points[i] = jsonPoint{pt.X, pt.Y}
		}
		e.Ghost = jg
	}
	return e
}

// reported notes that the event of one of our commits has been written.
func (p *pipe) reported(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outstanding[id] {
		delete(p.outstanding, id)
		close(p.changed)
		p.changed = make(chan struct{})
	}
}

// sync waits until every commit made so far is acknowledged and its
// event written, so that a "synced" line follows their "committed" lines.
func (p *pipe) sync(ctx context.Context) error {
	p.mu.Lock()
	ids := make([]string, 0, len(p.outstanding))
	for id := range p.outstanding {
		ids = append(ids, id)
	}
	p.mu.Unlock()
	if err := p.s.Sync(ctx); err != nil {
		return err
	}
	grace := time.NewTimer(reportGrace)
	defer grace.Stop()
	for {
		p.mu.Lock()
		left := false
		for _, id := range ids {
			left = left || p.outstanding[id]
		}
		ch := p.changed
		p.mu.Unlock()
		if !left {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-grace.C:
			p.mu.Lock()
			for _, id := range ids {
				delete(p.outstanding, id) // acknowledged without an event
			}
			p.mu.Unlock()
			return nil
		}
	}
}

// commands carries out the input's commands in order until its end.
func (p *pipe) commands(ctx context.Context, lines <-chan pipeLine) error {
	for {
		var l pipeLine
		select {
		case <-ctx.Done():
			return nil
		case l = <-lines:
		}
		if l.err != nil {
			if !errors.Is(l.err, io.EOF) {
				p.out.write(errorEvent{Event: "error", Line: l.n, Code: "input", Reason: "reading input: " + l.err.Error()})
			}
			// End of input: leave once everything is acknowledged.
			if err := p.sync(ctx); err != nil {
				return p.syncErr(ctx, err)
			}
			in := p.s.Info()
			return p.out.write(syncedEvent{Event: "synced", Seq: in.Seq, Pending: in.Pending})
		}
		if l.tooLong {
			p.out.write(errorEvent{Event: "error", Line: l.n, Code: "too_large", Reason: fmt.Sprintf("line longer than %d bytes", maxPipeLine)})
			continue
		}
		if len(bytes.TrimSpace(l.b)) == 0 {
			continue
		}
		if err := p.command(ctx, l.n, l.b); err != nil {
			return err
		}
	}
}

func (p *pipe) syncErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if serr := p.s.Err(); serr != nil {
		return serr
	}
	return err
}

// cmdError is a problem with one command: reported, not fatal.
type cmdError struct {
	code   string
	reason string
}

func (e *cmdError) Error() string { return e.reason }

func badf(code, format string, args ...any) *cmdError {
	return &cmdError{code: code, reason: fmt.Sprintf(format, args...)}
}

// Command shapes. Each is decoded strictly: an unknown field is an error,
// because a misspelt "colour" silently ignored is worse than a complaint.
type (
	cmdHeader struct {
		Cmd string `json:"cmd"`
		Req string `json:"req"`
	}
	cursorCmd struct {
		cmdHeader
		X    int32 `json:"x"`
		Y    int32 `json:"y"`
		Hide bool  `json:"hide"`
	}
	textCmd struct {
		cmdHeader
		X    int32       `json:"x"`
		Y    int32       `json:"y"`
		Text string      `json:"text"`
		FG   model.Color `json:"fg"`
		BG   model.Color `json:"bg"`
		Attr model.Attr  `json:"attr"`
	}
	cellsCmd struct {
		cmdHeader
		Cells []model.CellAt `json:"cells"`
		Merge bool           `json:"merge"`
	}
	rectCmd struct {
		cmdHeader
		X    int32       `json:"x"`
		Y    int32       `json:"y"`
		W    int32       `json:"w"`
		H    int32       `json:"h"`
		Ch   string      `json:"ch"`
		FG   model.Color `json:"fg"`
		BG   model.Color `json:"bg"`
		Attr model.Attr  `json:"attr"`
	}
	opsCmd struct {
		cmdHeader
		Ops []model.Op `json:"ops"`
	}
	exportCmd struct {
		cmdHeader
		Format string `json:"format"`
		X      int32  `json:"x"`
		Y      int32  `json:"y"`
		W      int32  `json:"w"`
		H      int32  `json:"h"`
	}
)

func decodeStrict(b []byte, v any) *cmdError {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badf("bad_command", "%v", err)
	}
	return nil
}

// command carries out one line. Only a failure to write output or a dead
// session is returned; everything else is an error event.
func (p *pipe) command(ctx context.Context, n int, b []byte) error {
	var h cmdHeader
	err := wire.CheckJSONText(b) // else a bad byte would be drawn as U+FFFD
	if err == nil {
		err = json.Unmarshal(b, &h)
	}
	if err != nil {
		return p.out.write(errorEvent{Event: "error", Line: n, Code: "bad_json", Reason: err.Error()})
	}
	err = p.run(ctx, h, b)
	if err == nil {
		return nil
	}
	var ce *cmdError
	if errors.As(err, &ce) {
		return p.out.write(errorEvent{Event: "error", Line: n, Req: h.Req, Code: ce.code, Reason: ce.reason})
	}
	return err
}

// parsed is one command line, decoded and checked but not yet carried out.
type parsed struct {
	h        cmdHeader
	ops      []model.Op     // drawing commands
	presence *wire.Presence // cursor
	export   *exportCmd
}

// parseCommand decodes one line. It is pure, so it is fuzzed on its own.
func parseCommand(h cmdHeader, b []byte) (parsed, error) {
	out := parsed{h: h}
	switch h.Cmd {
	case "cursor":
		var c cursorCmd
		if err := decodeStrict(b, &c); err != nil {
			return out, err
		}
		if c.Hide {
			out.presence = &wire.Presence{Hidden: true}
		} else {
			out.presence = &wire.Presence{HasCursor: true, Cursor: model.Point{X: c.X, Y: c.Y}}
		}
	case "text":
		var c textCmd
		if err := decodeStrict(b, &c); err != nil {
			return out, err
		}
		out.ops = []model.Op{{Kind: model.OpText, X: c.X, Y: c.Y, Text: c.Text, FG: c.FG, BG: c.BG, Attr: c.Attr}}
	case "cells":
		var c cellsCmd
		if err := decodeStrict(b, &c); err != nil {
			return out, err
		}
		out.ops = []model.Op{{Kind: model.OpSet, Cells: c.Cells, Merge: c.Merge}}
	case "rect":
		var c rectCmd
		if err := decodeStrict(b, &c); err != nil {
			return out, err
		}
		var ch rune
		if c.Ch != "" {
			rs := []rune(c.Ch)
			if len(rs) != 1 {
				return out, badf("invalid", "ch %q is not exactly one character", c.Ch)
			}
			ch = rs[0]
		}
		out.ops = []model.Op{{Kind: model.OpRect, X: c.X, Y: c.Y, W: c.W, H: c.H, Ch: ch, FG: c.FG, BG: c.BG, Attr: c.Attr}}
	case "ops":
		var c opsCmd
		if err := decodeStrict(b, &c); err != nil {
			return out, err
		}
		out.ops = c.Ops
	case "undo", "redo", "sync":
		if err := decodeStrict(b, &cmdHeader{}); err != nil {
			return out, err
		}
	case "export":
		var c exportCmd
		if err := decodeStrict(b, &c); err != nil {
			return out, err
		}
		out.export = &c
	case "":
		return out, badf("bad_command", `no "cmd"`)
	default:
		return out, badf("unknown_command", "unknown cmd %q", h.Cmd)
	}
	if out.ops != nil {
		if err := model.ValidateOps(out.ops, model.DefaultLimits); err != nil {
			return out, badf("invalid", "%v", err)
		}
	}
	return out, nil
}

func (p *pipe) run(ctx context.Context, h cmdHeader, b []byte) error {
	c, err := parseCommand(h, b)
	if err != nil {
		return err
	}
	switch {
	case c.presence != nil:
		p.s.SetPresence(*c.presence)
		return nil
	case c.ops != nil:
		return p.commit(h, c.ops)
	case c.export != nil:
		var region *model.Rect
		if c.export.W != 0 || c.export.H != 0 {
			region = &model.Rect{X: c.export.X, Y: c.export.Y, W: c.export.W, H: c.export.H}
		}
		text, r, err := Render(p.s.Canvas(), c.export.Format, region)
		if err != nil {
			return badf("invalid", "%v", err)
		}
		format := c.export.Format
		if format == "" {
			format = FormatText
		}
		return p.out.write(exportEvent{Event: "export", Req: h.Req, Format: format, Region: jsonRect{r.X, r.Y, r.W, r.H}, Text: text})
	}
	switch h.Cmd {
	case "undo", "redo":
		revert := p.s.Undo
		if h.Cmd == "redo" {
			revert = p.s.Redo
		}
		p.mu.Lock() // see commit
		defer p.mu.Unlock()
		id, err := revert()
		if err != nil {
			return sessionErr(err)
		}
		p.outstanding[id] = true
		if h.Req != "" {
			return p.out.write(queuedEvent{Event: "queued", Req: h.Req, ID: id})
		}
		return nil
	case "sync":
		if err := p.sync(ctx); err != nil {
			return p.syncErr(ctx, err)
		}
		in := p.s.Info()
		return p.out.write(syncedEvent{Event: "synced", Req: h.Req, Seq: in.Seq, Pending: in.Pending})
	}
	return nil
}

// commit sends ops as one commit. The lock is held across Commit so that
// the forwarder, however fast the acknowledgement, finds the ID tracked.
func (p *pipe) commit(h cmdHeader, ops []model.Op) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	id, err := p.s.Commit(ops)
	if err != nil {
		return sessionErr(err)
	}
	p.outstanding[id] = true
	if h.Req != "" {
		return p.out.write(queuedEvent{Event: "queued", Req: h.Req, ID: id})
	}
	return nil
}

func sessionErr(err error) error {
	switch {
	case errors.Is(err, session.ErrReadOnly):
		return badf("read_only", "%v", err)
	case errors.Is(err, session.ErrNothingToUndo), errors.Is(err, session.ErrNothingToRedo):
		return badf("nothing_to_undo", "%v", err)
	case errors.Is(err, session.ErrClosed):
		return err // fatal: the forwarder reports why
	case errors.Is(err, model.ErrTooLarge):
		// session.Commit refuses a commit that would not fit in a frame.
		return badf("too_large", "%v", err)
	}
	return badf("invalid", "%v", err)
}
