package sshd_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tcanvas/tcanvas/model"
	"github.com/tcanvas/tcanvas/net/authority"
	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui/sshd"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is an authority and an SSH front door on loopback ports, in this
// process, wired as `tcanvas serve --ssh` wires them.
type env struct {
	t    *testing.T
	base string
	srv  *authority.Server
	ssh  *sshd.Server
}

func start(t *testing.T, open bool, role wire.Role, keys string, mods ...func(*sshd.Options)) *env {
	t.Helper()
	return startWith(t, authority.Options{Open: open}, role, keys, mods...)
}

// startWith is start with the authority's options (its store is set here).
func startWith(t *testing.T, aopts authority.Options, role wire.Role, keys string, mods ...func(*sshd.Options)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	aopts.Store = st
	srv, err := authority.New(aopts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	served := make(chan struct{})
	go func() { defer close(served); hs.Serve(ln) }()
	e := &env{t: t, base: "http://" + ln.Addr().String(), srv: srv}
	opts := sshd.Options{
		Authority: e.base, HostKeyPath: filepath.Join(dir, "host_key"), Role: role,
		Grant: func(ctx context.Context, room string, r wire.Role) (string, error) {
			tok, err := srv.Grant(ctx, room, r)
			if errors.Is(err, authority.ErrNoRoom) {
				return "", sshd.ErrNoRoom
			}
			return tok, err
		},
		Session:      session.Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
		SessionBurst: 100,
	}
	if keys != "" {
		path := filepath.Join(dir, "keys")
		if err := os.WriteFile(path, []byte(keys), 0o600); err != nil {
			t.Fatal(err)
		}
		if opts.Keys, err = sshd.LoadKeys(path, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, mod := range mods {
		mod(&opts)
	}
	e.ssh, err = sshd.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.ssh.Serve(sln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.ssh.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		srv.Shutdown(ctx)
		hs.Shutdown(ctx)
		<-served
		st.Close()
	})
	if _, err := os.Stat(opts.HostKeyPath); err != nil {
		t.Fatalf("no host key generated: %v", err)
	}
	return e
}

// observer joins a room to watch the canvas.
func (e *env) observer(ctx context.Context, room string) *session.Session {
	e.t.Helper()
	s, err := session.Dial(ctx, e.base+"/r/"+room, session.Options{Name: "obs", NoMesh: true})
	if err != nil {
		e.t.Fatal(err)
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
	e.t.Cleanup(func() { s.Close(); <-done })
	return s
}

// client is an SSH session with a terminal, as `ssh -t` opens one.
type client struct {
	t    *testing.T
	conn *gossh.Client
	sess *gossh.Session
	in   io.WriteCloser
	mu   sync.Mutex
	out  strings.Builder
	done chan error
}

// clientConfig is an SSH client's, as `ssh` with no key of its own: the
// door's keyboard-interactive sign-in, answered with nothing.
func clientConfig(user string) *gossh.ClientConfig {
	return &gossh.ClientConfig{User: user, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
		Auth: []gossh.AuthMethod{gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) { return nil, nil })}}
}

func (e *env) connect(user string, signer gossh.Signer, command string) *client {
	e.t.Helper()
	cfg := clientConfig(user)
	if signer != nil {
		cfg.Auth = append([]gossh.AuthMethod{gossh.PublicKeys(signer)}, cfg.Auth...)
	}
	conn, err := gossh.Dial("tcp", e.ssh.Addr().String(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	sess, err := conn.NewSession()
	if err != nil {
		e.t.Fatal(err)
	}
	c := &client{t: e.t, conn: conn, sess: sess, done: make(chan error, 1)}
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{}); err != nil {
		e.t.Fatal(err)
	}
	c.in, _ = sess.StdinPipe()
	out, _ := sess.StdoutPipe()
	sess.Stderr = lockedWriter{c}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := out.Read(b)
			c.mu.Lock()
			c.out.Write(b[:n])
			c.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	if err := sess.Start(command); err != nil {
		e.t.Fatal(err)
	}
	go func() { c.done <- sess.Wait() }()
	e.t.Cleanup(func() { sess.Close(); conn.Close() })
	return c
}

// lockedWriter appends to the client's output under its lock (stderr
// arrives on a goroutine of its own).
type lockedWriter struct{ c *client }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.out.Write(b)
}

// text is everything shown so far, escape sequences removed.
func (c *client) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ansi.Strip(c.out.String())
}

