package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

// TestUndoRemovesOnlyOwnStroke: ann and bob draw crossing strokes; ann's
// undo takes back her stroke, leaving bob's, including the cell where
// they crossed (bob drew it last).
func TestUndoRemovesOnlyOwnStroke(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "undo", "ann", model.Indexed(203))
	bob := dial(t, h.ctx, a.link("undo"), "bob", model.Indexed(114))
	h.keys("space")
	h.repeat("l", 4)
	h.keys("space") // ann: ##### on row 0, x 0..4
	h.sync()
	if _, err := bob.Commit([]model.Op{{Kind: model.OpRect, X: 2, Y: -1, W: 1, H: 3, Ch: '|'}}); err != nil {
		t.Fatal(err)
	}
	bob.Sync(h.ctx)
	h.waitFor("bob's stroke", func() bool { return h.sess.Get(2, 1).Ch == '|' })
	h.keys("u")
	h.sync()
	got := canvasText(h.sess, model.Rect{X: 0, Y: -1, W: 5, H: 3})
	if want := "  |\n  |\n  |"; got != want {
		t.Fatalf("after ann's undo:\n%s\nwant:\n%s", got, want)
	}
	h.keys("U")
	h.sync()
	if got := canvasText(h.sess, model.Rect{X: 0, Y: 0, W: 5, H: 1}); got != "##|##" {
		t.Fatalf("after redo: %q", got)
	}
	h.keys("ctrl+z", "ctrl+z") // the second has nothing left to undo and says so
	if !strings.Contains(h.m.notice, "nothing to undo") {
		t.Fatalf("notice %q", h.m.notice)
	}
}

// TestPeersFadeFollowAndHide covers what others' presence does to us:
// fading after 10s of silence, following a viewport, a refusal to be
// followed, invisibility.
func TestPeersFadeFollowAndHide(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "follow", "ann", model.Indexed(203))
	bob := dial(t, h.ctx, a.link("follow"), "bob", model.Indexed(114))
	h.waitFor("bob in the roster", func() bool { return len(h.m.roster) == 1 })
	view := model.Rect{X: 1000, Y: 500, W: 60, H: 20}
	point(bob, model.Point{X: 1010, Y: 505}, wire.Presence{HasViewport: true, Viewport: view})
	h.waitFor("bob's presence", func() bool { return h.peer("bob") != nil })

	h.keys("n") // jump to bob: his cursor at the centre
	if h.m.cx != 1010 || h.m.cy != 505 || !h.m.viewport().Contains(1010, 505) {
		t.Fatalf("after jump: cursor %d,%d view %+v", h.m.cx, h.m.cy, h.m.viewport())
	}
	h.keys("F")
	if h.m.follow == 0 {
		t.Fatal("F did not follow bob")
	}
	view.X, view.Y = 5000, -300
	point(bob, model.Point{X: 5001, Y: -299}, wire.Presence{HasViewport: true, Viewport: view})
	h.waitFor("our view to follow bob's", func() bool {
		vp := h.m.viewport()
		return vp.X+vp.W/2 == view.X+view.W/2 && vp.Y+vp.H/2 == view.Y+view.H/2
	})
	plain, _ := h.screen()
	if !strings.Contains(plain, "following bob") {
		t.Fatalf("status does not say we follow bob:\n%s", plain)
	}
	// Panning ourselves stops following.
	h.keys("shift+right")
	if h.m.follow != 0 {
		t.Fatal("panning did not stop following")
	}
	// bob refuses followers: F is turned down.
	point(bob, model.Point{X: 5001, Y: -299}, wire.Presence{HasViewport: true, Viewport: view, NoFollow: true})
	h.waitFor("bob's refusal", func() bool { return h.peer("bob").p.NoFollow })
	h.keys("F")
	if h.m.follow != 0 || !strings.Contains(h.m.notice, "does not want to be followed") {
		t.Fatalf("followed someone who refused: follow %d, notice %q", h.m.follow, h.m.notice)
	}
	// Silence: faint after 6s, gone after 10s.
	h.clock = h.clock.Add(7 * time.Second)
	if _, age, ok := h.m.live(h.m.jumped); !ok || age <= fadeAfter {
		t.Fatalf("after 7s: live %v age %v", ok, age)
	}
	h.clock = h.clock.Add(4 * time.Second)
	if len(h.m.targets()) != 0 {
		t.Fatal("bob still a target after 11s of silence")
	}
	// bob goes invisible: nothing of him is drawn, even when he speaks.
	point(bob, model.Point{X: 5001, Y: -299}, wire.Presence{Hidden: true})
	h.waitFor("bob's invisibility", func() bool { return h.peer("bob").p.Hidden })
	if len(h.m.targets()) != 0 {
		t.Fatal("an invisible peer is a jump target")
	}
	// And our own invisible mode hides our cursor from bob.
	h.keys("I")
	if !h.m.lastPres.Hidden || h.m.lastPres.HasCursor {
		t.Fatalf("invisible presence %+v", h.m.lastPres)
	}
}

