package sshd

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/ratelimiter"
	gossh "golang.org/x/crypto/ssh"

	"github.com/tcanvas/tcanvas/ui"
)

// What one client may hold of the door, beyond the per-address session
// rate: a terminal size (ui.MaxWidth×ui.MaxHeight, whatever the pty asks),
// a number of sessions at once per address, and a connection only while it
// is used (a connection with no session is closed after OpenTimeout; one
// that answers nothing, not even keepalives, after IdleTimeout).

// addrKey is the address limits count by: the client's IP.
func addrKey(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}

// hangUp closes the SSH connection that carries sess: a client refused
// for what it does must not keep the connection (and its slot) open.
func hangUp(sess ssh.Session) {
	if c, ok := sess.Context().Value(ssh.ContextKeyConn).(gossh.Conn); ok {
		c.Close()
	}
}

// limitRate refuses a session over the per-address rate, says why, and
// hangs up the whole connection.
func (s *Server) limitRate(next ssh.Handler) ssh.Handler {
	lim := ratelimiter.NewRateLimiter(s.opts.SessionRate, s.opts.SessionBurst, 10_000)
	return func(sess ssh.Session) {
		if err := lim.Allow(sess); err != nil {
			s.log.Info("ssh session refused: rate", "remote", sess.RemoteAddr().String())
			wish.Fatalln(sess, fmt.Sprintf("tcanvas: too many new sessions from your address (at most %g a second, %d at once); try again in a few seconds",
				float64(s.opts.SessionRate), s.opts.SessionBurst))
			hangUp(sess)
			return
		}
		next(sess)
	}
}

// perAddress counts open sessions by address.
type perAddress struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *perAddress) take(key string, max int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == nil {
		p.n = map[string]int{}
	}
	if p.n[key] >= max {
		return false
	}
	p.n[key]++
	return true
}

func (p *perAddress) give(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n[key]--; p.n[key] <= 0 {
		delete(p.n, key)
	}
}

// limitAddress refuses a session beyond MaxPerAddress open sessions from
// its address, and hangs up.
func (s *Server) limitAddress(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		key := addrKey(sess.RemoteAddr())
		if !s.perAddr.take(key, s.opts.MaxPerAddress) {
			s.log.Info("ssh session refused: per-address cap", "remote", sess.RemoteAddr().String())
			wish.Fatalln(sess, fmt.Sprintf("tcanvas: your address has %d sessions open, the most one address may; close one first", s.opts.MaxPerAddress))
			hangUp(sess)
			return
		}
		defer s.perAddr.give(key)
		next(sess)
	}
}

// connState is what the door tracks per SSH connection: its open sessions,
// so that a connection without one is closed after OpenTimeout.
type connState struct {
	sessions atomic.Int32
	conn     net.Conn
	timeout  time.Duration
	mu       sync.Mutex
	timer    *time.Timer
}

type connStateKey struct{}

// arm closes the connection after d unless a session is open by then.
func (c *connState) arm(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(d, func() {
		if c.sessions.Load() == 0 {
			c.conn.Close()
		}
	})
}

func (c *connState) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
	}
}

// trackConn is the server's ConnCallback: every new connection gets
// OpenTimeout to open a session, after the handshake's own time (a crowd
// arriving at once on a busy machine can take seconds to shake hands).
func (s *Server) trackConn(ctx ssh.Context, conn net.Conn) net.Conn {
	st := &connState{conn: conn, timeout: s.opts.OpenTimeout}
	ctx.SetValue(connStateKey{}, st)
	st.arm(s.opts.HandshakeTimeout + s.opts.OpenTimeout)
	context.AfterFunc(ctx, st.stop)
	return conn
}

// trackSession counts a session on its connection, keeps a quiet but live
// connection from the idle timeout with keepalives (a viewer of a still
// canvas sends nothing and is sent nothing), and rearms the open timeout
// when the connection's last session ends.
func (s *Server) trackSession(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		st, _ := sess.Context().Value(connStateKey{}).(*connState)
		if st != nil {
			st.sessions.Add(1)
			defer func() {
				if st.sessions.Add(-1) == 0 {
					st.arm(st.timeout)
				}
			}()
		}
		ctx, cancel := context.WithCancel(sess.Context())
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		if c, ok := sess.Context().Value(ssh.ContextKeyConn).(gossh.Conn); ok && s.opts.IdleTimeout > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := time.NewTicker(s.opts.IdleTimeout / 3)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						// The answer is a read, which pushes the idle deadline;
						// a client that never answers is cut by it. The reply
						// is waited for here, so pings never pile up.
						if _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err != nil {
							return
						}
					}
				}
			}()
		}
		next(sess)
	}
}

// boundSize gives the rest of the chain a session whose terminal size is
// at most ui.MaxWidth×ui.MaxHeight, in the pty request and in every window
// change: Bubble Tea sizes its buffers from them.
func (s *Server) boundSize(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		_, in, ok := sess.Pty()
		if !ok {
			next(sess)
			return
		}
		out := make(chan ssh.Window, 1)
		ctx, cancel := context.WithCancel(sess.Context())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case w := <-in:
					w = clampWindow(w)
					// Only the latest size matters: a burst of changes
					// keeps one, and never blocks the client's requests.
					select {
					case out <- w:
					default:
						select {
						case <-out:
						default:
						}
						out <- w
					}
				}
			}
		}()
		defer wg.Wait()
		defer cancel()
		next(&sizedSession{Session: sess, winch: out})
	}
}

func clampWindow(w ssh.Window) ssh.Window {
	w.Width, w.Height = ui.ClampSize(w.Width, w.Height)
	return w
}

// sizedSession is a session whose pty reports bounded sizes.
type sizedSession struct {
	ssh.Session
	winch chan ssh.Window
}

func (s *sizedSession) Pty() (ssh.Pty, <-chan ssh.Window, bool) {
	p, _, ok := s.Session.Pty()
	p.Window = clampWindow(p.Window)
	return p, s.winch, ok
}