func (c *client) waitText(s string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(c.text(), s) {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %q; the client saw:\n%s", s, c.text())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (c *client) keys(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.in, s); err != nil {
		c.t.Fatal(err)
	}
}

// exit waits for the session to end and returns its status.
func (c *client) exit() int {
	c.t.Helper()
	select {
	case err := <-c.done:
		var ee *gossh.ExitError
		if errors.As(err, &ee) {
			return ee.ExitStatus()
		}
		if err != nil {
			c.t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		c.t.Fatalf("the session did not end; it showed:\n%s", c.text())
		return -1
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newKey(t *testing.T) (gossh.Signer, string) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey())))
}

// TestViewerLinkToAnOpenRoom: with --ssh-role viewer, an anonymous user in
// an open room (where anyone could draw) is a viewer, the authority
// refuses their stroke, and they quit cleanly.
func TestViewerLinkToAnOpenRoom(t *testing.T) {
	e := start(t, true, wire.RoleViewer, "")
	ctx := ctxT(t)
	obs := e.observer(ctx, "demo")
	c := e.connect("vera", nil, "demo")
	c.waitText("you are a viewer in room demo")
	c.waitText("READ-ONLY")
	c.keys("  ") // space, space: a pen stroke, for an editor
	c.waitText("read-only")
	c.keys("q")
	if code := c.exit(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if err := obs.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if obs.Info().Seq != 0 {
		t.Fatalf("a viewer's stroke landed: seq %d", obs.Info().Seq)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		found := false
		for _, p := range obs.Roster() {
			found = found || p.Name == "vera"
		}
		if !found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("vera is still in the room after quitting")
		}
	}
}

// TestKeyGivesEditorInAClosedRoom: a key mapped to editor draws in a room
// that is not open; an unknown key is anonymous (viewer); --view lowers
// the editor to a viewer.
func TestKeyGivesEditorInAClosedRoom(t *testing.T) {
	editor, line := newKey(t)
	stranger, _ := newKey(t)
	e := start(t, false, "", "# the host\neditor "+line+"\n")
	ctx := ctxT(t)
	obs := e.observer(ctx, "closed") // creates it, and owns it
	if obs.Info().Role != wire.RoleOwner {
		t.Fatalf("observer is %s", obs.Info().Role)
	}
	ed := e.connect("ed", editor, "closed")
	ed.waitText("you are an editor in room closed")
	ed.keys("  ")
	deadline := time.Now().Add(20 * time.Second)
	for obs.Get(0, 0).Ch != '#' {
		if time.Now().After(deadline) {
			t.Fatalf("the editor's stroke never reached the room; the client saw:\n%s", ed.text())
		}
		time.Sleep(10 * time.Millisecond)
	}
	anon := e.connect("anna", stranger, "closed")
	anon.waitText("you are a viewer in room closed")
	view := e.connect("ed", editor, "closed --view")
	view.waitText("you are a viewer in room closed")
	for _, c := range []*client{ed, anon, view} {
		c.keys("q")
		if code := c.exit(); code != 0 {
			t.Fatalf("exit status %d", code)
		}
	}
}

