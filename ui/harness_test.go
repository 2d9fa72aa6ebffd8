package ui

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite the golden screens in testdata")

// The pinned screen: golden files do not depend on the terminal running
// the tests.
const (
	screenW = 80
	screenH = 24
	profile = colorprofile.ANSI256
)

// authorityEnv is a real authority on a loopback port, as the binary runs it.
type authorityEnv struct {
	base string
}

func newAuthority(t testing.TB, open bool) *authorityEnv {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := authority.New(authority.Options{Store: st, Open: open})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	done := make(chan struct{})
	go func() { hs.Serve(ln); close(done) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		hs.Shutdown(ctx)
		<-done
		st.Close()
	})
	return &authorityEnv{base: "http://" + ln.Addr().String()}
}

func (a *authorityEnv) link(room string) string { return a.base + "/r/" + room }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial joins a room as a plain session (a second participant whose events
// the test drains).
func dial(t testing.TB, ctx context.Context, link, name string, col model.Color) *session.Session {
	t.Helper()
	s, err := session.Dial(ctx, link, sessionOptions(name, col))
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-s.Events():
			case <-s.Done():
				return
			}
		}
	}()
	t.Cleanup(func() { s.Close(); <-done })
	return s
}

// sessionOptions: presence goes through the relay, so the peer list's
// route column does not depend on how fast WebRTC connects.
func sessionOptions(name string, col model.Color) session.Options {
	id := "c-" + name
	if wire.CheckID("client", id) != nil {
		id = fmt.Sprintf("c-%x", name) // client IDs are printable ASCII
	}
	return session.Options{Name: name, Color: col, ClientID: id, NoMesh: true,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
}

// harness drives a Model the way Bubble Tea does, one message at a time,
// over a real session; commands are not run, the harness feeds the
// session's events itself, so a test decides when the network catches up.
type harness struct {
	t     testing.TB
	ctx   context.Context
	sess  *session.Session
	m     *Model
	clock time.Time
}

func newHarness(t testing.TB, a *authorityEnv, room, name string, col model.Color, opt ...func(*Options)) *harness {
	t.Helper()
	ctx := testCtx(t)
	s, err := session.Dial(ctx, a.link(room), sessionOptions(name, col))
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	h := &harness{t: t, ctx: ctx, sess: s, clock: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	o := Options{Width: screenW, Height: screenH, MaxFPS: -1, Profile: profile, Now: func() time.Time { return h.clock },
		Share: "tcanvas join http://canvas.example/r/" + room}
	for _, f := range opt {
		f(&o)
	}
	h.m = New(ctx, s, o)
	h.drain()
	return h
}

// send delivers messages to Update, as the program's event loop would.
func (h *harness) send(msgs ...tea.Msg) {
	for _, msg := range msgs {
		h.m.Update(msg)
	}
}

// keyMsg turns a key name as tea prints it ("space", "ctrl+z", "shift+up",
// "U") into the key press a terminal would produce.
func keyMsg(s string) tea.KeyPressMsg {
	named := map[string]rune{
		"space": ' ', "enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab,
		"backspace": tea.KeyBackspace, "delete": tea.KeyDelete, "up": tea.KeyUp, "down": tea.KeyDown,
		"left": tea.KeyLeft, "right": tea.KeyRight, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome,
	}
	var mod tea.KeyMod
	for {
		switch {
		case strings.HasPrefix(s, "ctrl+") && len(s) > 5:
			mod |= tea.ModCtrl
			s = s[5:]
			continue
		case strings.HasPrefix(s, "shift+") && len(s) > 6:
			mod |= tea.ModShift
			s = s[6:]
			continue
		case strings.HasPrefix(s, "alt+") && len(s) > 4:
			mod |= tea.ModAlt
			s = s[4:]
			continue
		}
		break
	}
	if c, ok := named[s]; ok {
		k := tea.KeyPressMsg{Code: c, Mod: mod}
		if s == "space" && mod == 0 {
			k.Text = " "
		}
		return k
	}
	r, _ := utf8.DecodeRuneInString(s)
	if mod != 0 {
		return tea.KeyPressMsg{Code: r, Mod: mod}
	}
	return tea.KeyPressMsg{Code: r, Text: s}
}

func (h *harness) keys(keys ...string) {
	for _, k := range keys {
		h.send(keyMsg(k))
	}
}

// typeText types s one key at a time ('\n' is enter).
func (h *harness) typeText(s string) {
	for _, r := range s {
		if r == '\n' {
			h.keys("enter")
			continue
		}
		if r == ' ' {
			h.keys("space")
			continue
		}
		h.keys(string(r))
	}
}

// repeat presses k n times.
func (h *harness) repeat(k string, n int) {
	for range n {
		h.keys(k)
	}
}

// tap is a left click: press and release on one cell.
func (h *harness) tap(x, y int) {
	h.send(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft}, tea.MouseReleaseMsg{X: x, Y: y, Button: tea.MouseLeft})
}

// peer finds a peer's presence state by name.
func (h *harness) peer(name string) *peerState {
	for id, p := range h.m.roster {
		if p.Name == name {
			return h.m.peers[id]
		}
	}
	return nil
}

// drag presses at the first point, moves through the others and releases
// at the last, with button b.
func (h *harness) drag(b tea.MouseButton, pts ...[2]int) {
	h.send(tea.MouseClickMsg{X: pts[0][0], Y: pts[0][1], Button: b})
	for _, p := range pts[1:] {
		h.send(tea.MouseMotionMsg{X: p[0], Y: p[1], Button: b})
	}
	last := pts[len(pts)-1]
	h.send(tea.MouseReleaseMsg{X: last[0], Y: last[1], Button: b})
}

// drain feeds the events already queued to the model.
func (h *harness) drain() {
	for {
		select {
		case ev := <-h.sess.Events():
			h.send(eventsMsg{ev})
		default:
			return
		}
	}
}

// waitFor feeds events until cond holds; it fails the test when the
// context's deadline passes first (a timeout, not a timing assertion).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	for {
		h.drain()
		if cond() {
			return
		}
		select {
		case ev := <-h.sess.Events():
			h.send(eventsMsg{ev})
		case <-time.After(10 * time.Millisecond):
		case <-h.ctx.Done():
			h.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// sync waits until our commits are acknowledged and their events handled,
// so that the status bar's seq and pending count are settled.
func (h *harness) sync() {
	h.t.Helper()
	if err := h.sess.Sync(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	seq := h.sess.Info().Seq
	h.waitFor("our commits to settle", func() bool { return h.sess.Info().Pending == 0 && h.sess.Info().Seq == seq })
}

// screen returns the frame as plain text (trailing spaces trimmed) and as
// styled text at the pinned colour profile.
func (h *harness) screen() (plain, styled string) {
	v := h.m.View()
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: profile}
	w.WriteString(v.Content)
	lines := strings.Split(ansi.Strip(v.Content), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	plain = strings.Join(lines, "\n") + "\n"
	if v.Cursor != nil {
		plain += "cursor " + strconv.Itoa(v.Cursor.X) + "," + strconv.Itoa(v.Cursor.Y) + "\n"
	}
	return plain, b.String()
}

// golden compares the screen with testdata/NAME.txt (what a user reads)
// and NAME.ansi (every colour and attribute); -update rewrites them.
func (h *harness) golden(name string) {
	h.t.Helper()
	plain, styled := h.screen()
	for _, f := range []struct{ ext, got string }{{".txt", plain}, {".ansi", styled}} {
		path := filepath.Join("testdata", name+f.ext)
		if *update {
			if err := os.WriteFile(path, []byte(f.got), 0o644); err != nil {
				h.t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			h.t.Fatalf("%v (run go test ./ui -update to create it)", err)
		}
		if string(want) != f.got {
			if f.ext == ".txt" {
				h.t.Errorf("screen %s differs from %s:\n--- got\n%s--- want\n%s", name, path, f.got, want)
			} else {
				h.t.Errorf("styles of screen %s differ from %s (the text matches: colours or attributes changed)", name, path)
			}
		}
	}
}

// text returns the canvas cells of r as text, from the session's view.
func canvasText(s *session.Session, r model.Rect) string {
	return model.RenderText(s.Canvas(), r)
}

// presence has peer s point at p, with the rest of pres.
func point(s *session.Session, p model.Point, pres wire.Presence) {
	pres.HasCursor, pres.Cursor = true, p
	s.SetPresence(pres)
}
