package authority

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// A front door in the same process (the SSH server) reaches the authority
// through DialInProcess rather than over loopback TCP. Its connections are
// its own users' (one per SSH session), so they are not counted against the
// per-IP connection rate as if the door were one abusive client: the door
// applies its own per-address limits first. Every other limit (frames,
// commits, room size, send queues) applies to them as to anyone.
//
// The connections are served by an http.Server of their own over an
// in-memory listener; it starts with the first dial and ends with the
// server (Shutdown).

// inProcess is the listener and server behind DialInProcess.
type inProcess struct {
	once  sync.Once
	conns chan net.Conn
}

// doorConn is the server's end of an in-process connection. RemoteAddr is
// the address of the door's own client, so that logs and per-address
// accounting see who is really there.
type doorConn struct {
	net.Conn
	remote net.Addr
}

func (c doorConn) RemoteAddr() net.Addr { return c.remote }

type inProcessKey struct{}

// fromDoor reports a request that came through DialInProcess.
func fromDoor(r *http.Request) bool {
	v, _ := r.Context().Value(inProcessKey{}).(bool)
	return v
}

// DialInProcess returns a connection to this server for a front door in
// this process, on behalf of its client at remote; dial the room's
// WebSocket over it (as an http.Transport's DialContext). It fails once the
// server is shutting down.
func (s *Server) DialInProcess(ctx context.Context, remote net.Addr) (net.Conn, error) {
	s.inproc.once.Do(func() {
		s.inproc.conns = make(chan net.Conn)
		ln := &chanListener{conns: s.inproc.conns, done: s.ctx.Done()}
		hs := &http.Server{
			Handler:           s,
			ReadHeaderTimeout: 10 * time.Second,
			ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
				return context.WithValue(ctx, inProcessKey{}, true)
			},
		}
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			hs.Serve(ln) // returns when the server's context ends
			hs.Close()   // connections not yet hijacked
		}()
	})
	client, server := net.Pipe()
	select {
	case s.inproc.conns <- doorConn{Conn: server, remote: remote}:
		return client, nil
	case <-ctx.Done():
	case <-s.ctx.Done():
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, ErrShuttingDown
}

// chanListener accepts the connections sent on conns until done.
type chanListener struct {
	conns <-chan net.Conn
	done  <-chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error   { return nil } // ends with done
func (l *chanListener) Addr() net.Addr { return inProcessAddr{} }

type inProcessAddr struct{}

func (inProcessAddr) Network() string { return "memory" }
func (inProcessAddr) String() string  { return "in-process" }
