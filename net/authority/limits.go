package authority

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// This file holds the per-address bounds of the HTTP front: how many TCP
// connections one address may hold open (idle keep-alives included), how
// long an idle or header-less connection may sit, and the attribution of a
// request to a client address, which trusted in-process callers (the SSH
// door) can set themselves.

// clientKey is the context key of a request's attributed client address.
type clientKey struct{}

// exemptAddr is the attributed address that no per-address limit applies to.
const exemptAddr = "\x00exempt"

// WithClientIP attributes the requests served under ctx to ip, for every
// per-address limit (new-connection rate, long-lived requests). It is for
// trusted callers that reach the authority without a TCP connection of the
// client's own, such as the SSH door: it dials the authority in process (or
// over loopback) on behalf of users whose real addresses it knows. Install
// it with http.Server.ConnContext or on an outgoing request's context when
// the authority is served in the same process. A value set this way never
// comes from the network.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientKey{}, ip)
}

// WithoutAddressLimits exempts the requests served under ctx from every
// per-address limit. Per-connection limits (frames, commits, bytes) still
// apply. For trusted in-process callers that rate-limit their own users.
func WithoutAddressLimits(ctx context.Context) context.Context {
	return context.WithValue(ctx, clientKey{}, exemptAddr)
}

// inProcessKey marks a request that came through InProcessClient.
type inProcessKey struct{}

// inProcess reports a request that came through InProcessClient.
func inProcess(r *http.Request) bool {
	v, _ := r.Context().Value(inProcessKey{}).(bool)
	return v
}

// attributedIP is the address a trusted caller put on the request, if any.
func attributedIP(r *http.Request) (string, bool) {
	ip, ok := r.Context().Value(clientKey{}).(string)
	return ip, ok && ip != ""
}

// ConfigureHTTP sets the timeouts of the http.Server that serves s: a
// client must send its request headers within Budget.HTTPHeader and an
// idle keep-alive connection is closed after Budget.HTTPIdle, so parked
// connections cannot pile up. WebSockets are hijacked and not affected.
func (s *Server) ConfigureHTTP(hs *http.Server) {
	b := s.opts.Budget
	hs.ReadHeaderTimeout = b.HTTPHeader
	hs.IdleTimeout = b.HTTPIdle
	if hs.MaxHeaderBytes == 0 {
		hs.MaxHeaderBytes = 64 << 10
	}
}

// Listener wraps ln so that one remote address holds at most
// Budget.ConnsPerIP open TCP connections (Budget.ConnsPerIP < 0: no cap).
// A connection over the cap is answered 429 and closed at once, before any
// goroutine is spent on it. Connections that do not come through ln (an
// in-process listener of a trusted caller) are not counted.
func (s *Server) Listener(ln net.Listener) net.Listener {
	if s.opts.Budget.ConnsPerIP < 0 {
		return ln
	}
	return &capListener{Listener: ln, max: s.opts.Budget.ConnsPerIP, open: map[string]int{}, refused: s.metrics.disconnects.WithLabelValues("conn_cap").Inc}
}

type capListener struct {
	net.Listener
	max     int
	refused func()
	mu      sync.Mutex
	open    map[string]int
}

const capRefusal = "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\nContent-Length: 62\r\n\r\ntoo many open connections from your address; close some first"

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := hostOf(c.RemoteAddr())
		l.mu.Lock()
		n := l.open[ip]
		if n >= l.max {
			l.mu.Unlock()
			l.refused()
			// The answer fits in the socket buffer; the deadline only
			// guards the accept loop against a pathological peer.
			c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
			c.Write([]byte(capRefusal))
			c.Close()
			continue
		}
		l.open[ip] = n + 1
		l.mu.Unlock()
		return &cappedConn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *capListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

// cappedConn gives its slot back once, on the first Close.
type cappedConn struct {
	net.Conn
	l    *capListener
	ip   string
	once sync.Once
}

func (c *cappedConn) Close() error {
	c.once.Do(func() { c.l.release(c.ip) })
	return c.Conn.Close()
}

func hostOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// InProcessClient returns an HTTP client that reaches s without the
// network, for a trusted caller in the same process that connects on
// behalf of its own users (the SSH door: session.Options.HTTPClient).
// Every request it makes is attributed to ip for the per-address budgets
// (stored bytes per second, long-lived requests), or exempt from them when
// ip is "". The per-address rate of new connections does not apply: the
// caller limits its own users' sessions per address (the SSH door's rate
// limiter and session cap), and hundreds of viewers behind one NAT or one
// loopback address are its business, not an attack on this server. Per-connection limits apply as to anyone. The URL's host is
// ignored; its path names the room as usual.
func (s *Server) InProcessClient(ip string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true, // WebSockets hijack their connection anyway
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return s.pipes.dial(ctx, s, ip)
		},
	}}
}

// pipeListener serves s to InProcessClient over in-memory connections.
type pipeListener struct {
	once   sync.Once
	conns  chan net.Conn
	closed chan struct{}
	close  sync.Once
}

// pipeConn is the server end of an in-process connection, with the
// address its requests are attributed to.
type pipeConn struct {
	net.Conn
	ip string
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "in-process" }

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.close.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial starts the in-process HTTP server on first use (owned by s: it
// ends at Shutdown) and hands it one end of a pipe.
func (l *pipeListener) dial(ctx context.Context, s *Server, ip string) (net.Conn, error) {
	// Under the lock Shutdown takes, so the server is never started after
	// Shutdown began waiting for it.
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil, ErrShuttingDown
	}
	l.once.Do(func() {
		hs := &http.Server{Handler: s, ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			ctx = context.WithValue(ctx, inProcessKey{}, true)
			if pc, ok := c.(*pipeConn); ok && pc.ip != "" {
				return WithClientIP(ctx, pc.ip)
			}
			return WithoutAddressLimits(ctx)
		}}
		s.ConfigureHTTP(hs)
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			go func() {
				<-s.ctx.Done()
				l.Close()
			}()
			hs.Serve(l)
		}()
	})
	s.mu.Unlock()
	client, server := net.Pipe()
	select {
	case l.conns <- &pipeConn{Conn: server, ip: ip}:
		return client, nil
	case <-l.closed:
		client.Close()
		server.Close()
		return nil, ErrShuttingDown
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}
