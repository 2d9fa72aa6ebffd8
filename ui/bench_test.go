package ui

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// The budget of DESIGN.md §7: a 200×50 viewport full of drawn cells with
// 8 moving cursors builds in under 1 ms, and one cursor moving costs the
// terminal at most 64 bytes.
const (
	benchW = 200
	benchH = 51 // 50 canvas rows and the status bar
)

// fullCanvas fills the 200×50 viewport with text in runs of varied
// colours and attributes: ten styles a row, so the frame changes style
// 500 times, as a colourful drawing does.
func fullCanvas(tb testing.TB, s *session.Session, vp model.Rect) {
	tb.Helper()
	var ops []model.Op
	glyphs := []rune("#*+=~%@o─│┼╬")
	for y := range vp.H {
		for run := range int32(10) {
			w := vp.W / 10
			var sb strings.Builder
			for i := range w {
				sb.WriteRune(glyphs[int(y+run+i)%len(glyphs)])
			}
			ops = append(ops, model.Op{Kind: model.OpText, X: vp.X + run*w, Y: vp.Y + y, Text: sb.String(),
				FG: model.Indexed(uint8(16 + (y*10+run)%216)), BG: model.RGB(uint8(y*5), uint8(run*20), 40),
				Attr: model.Attr(run % 3)})
		}
	}
	if _, err := s.Commit(ops); err != nil {
		tb.Fatal(err)
	}
	if err := s.Sync(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// benchPeers puts 8 peers in the model's roster with cursors on screen.
func benchPeers(h *harness) []session.Event {
	var peers []session.Peer
	for i := range 8 {
		p := session.Peer{Route: "p2p"}
		p.ID, p.Name, p.Color, p.Role = uint16(100+i), "peer"+strconv.Itoa(i), model.Indexed(uint8(196+i)), wire.RoleEditor
		peers = append(peers, p)
	}
	me := session.Peer{You: true}
	me.ID, me.Name, me.Role = h.m.you, "ann", wire.RoleOwner
	h.send(eventsMsg{session.Roster{Peers: append(peers, me)}})
	evs := make([]session.Event, len(peers))
	for i, p := range peers {
		evs[i] = session.Presence{Peer: p.ID, Presence: wire.Presence{HasCursor: true, Cursor: model.Point{X: int32(10 + 20*i), Y: int32(5 + 5*i)}}}
	}
	return evs
}

// BenchmarkFrameBuild: one frame of a full 200×50 viewport while 8 cursors
// move a cell each. It reports the build of the frame string only; Bubble
// Tea's diff against the screen is what BenchmarkCursorMoveBytes measures.
func BenchmarkFrameBuild(b *testing.B) {
	a := newAuthority(b, true)
	h := newHarness(b, a, "bench", "ann", model.Indexed(203), func(o *Options) { o.Width, o.Height = benchW, benchH })
	fullCanvas(b, h.sess, h.m.viewport())
	h.drain()
	evs := benchPeers(h)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for _, ev := range evs {
			p := ev.(session.Presence)
			p.Presence.Cursor.X = int32(10+20*int(p.Peer-100)) + int32(i%8)
			h.m.presence(p.Peer, p.Presence)
		}
		h.m.build()
	}
}

// BenchmarkCursorMoveBytes runs the real Bubble Tea program (its
// renderer, at 60 fps, into a buffer) on a full 200×50 canvas with 8 peers,
// moves one peer's cursor one cell per frame, back and forth over 10 cells
// (horizontal: along a row; vertical: up and down a column), and reports
// the bytes the terminal receives per frame. The model's clock advances
// 1/60 s a move, so a label that stepped out of the way shows again every
// labelHideMax of motion (label.go), and that cost is in the figure. Then
// it reports catch-up: the frame, due labelSettle after the cursor stopped
// and scheduled by the model itself, that puts the label back at its
// resting place.
func BenchmarkCursorMoveBytes(b *testing.B) {
	b.Run("horizontal", func(b *testing.B) { cursorMoveBytes(b, model.Point{X: 1}, 10) })
	b.Run("vertical", func(b *testing.B) { cursorMoveBytes(b, model.Point{Y: 1}, 10) })
	// Further than the label may lag: it catches up every labelSlackX+1
	// columns (labelSlackY+1 rows) while the cursor keeps moving.
	b.Run("horizontal-40", func(b *testing.B) { cursorMoveBytes(b, model.Point{X: 1}, 40) })
	b.Run("vertical-20", func(b *testing.B) { cursorMoveBytes(b, model.Point{Y: 1}, 20) })
}

// cursorMoveBytes moves the cursor by step a frame, span steps out and
// span back.
func cursorMoveBytes(b *testing.B, step model.Point, span int) {
	a := newAuthority(b, true)
	ctx, cancel := context.WithCancel(testCtx(b))
	defer cancel()
	sess := dial(b, ctx, a.link("bytes"), "ann", model.Indexed(203))
	h := &harness{t: b, ctx: ctx, sess: sess, clock: time.Now()}
	var elapsed atomic.Int64 // the model's clock, moved by hand
	start := time.Now()
	h.m = New(ctx, sess, Options{Width: benchW, Height: benchH, MaxFPS: -1,
		Now: func() time.Time { return start.Add(time.Duration(elapsed.Load())) }})
	fullCanvas(b, sess, h.m.viewport())
	h.drain() // the session's own roster must not replace the peers below
	evs := benchPeers(h)
	for _, ev := range evs {
		p := ev.(session.Presence)
		h.m.presence(p.Peer, p.Presence)
	}

	in, keys := io.Pipe()
	defer keys.Close()
	out := &lockedBuffer{}
	p := tea.NewProgram(h.m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out),
		tea.WithWindowSize(benchW, benchH), tea.WithColorProfile(colorprofile.TrueColor),
		tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithoutSignalHandler())
	done := make(chan struct{})
	go func() { p.Run(); close(done) }()
	waitFor := func(cond func() bool) {
		for !cond() {
			select {
			case <-ctx.Done():
				b.Fatalf("no frame; output so far: %q", out.String()[max(out.len()-300, 0):])
			case <-time.After(time.Millisecond):
			}
		}
	}
	// The first frame paints everything; let it and the terminal queries
	// that come with it be written before counting.
	waitFor(func() bool { return strings.Contains(out.String(), "seq ") })
	time.Sleep(100 * time.Millisecond)
	first := out.len()
	n := first
	mover := evs[3].(session.Presence)
	watchers := append(slices.Clone(evs[:3]), evs[4:]...)
	at := mover.Presence.Cursor
	moves := 0
	move := func(to model.Point) {
		elapsed.Add(int64(time.Second / 60))
		if moves++; moves%60 == 0 {
			// The watchers' cursors hold still and their sessions keep
			// saying so (as a session does), so they never fade.
			p.Send(eventsMsg(watchers))
		}
		mover.Presence.Cursor = to
		mover.Presence.Seq++
		p.Send(eventsMsg{mover})
		prev := n
		waitFor(func() bool { return out.len() > prev }) // one flush per frame, in one write
		n = out.len()
	}
	b.ResetTimer()
	for i := range b.N {
		// Back and forth a cell at a time, staying on screen.
		d := int32(span - abs((i+1)%(2*span)-span))
		move(model.Point{X: at.X + d*step.X, Y: at.Y + d*step.Y})
	}
	b.StopTimer()
	b.ReportMetric(float64(n-first)/float64(b.N), "bytes/move")
	b.ReportMetric(float64(first), "bytes/first-frame")
	if testing.Verbose() {
		s := out.String()
		b.Logf("last frame: %q", s[max(len(s)-(n-first)/max(b.N, 1), 0):])
	}

	// A jump puts the label at its resting place at once; one more step
	// leaves it behind; the pause brings it back, in a frame of its own.
	far := model.Point{X: at.X + 50*step.X, Y: at.Y + 25*step.Y}
	move(far)
	move(model.Point{X: far.X + step.X, Y: far.Y + step.Y})
	stopped := n
	elapsed.Add(int64(labelSettle))
	waitFor(func() bool { return out.len() > stopped })
	time.Sleep(50 * time.Millisecond) // nothing else is due: catch-up is one frame
	b.ReportMetric(float64(out.len()-stopped), "bytes/catch-up")
	if testing.Verbose() {
		b.Logf("catch-up frame: %q", out.String()[stopped:])
	}
	p.Quit()
	<-done
}