// TestRoomsThatDoNotExist: a viewer cannot create a room; an editor can,
// and becomes its owner.
func TestRoomsThatDoNotExist(t *testing.T) {
	_, line := newKey(t)
	e := start(t, false, wire.RoleViewer, "editor "+line)
	c := e.connect("v", nil, "nowhere")
	if code := c.exit(); code != 1 || !strings.Contains(c.text(), `no room "nowhere"`) {
		t.Fatalf("viewer in a new room: status %d, saw:\n%s", code, c.text())
	}
	bad := e.connect("v", nil, "bad/room")
	if code := bad.exit(); code != 1 || !strings.Contains(bad.text(), "usage: ssh") {
		t.Fatalf("a bad room name: status %d, saw:\n%s", code, bad.text())
	}
}

// TestResize: a window change reaches the canvas: the status bar, 80
// columns wide, has no room for the toolbar; at 120 it shows it, on the
// new last row.
func TestResize(t *testing.T) {
	e := start(t, true, "", "")
	c := e.connect("rosa", nil, "r")
	c.waitText("you are an owner in room r")
	if strings.Contains(c.text(), "8select") {
		t.Fatalf("the toolbar fits in 80 columns? The screen:\n%s", c.text())
	}
	if err := c.sess.WindowChange(30, 120); err != nil {
		t.Fatal(err)
	}
	c.waitText("8select")
	c.mu.Lock()
	raw := c.out.String()
	c.mu.Unlock()
	if !strings.Contains(raw, "\x1b[30;") {
		t.Fatalf("nothing drawn on row 30 after the resize: %q", raw[max(0, len(raw)-1500):])
	}
	c.keys("q")
	c.exit()
}

// TestShutdownEndsSessions: shutting the front door down ends the canvases
// and says why.
func TestShutdownEndsSessions(t *testing.T) {
	e := start(t, true, "", "")
	c := e.connect("sam", nil, "s")
	c.waitText("welcome, sam")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.ssh.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	c.exit()
	if !strings.Contains(c.text(), "shutting down") {
		t.Fatalf("saw:\n%s", c.text())
	}
}

func TestParseKeys(t *testing.T) {
	_, a := newKey(t)
	_, b := newKey(t)
	roles, err := sshd.ParseKeys([]byte("# comment\n\nviewer " + a + "\n" + b + " bob@host\n"))
	if err != nil || len(roles) != 2 {
		t.Fatalf("%v %v", roles, err)
	}
	var got []string
	for _, r := range roles {
		got = append(got, string(r))
	}
	if !strings.Contains(strings.Join(got, ","), "viewer") || !strings.Contains(strings.Join(got, ","), "editor") {
		t.Fatalf("roles %v", got)
	}
	for _, bad := range []string{"owner " + a, "editor ssh-ed25519 notbase64", "viewer"} {
		if _, err := sshd.ParseKeys([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestWideTextThroughTheDoor: text typed over SSH with CJK and an emoji
// lands as two-cell characters, and a wide character someone else commits
// reaches the SSH terminal.
func TestWideTextThroughTheDoor(t *testing.T) {
	e := start(t, true, wire.RoleEditor, "")
	ctx := ctxT(t)
	obs := e.observer(ctx, "wide")
	c := e.connect("ed", nil, "wide")
	c.waitText("you are an editor in room wide")
	c.keys("t ")
	c.waitText("typing")
	c.keys("漢字 😀\x1b")
	for deadline := time.Now().Add(20 * time.Second); obs.Get(5, 0).Ch != '😀'; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the typed text never reached the room: %q; the client saw:\n%s", model.RenderText(obs.Canvas(), model.Rect{W: 8, H: 1}), c.text())
		}
	}
	if got := model.RenderText(obs.Canvas(), model.Rect{W: 8, H: 1}); got != "漢字 😀" || !obs.Get(1, 0).IsContinuation() {
		t.Fatalf("room holds %q", got)
	}
	if _, err := obs.Commit([]model.Op{{Kind: model.OpText, Y: 2, Text: "日本"}}); err != nil {
		t.Fatal(err)
	}
	c.waitText("日本")
	c.keys("q")
	if code := c.exit(); code != 0 {
		t.Fatalf("exit status %d", code)
	}
}
