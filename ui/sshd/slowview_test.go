package sshd_test

import (
	"fmt"
	"image/color"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui/sshd"
)

// screen is an SSH client with a pty, as `ssh -t` opens one, whose output
// a terminal emulator shows. Its reading can be paused, as a stopped ssh
// client or a stalled link stops reading: the SSH channel's window then
// fills and the server's writes block.
type screen struct {
	t      *testing.T
	tcp    net.Conn
	conn   *gossh.Client
	sess   *gossh.Session
	mu     sync.Mutex
	cond   *sync.Cond
	paused bool
	raw    []byte // everything read, fed to emu on demand
	fed    int
	emu    *vt.Emulator
	read   chan struct{} // the reader ended
	drain  chan struct{} // the emulator's replies are drained
	once   sync.Once
}

func (e *env) screen(command string, w, h int) *screen {
	e.t.Helper()
	cfg := &gossh.ClientConfig{User: "viewer", HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })}}
	addr := e.ssh.Addr().String()
	tcp, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		e.t.Fatal(err)
	}
	c, chans, reqs, err := gossh.NewClientConn(tcp, addr, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	conn := gossh.NewClient(c, chans, reqs)
	sess, err := conn.NewSession()
	if err != nil {
		e.t.Fatal(err)
	}
	s := &screen{t: e.t, tcp: tcp, conn: conn, sess: sess, emu: vt.NewEmulator(w, h), read: make(chan struct{}), drain: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	// Every cell in its own colour makes big frames from small commits.
	if err := sess.Setenv("COLORTERM", "truecolor"); err != nil {
		e.t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		e.t.Fatal(err)
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	// The emulator answers the program's queries on its input; nobody
	// types, so the answers are dropped.
	go func() { defer close(s.drain); io.Copy(io.Discard, s.emu) }()
	go func() {
		defer close(s.read)
		b := make([]byte, 32<<10)
		for {
			s.mu.Lock()
			for s.paused {
				s.cond.Wait()
			}
			s.mu.Unlock()
			n, err := out.Read(b)
			s.mu.Lock()
			s.raw = append(s.raw, b[:n]...)
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	if err := sess.Start(command); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(s.close)
	return s
}

// close hangs up and waits for the client's goroutines.
func (s *screen) close() {
	s.once.Do(func() {
		s.resume()
		s.sess.Close()
		s.conn.Close()
		<-s.read
		// Not emu.Close, which races with the drain's Read.
		s.emu.InputPipe().(*io.PipeWriter).Close()
		<-s.drain
	})
}

func (s *screen) pause() {
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
}

func (s *screen) resume() {
	s.mu.Lock()
	s.paused = false
	s.mu.Unlock()
	s.cond.Broadcast()
}

// bytes is how much the client has read.
func (s *screen) bytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.raw)
}

// look runs f on the screen as the bytes read so far draw it.
func (s *screen) look(f func(emu *vt.Emulator)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emu.Write(s.raw[s.fed:])
	s.fed = len(s.raw)
	f(s.emu)
}

func (s *screen) text() (plain string) {
	s.look(func(emu *vt.Emulator) { plain = emu.String() })
	return plain
}

// waitFor polls the screen until cond holds (a hang guard, not a
// deadline the test measures anything with).
func (s *screen) waitFor(what string, cond func(emu *vt.Emulator) bool) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := false
		s.look(func(emu *vt.Emulator) { ok = cond(emu) })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; the screen:\n%s", what, s.text())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stats is the server's record of this client as a viewer of a shared
// canvas; false when it watches none.
func (s *screen) stats(e *env) (sshd.ViewerStats, bool) {
	for _, v := range e.ssh.Audience().Viewers {
		if v.Remote == s.tcp.LocalAddr().String() {
			return v, true
		}
	}
	return sshd.ViewerStats{}, false
}

// The canvas cell at a viewer's top-left corner (ui.Model starts there).
const viewX, viewY = -2, -1

// stripes is generation g of a picture that fills a viewer's top-left w×h
// cells: one-column rectangles, each cell a different colour from its
// neighbours, so that a generation's frame redraws every cell with its own
// colour sequence (tens of bytes a cell) while the commit is a few bytes a
// column. A cell's colour says its generation.
func stripes(g, w, h int) []model.Op {
	ops := make([]model.Op, 0, w)
	for x := range w {
		ops = append(ops, model.Op{Kind: model.OpRect, X: int32(viewX + x), Y: viewY, W: 1, H: int32(h), Ch: stripeCh(x, g), FG: stripeFG(x, g), BG: stripeBG(x, g)})
	}
	return ops
}

func stripeCh(x, g int) rune        { return rune('a' + (x+g)%26) }
func stripeFG(x, g int) model.Color { return model.RGB(uint8(x), uint8(g), uint8(g>>8)) }
func stripeBG(x, g int) model.Color { return model.RGB(uint8(g), 100, uint8(x)) }

// sameColor compares a model colour with a terminal's.
func sameColor(m model.Color, c color.Color) bool {
	if c == nil {
		return false
	}
	r, g, b, _ := c.RGBA()
	return m == model.RGB(uint8(r>>8), uint8(g>>8), uint8(b>>8))
}

// differs describes the first cell of the w×h picture on emu that is not
// generation g's with token written over it at (tx, ty) on the screen, or
// "".
func differs(emu *vt.Emulator, g, w, h int, token string, tx, ty int) string {
	for y := range h {
		for x := range w {
			c := emu.CellAt(x, y)
			if c == nil {
				return fmt.Sprintf("no cell at %d,%d", x, y)
			}
			if y == ty && x >= tx && x < tx+len(token) {
				if want := string(token[x-tx]); c.Content != want {
					return fmt.Sprintf("%d,%d shows %q, not %q of the token", x, y, c.Content, want)
				}
				continue
			}
			if c.Content != string(stripeCh(x, g)) || !sameColor(stripeFG(x, g), c.Style.Fg) || !sameColor(stripeBG(x, g), c.Style.Bg) {
				return fmt.Sprintf("%d,%d shows %q in %v on %v, not generation %d's %q", x, y, c.Content, c.Style.Fg, c.Style.Bg, g, stripeCh(x, g))
			}
		}
	}
	return ""
}

// startBig is an authority whose store budgets let a bot repaint a
// screenful of coloured cells every few milliseconds.
func startBig(t *testing.T) *env {
	big := authority.Budget{StoreBytes: 256 << 20, RoomStoreBytes: 256 << 20, AddrStoreBytes: 256 << 20}
	return startWith(t, authority.Options{Open: true, Budget: big}, wire.RoleViewer, "")
}

// TestStalledViewer: two viewers share the rendering of one room; one stops
// reading while a bot repaints the canvas many times over. The server
// holds a bounded backlog for the stalled one and drops it (more than
// once), the reading one sees every generation as it is committed and then
// the last, and the stalled one, reading again, converges to exactly the
// last screen: none of what it missed is left on it.
func TestStalledViewer(t *testing.T) {
	e := startBig(t)
	ctx := ctxT(t)
	bot := e.observer(ctx, "slow")
	const w, h = 100, 30
	pw, ph := w, h-2 // the picture: the canvas rows above the message and status lines
	fast := e.screen("slow", w, h)
	slow := e.screen("slow", w, h)
	for _, s := range []*screen{fast, slow} {
		s.waitFor("the welcome", func(emu *vt.Emulator) bool { return strings.Contains(emu.String(), "you are a viewer in room slow") })
	}
	if v, ok := slow.stats(e); !ok {
		t.Fatalf("the viewer is not watching a shared canvas: %+v", e.ssh.Audience())
	} else if v.Dropped != 0 {
		t.Fatalf("dropped before it stalled: %+v", v)
	}

	slow.pause()
	paused := slow.bytes()
	commit := func(ops []model.Op) {
		t.Helper()
		if _, err := bot.Commit(ops); err != nil {
			t.Fatal(err)
		}
	}
	// Repaint until the stalled viewer's backlog was dropped a few times,
	// each generation seen by the reading viewer before the next. Each
	// frame is about 80 KiB: the stalled client's SSH window (2 MiB) takes
	// some 25 of them before the server's writes block.
	const drops = 3
	g := 0
	for ; ; g++ {
		if g == 1000 {
			v, _ := slow.stats(e)
			t.Fatalf("%d generations and the stalled viewer's backlog was dropped %d times: %+v", g, v.Dropped, v)
		}
		commit(stripes(g, pw, ph))
		fast.waitFor(fmt.Sprintf("generation %d", g), func(emu *vt.Emulator) bool {
			c := emu.CellAt(pw-1, ph-1)
			return c != nil && sameColor(stripeFG(pw-1, g), c.Style.Fg)
		})
		if v, _ := slow.stats(e); v.Dropped >= drops {
			break
		}
	}
	token := fmt.Sprintf("FINAL-%d", g+1)
	commit(append(stripes(g+1, pw, ph), model.Op{Kind: model.OpText, X: viewX + 3, Y: viewY + 5, Text: token}))
	fast.waitFor("the last generation", func(emu *vt.Emulator) bool { return differs(emu, g+1, pw, ph, token, 3, 5) == "" })
	v, ok := slow.stats(e)
	if !ok {
		t.Fatalf("the stalled viewer left its group: %+v", e.ssh.Audience())
	}
	// One read may have been under way when the client paused.
	if got := slow.bytes() - paused; got > 32<<10 {
		t.Fatalf("the stalled client read %d bytes", got)
	}
	if v.MaxHeld > 2*sshd.MaxBehind {
		t.Fatalf("the server held %d bytes for the stalled viewer (queued, and a blocked write of at most what was queued): %+v", v.MaxHeld, v)
	}
	if strings.Contains(slow.text(), "FINAL") {
		t.Fatal("the stalled client shows the last generation before it read it")
	}
	if f, _ := fast.stats(e); f.Dropped != 0 || !f.InSync {
		t.Fatalf("the reading viewer missed frames: %+v", f)
	}
	t.Logf("%d generations, %d bytes to the reading viewer; for the stalled one: %+v", g+2, fast.bytes(), v)

	slow.resume()
	slow.waitFor("the last generation", func(emu *vt.Emulator) bool { return differs(emu, g+1, pw, ph, token, 3, 5) == "" })
	var want, got string
	fast.look(func(emu *vt.Emulator) { want = emu.Render() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		slow.look(func(emu *vt.Emulator) { got = emu.Render() })
		if got == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the caught-up viewer's screen is not the reading one's:\n%s\n--- the reading viewer's:\n%s", slow.text(), fast.text())
		}
	}
	if n := slow.bytes(); n >= fast.bytes() {
		t.Fatalf("the stalled viewer read %d bytes, the reading one %d: it skipped nothing", n, fast.bytes())
	}
}

// TestFrameBiggerThanTheBacklog: on a big terminal a colourful canvas
// draws frames past MaxBehind on their own; a viewer that has nothing
// queued still gets each one (and so the repaints that bring it back),
// rather than falling behind forever.
func TestFrameBiggerThanTheBacklog(t *testing.T) {
	e := startBig(t)
	ctx := ctxT(t)
	bot := e.observer(ctx, "big")
	const w, h = 200, 60
	pw, ph := w, h-2
	v := e.screen("big", w, h)
	v.waitFor("the welcome", func(emu *vt.Emulator) bool { return strings.Contains(emu.String(), "you are a viewer in room big") })
	const token = "BIG-FRAME"
	if _, err := bot.Commit(append(stripes(7, pw, ph), model.Op{Kind: model.OpText, X: viewX + 3, Y: viewY + 5, Text: token})); err != nil {
		t.Fatal(err)
	}
	v.waitFor("the picture", func(emu *vt.Emulator) bool { return differs(emu, 7, pw, ph, token, 3, 5) == "" })
	if n := v.bytes(); n <= sshd.MaxBehind {
		t.Fatalf("the whole screen took %d bytes: not past MaxBehind, this proves nothing", n)
	}
	t.Logf("%d bytes; %+v", v.bytes(), e.ssh.Audience())
}

// TestStalledViewerHangsUp: a viewer whose client stopped reading, so that
// the server is blocked writing to it, and whose connection then breaks
// (a reset: no SSH goodbye, no EOF) leaves its group and ends every
// goroutine the server had for it, while the group goes on for the other.
func TestStalledViewerHangsUp(t *testing.T) {
	e := startBig(t)
	ctx := ctxT(t)
	bot := e.observer(ctx, "gone")
	const w, h = 100, 30
	pw, ph := w, h-2
	fast := e.screen("gone", w, h)
	fast.waitFor("the welcome", func(emu *vt.Emulator) bool { return strings.Contains(emu.String(), "you are a viewer in room gone") })
	before := goleak.IgnoreCurrent()

	slow := e.screen("gone", w, h)
	slow.waitFor("the welcome", func(emu *vt.Emulator) bool { return strings.Contains(emu.String(), "you are a viewer in room gone") })
	slow.pause()
	g := 0
	for ; ; g++ {
		if v, _ := slow.stats(e); v.Dropped > 0 {
			break // its queue overflowed: the write to it is blocked
		}
		if g == 1000 {
			t.Fatalf("%d generations and the stalled viewer's backlog was never dropped", g)
		}
		if _, err := bot.Commit(stripes(g, pw, ph)); err != nil {
			t.Fatal(err)
		}
		fast.waitFor(fmt.Sprintf("generation %d", g), func(emu *vt.Emulator) bool {
			c := emu.CellAt(pw-1, ph-1)
			return c != nil && sameColor(stripeFG(pw-1, g), c.Style.Fg)
		})
	}
	if v, _ := slow.stats(e); v.Sending == 0 {
		t.Fatalf("no write in progress to the stalled viewer: %+v", v)
	}
	tcp := slow.tcp.(*net.TCPConn)
	if err := tcp.SetLinger(0); err != nil { // close with a reset
		t.Fatal(err)
	}
	tcp.Close()
	slow.close()

	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, watching := slow.stats(e)
		// The group's program goes on for the other viewer, its commands
		// (the wait for the next event, a timer) each a new goroutine.
		err := goleak.Find(before,
			goleak.IgnoreTopFunction("github.com/tcanvas/tcanvas/ui.(*Model).update.(*Model).waitEvents.func1"),
			goleak.IgnoreTopFunction("github.com/tcanvas/tcanvas/ui.(*Model).update.(*Model).after.func2"))
		if !watching && err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the viewer is still watching (%v) or left goroutines: %v", watching, err)
		}
	}
	const token = "STILL-HERE"
	if _, err := bot.Commit(append(stripes(g, pw, ph), model.Op{Kind: model.OpText, X: viewX + 3, Y: viewY + 5, Text: token})); err != nil {
		t.Fatal(err)
	}
	fast.waitFor("the group going on", func(emu *vt.Emulator) bool { return differs(emu, g, pw, ph, token, 3, 5) == "" })
	if a := e.ssh.Audience(); len(a.Viewers) != 1 {
		t.Fatalf("viewers: %+v", a.Viewers)
	}
}