// TestGhostIsSentWhileDragging: while a stroke is dragged, our presence
// carries it as a ghost; released, it is gone and the stroke committed.
func TestGhostIsSentWhileDragging(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "ghost", "ann", model.Indexed(203))
	h.keys("b")
	h.send(tea.MouseClickMsg{X: 5, Y: 5, Button: tea.MouseLeft}, tea.MouseMotionMsg{X: 15, Y: 9, Button: tea.MouseLeft})
	g := h.m.lastPres.Ghost
	if g == nil || g.Kind != wire.GhostBox || len(g.Points) != 2 || g.Points[1] != (model.Point{X: 13, Y: 8}) {
		t.Fatalf("ghost while dragging: %+v", g)
	}
	h.send(tea.MouseReleaseMsg{X: 15, Y: 9, Button: tea.MouseLeft})
	if h.m.lastPres.Ghost != nil {
		t.Fatal("ghost still sent after release")
	}
	h.sync()
	if got := h.sess.Get(3, 4).Ch; got != '┌' {
		t.Fatalf("box corner %q", got)
	}
}

// TestFillIsBoundedByScreenAndCommitSize: on a screen larger than one
// commit may touch, an open fill stops at maxCells and says so.
func TestFillIsBoundedByScreenAndCommitSize(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "bigfill", "ann", model.Indexed(203),
		func(o *Options) { o.Width, o.Height = 400, 200 })
	h.keys("f")
	h.tap(10, 10)
	h.sync()
	if n := h.sess.Canvas().Len(); n != maxCells {
		t.Fatalf("filled %d cells, want %d", n, maxCells)
	}
	if !strings.Contains(h.m.notice, "fill stopped") {
		t.Fatalf("notice %q", h.m.notice)
	}
}

// TestLinkStateInStatusBar: the status bar tracks the link, and a
// countdown to the next attempt while offline.
func TestLinkStateInStatusBar(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		l    session.Link
		want string
	}{
		{session.Link{State: session.Online}, "online"},
		{session.Link{State: session.Connecting}, "connecting…"},
		{session.Link{State: session.Connecting, Attempt: 2}, "reconnecting…"},
		{session.Link{State: session.Offline, RetryAt: now.Add(3200 * time.Millisecond)}, "offline, retry in 3s"},
		{session.Link{State: session.Offline, RetryAt: now.Add(300 * time.Millisecond)}, "offline, retrying…"},
		{session.Link{State: session.Closed}, "closed"},
	} {
		if got := linkText(c.l, now); got != c.want {
			t.Errorf("%+v: %q, want %q", c.l, got, c.want)
		}
	}
	h := newHarness(t, newAuthority(t, true), "link", "ann", model.Indexed(203))
	h.send(eventsMsg{session.LinkChanged{Link: session.Link{State: session.Offline, Attempt: 1, RetryAt: h.clock.Add(4 * time.Second)}}})
	if plain, _ := h.screen(); !strings.Contains(plain, "● offline, retry in 4s") {
		t.Fatalf("status while offline:\n%s", plain)
	}
	h.send(eventsMsg{session.Error{Reason: "kicked", Fatal: true}}, sessionEndMsg{})
	if plain, _ := h.screen(); !strings.Contains(plain, "disconnected: kicked · q quits") || !strings.Contains(plain, "● closed") {
		t.Fatalf("status once closed:\n%s", plain)
	}
}

// TestFrameCap: a burst of messages builds one frame per 1/60 s; the
// frames held back are asked for with a command, so the last state shows.
func TestFrameCap(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "cap", "ann", model.Indexed(203), func(o *Options) { o.MaxFPS = 60 })
	h.m.View()
	first := h.m.view.Content
	_, cmd := h.m.Update(keyMsg("l"))
	if cmd == nil || !h.m.framePending {
		t.Fatal("no frame command after a held-back update")
	}
	if h.m.View().Content != first {
		t.Fatal("a frame was built before it was due")
	}
	h.clock = h.clock.Add(20 * time.Millisecond)
	h.send(frameMsg{})
	if h.m.View().Content == first || h.m.framePending {
		t.Fatal("the due frame was not built")
	}
}

