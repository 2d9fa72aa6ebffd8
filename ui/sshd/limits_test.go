package sshd_test

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tcanvas/tcanvas/ui/sshd"
)

// closed waits for the server to close the client's connection.
func (c *client) closed() {
	c.t.Helper()
	done := make(chan struct{})
	go func() { c.conn.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		c.t.Fatalf("the server kept the connection open; the client saw:\n%s", c.text())
	}
}

// TestPerAddressCap: one address may hold MaxPerAddress sessions at once;
// the next is told why and its connection is closed, and once one of the
// first leaves there is room again.
func TestPerAddressCap(t *testing.T) {
	e := start(t, true, "", "", func(o *sshd.Options) { o.MaxPerAddress = 2 })
	a := e.connect("ann", nil, "cap")
	a.waitText("in room cap")
	b := e.connect("bo", nil, "cap")
	b.waitText("in room cap")
	c := e.connect("cy", nil, "cap")
	c.waitText("your address has 2 sessions open")
	c.closed()
	a.keys("q")
	a.exit()
	d := e.connect("di", nil, "cap")
	d.waitText("in room cap")
}

// TestMaxSessions: the door holds MaxSessions sessions at once and tells
// the next one it is full.
func TestMaxSessions(t *testing.T) {
	e := start(t, true, "", "", func(o *sshd.Options) { o.MaxSessions = 2 })
	a := e.connect("ann", nil, "full")
	a.waitText("in room full")
	b := e.connect("bo", nil, "full")
	b.waitText("in room full")
	c := e.connect("cy", nil, "full")
	c.waitText("the server is full (2 sessions)")
}

// TestRateRefusalHangsUp: a session over the per-address rate is told why
// and its whole connection is closed, not left open for more tries.
func TestRateRefusalHangsUp(t *testing.T) {
	e := start(t, true, "", "", func(o *sshd.Options) { o.SessionRate, o.SessionBurst = 0.001, 1 })
	a := e.connect("ann", nil, "rate")
	a.waitText("in room rate")
	b := e.connect("bo", nil, "rate")
	b.waitText("too many new sessions from your address")
	b.closed()
}

// TestConnectionWithoutSessionIsClosed: a client that authenticates and
// then opens no session is hung up after OpenTimeout.
func TestConnectionWithoutSessionIsClosed(t *testing.T) {
	e := start(t, true, "", "", func(o *sshd.Options) { o.HandshakeTimeout, o.OpenTimeout = time.Second, 200*time.Millisecond })
	cfg := clientConfig("idle")
	conn, err := gossh.Dial("tcp", e.ssh.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	(&client{t: t, conn: conn}).closed()
}

// freezable is a connection that, once frozen, passes nothing on in
// either direction: a client that went away without closing its socket.
type freezable struct {
	net.Conn
	mu     sync.Mutex
	frozen bool
}

func (f *freezable) freeze() { f.mu.Lock(); f.frozen = true; f.mu.Unlock() }
func (f *freezable) isFrozen() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frozen
}

func (f *freezable) Read(b []byte) (int, error) {
	for {
		n, err := f.Conn.Read(b)
		if err != nil || !f.isFrozen() {
			return n, err
		}
		// Frozen: swallow what arrives until the server hangs up.
	}
}

func (f *freezable) Write(b []byte) (int, error) {
	if f.isFrozen() {
		return len(b), nil
	}
	return f.Conn.Write(b)
}

// TestIdleTimeout: a viewer of a canvas where nothing happens stays (it
// answers the door's keepalives) past several idle timeouts, while a
// client that stops answering is hung up.
func TestIdleTimeout(t *testing.T) {
	e := start(t, true, "", "", func(o *sshd.Options) { o.IdleTimeout = 600 * time.Millisecond })
	live := e.connect("ann", nil, "quiet")
	live.waitText("in room quiet")

	nc, err := net.Dial("tcp", e.ssh.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fc := &freezable{Conn: nc}
	cfg := clientConfig("gone")
	cc, chans, reqs, err := gossh.NewClientConn(fc, "door", cfg)
	if err != nil {
		t.Fatal(err)
	}
	gone := &client{t: t, conn: gossh.NewClient(cc, chans, reqs)}
	defer gone.conn.Close()
	sess, err := gone.conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	out, _ := sess.StdoutPipe()
	if err := sess.Start("quiet"); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	for !strings.Contains(seen.String(), "seq ") {
		b := make([]byte, 4096)
		n, err := out.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		seen.Write(b[:n])
	}
	fc.freeze()
	gone.closed()

	// The live viewer sees several more idle timeouts go by.
	time.Sleep(2 * time.Second)
	select {
	case err := <-live.done:
		t.Fatalf("the live viewer was cut: %v\n%s", err, live.text())
	default:
	}
	live.keys("q")
	if st := live.exit(); st != 0 {
		t.Fatalf("exit status %d", st)
	}
}
