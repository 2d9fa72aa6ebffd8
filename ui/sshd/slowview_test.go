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
	"github.com/tcanvas/tcanvas/net/session"
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
	cfg := clientConfig("viewer")
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
	for _, v := range e.ssh.Audience() {
		if v.Remote == s.tcp.LocalAddr().String() {
			return v, true
		}
	}
	return sshd.ViewerStats{}, false
}

// welcomed waits for the door's welcome to room.
func (s *screen) welcomed(room string) {
	s.t.Helper()
	s.waitFor("the welcome", func(emu *vt.Emulator) bool { return strings.Contains(emu.String(), "you are a viewer in room "+room) })
}

// stallUntilDropped commits generation after generation of a pw×ph
// picture, each waited for on fast before the next, until the server has
// dropped stalled's backlog drops times; it returns the last generation.
// A thousand generations that never overflow stalled's backlog fail the
// test: it would prove nothing.
func stallUntilDropped(t *testing.T, e *env, bot *session.Session, fast, stalled *screen, pw, ph, drops int) int {
	t.Helper()
	for g := 0; ; g++ {
		if g == 1000 {
			v, _ := stalled.stats(e)
			t.Fatalf("%d generations and the stalled viewer's backlog was dropped %d times: %+v", g, v.Dropped, v)
		}
		if _, err := bot.Commit(stripes(g, pw, ph)); err != nil {
			t.Fatal(err)
		}
		fast.waitFor(fmt.Sprintf("generation %d", g), func(emu *vt.Emulator) bool {
			c := emu.CellAt(pw-1, ph-1)
			return c != nil && sameColor(stripeFG(pw-1, g), c.Style.Fg)
		})
		if v, _ := stalled.stats(e); v.Dropped >= drops {
			return g
		}
	}
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

// The screen cell where a marked generation's token starts.
const tokenX, tokenY = 3, 5

// commitMarked commits generation g of the pw×ph picture with token
// written over it at (tokenX, tokenY) on the screen.
func commitMarked(t *testing.T, bot *session.Session, g, pw, ph int, token string) {
	t.Helper()
	if _, err := bot.Commit(append(stripes(g, pw, ph), model.Op{Kind: model.OpText, X: viewX + tokenX, Y: viewY + tokenY, Text: token})); err != nil {
		t.Fatal(err)
	}
}

// differs describes the first cell of the w×h picture on emu that is not
// generation g's with token written over it as commitMarked writes it, or
// "".
func differs(emu *vt.Emulator, g, w, h int, token string) string {
	tx, ty := tokenX, tokenY
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
		s.welcomed("slow")
	}
	if v, ok := slow.stats(e); !ok {
		t.Fatalf("the viewer is not watching a shared canvas: %+v", e.ssh.Audience())
	} else if v.Dropped != 0 {
		t.Fatalf("dropped before it stalled: %+v", v)
	}

	slow.pause()
	paused := slow.bytes()
	// Each frame is about 80 KiB: the stalled client's SSH window (2 MiB)
	// takes some 25 of them before the server's writes block.
	const drops = 3
	g := stallUntilDropped(t, e, bot, fast, slow, pw, ph, drops)
	token := fmt.Sprintf("FINAL-%d", g+1)
	commitMarked(t, bot, g+1, pw, ph, token)
	fast.waitFor("the last generation", func(emu *vt.Emulator) bool { return differs(emu, g+1, pw, ph, token) == "" })
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
	slow.waitFor("the last generation", func(emu *vt.Emulator) bool { return differs(emu, g+1, pw, ph, token) == "" })
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
	v.welcomed("big")
	const token = "BIG-FRAME"
	commitMarked(t, bot, 7, pw, ph, token)
	v.waitFor("the picture", func(emu *vt.Emulator) bool { return differs(emu, 7, pw, ph, token) == "" })
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
	fast.welcomed("gone")
	before := goleak.IgnoreCurrent()

	slow := e.screen("gone", w, h)
	slow.welcomed("gone")
	slow.pause()
	g := stallUntilDropped(t, e, bot, fast, slow, pw, ph, 1) + 1 // its queue overflowed: the write to it is blocked
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
	commitMarked(t, bot, g, pw, ph, token)
	fast.waitFor("the group going on", func(emu *vt.Emulator) bool { return differs(emu, g, pw, ph, token) == "" })
	if a := e.ssh.Audience(); len(a) != 1 {
		t.Fatalf("viewers: %+v", a)
	}
}