// TestWaitEvents: the command that carries session events batches what is
// queued, and returns nothing once the program's context ends.
func TestWaitEvents(t *testing.T) {
	a := newAuthority(t, true)
	h := newHarness(t, a, "events", "ann", model.Indexed(203))
	bob := dial(t, h.ctx, a.link("events"), "bob", model.Indexed(114))
	bob.Commit([]model.Op{{Kind: model.OpText, Text: "a"}})
	bob.Commit([]model.Op{{Kind: model.OpText, Text: "b"}})
	bob.Sync(h.ctx)
	n := 0
	for n < 2 {
		msg, ok := h.m.waitEvents()().(eventsMsg)
		if !ok {
			t.Fatalf("waitEvents gave %T", msg)
		}
		for _, ev := range msg {
			if _, ok := ev.(session.Committed); ok {
				n++
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := New(ctx, h.sess, Options{})
	cancel()
	if msg := m.waitEvents()(); msg != nil {
		t.Fatalf("after the program ended: %T", msg)
	}
	h.sess.Close()
	for {
		msg := h.m.waitEvents()()
		if _, ok := msg.(sessionEndMsg); ok {
			break
		}
	}
}

// lockedBuffer is an io.Writer the program writes from its goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunRestoresTerminal runs the real program on a pipe: quitting and a
// panic in Update both leave the terminal as it was (main screen, mouse
// off, cursor shown).
func TestRunRestoresTerminal(t *testing.T) {
	a := newAuthority(t, true)
	for _, c := range []struct {
		name    string
		panicky bool
		wantErr error
	}{{"quit", false, nil}, {"panic", true, ErrPanic}} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			sess := dial(t, ctx, a.link("run"), "ann", model.Indexed(203))
			in, keys := io.Pipe()
			out := &lockedBuffer{}
			opts := Options{Input: in, Output: out, Width: 80, Height: 24, Profile: colorprofile.ANSI256,
				Env: []string{"TERM=xterm-256color"}}
			if c.panicky {
				opts.testPanic = func(msg tea.Msg) {
					if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "!" {
						panic("boom")
					}
				}
			}
			errc := make(chan error, 1)
			go func() { errc <- Run(ctx, sess, opts) }()
			// Draw something, wait for the screen to be taken over, then quit
			// (or crash).
			keys.Write([]byte("r l"))
			for !strings.Contains(out.String(), "\x1b[?1003h") {
				select {
				case <-ctx.Done():
					t.Fatal("the program never drew a frame")
				case <-time.After(5 * time.Millisecond):
				}
			}
			if c.panicky {
				keys.Write([]byte("!"))
			} else {
				keys.Write([]byte("q"))
			}
			err := <-errc
			keys.Close()
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Run: %v, want %v", err, c.wantErr)
			}
			o := out.String()
			for _, seq := range []string{"\x1b[?1049h", "\x1b[?1003h"} {
				if !strings.Contains(o, seq) {
					t.Fatalf("the program never set %q", seq)
				}
			}
			tail := o[strings.LastIndex(o, "\x1b[?1003h"):]
			for _, seq := range []string{"\x1b[?1049l", "\x1b[?1003l", "\x1b[?1006l", "\x1b[?25h"} {
				if !strings.Contains(tail, seq) {
					t.Errorf("terminal not restored: %q missing after the last mouse enable", seq)
				}
			}
		})
	}
}

// TestBoxJunctions: lines drawn with the box tool join what they meet
// the way a diagram needs, whichever is drawn first: an elbow where two
// line ends meet, a T where a line ends on a box or another line, a cross
// where they cross, and a plain end in empty space.
func TestBoxJunctions(t *testing.T) {
	line := func(c *model.Canvas, a, b model.Point) {
		s := shape{kind: shapeBox, a: a, b: b}
		c.Apply(s.ops(0, 0, func(x, y int32) rune { return c.Get(x, y).Ch }))
	}
	p := func(x, y int32) model.Point { return model.Point{X: x, Y: y} }
	for _, c := range []struct {
		name  string
		draws [][2]model.Point
		want  string
	}{
		{"elbow", [][2]model.Point{{p(0, 0), p(4, 0)}, {p(4, 0), p(4, 2)}}, "────┐\n    │\n    │"},
		{"elbow, other order", [][2]model.Point{{p(4, 0), p(4, 2)}, {p(0, 0), p(4, 0)}}, "────┐\n    │\n    │"},
		{"tee on a box", [][2]model.Point{{p(0, 0), p(4, 2)}, {p(2, 2), p(2, 4)}}, "┌───┐\n│   │\n└─┬─┘\n  │\n  │"},
		{"tee on a line", [][2]model.Point{{p(0, 1), p(4, 1)}, {p(2, 0), p(2, 1)}}, "  │\n──┴──"},
		{"cross", [][2]model.Point{{p(0, 1), p(4, 1)}, {p(2, 0), p(2, 2)}}, "  │\n──┼──\n  │"},
		{"alone", [][2]model.Point{{p(0, 0), p(0, 2)}}, "│\n│\n│"},
	} {
		cv := model.NewCanvas()
		for _, d := range c.draws {
			line(cv, d[0], d[1])
		}
		if got := model.RenderText(cv, model.Rect{W: 5, H: int32(strings.Count(c.want, "\n") + 1)}); got != c.want {
			t.Errorf("%s:\n%s\nwant:\n%s", c.name, got, c.want)
		}
	}
}

// TestTerminalPaste: text pasted into the terminal floats at the cursor
// until dropped; while typing it is typed.
func TestTerminalPaste(t *testing.T) {
	h := newHarness(t, newAuthority(t, true), "paste", "ann", model.Indexed(203))
	h.send(tea.PasteMsg{Content: "ab\r\ncd"})
	if h.m.float == nil {
		t.Fatal("a paste does not float")
	}
	h.keys("l", "space")
	h.keys("t", "j", "j", "j", "space")
	h.send(tea.PasteMsg{Content: "xy\nz"})
	h.keys("esc")
	h.sync()
	if got := canvasText(h.sess, model.Rect{X: 0, Y: 0, W: 4, H: 5}); got != " ab\n cd\n\n xy\n z" {
		t.Fatalf("canvas after pastes:\n%s", got)
	}
}
