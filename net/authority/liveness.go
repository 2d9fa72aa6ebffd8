package authority

import (
	"context"
	"time"
)

// The authority notices a dead client link by itself, so a half-open TCP
// connection (the client vanished without a FIN) cannot hold a roster
// entry, a peer slot and memory forever. Every frame, ping or pong from a
// client counts as a sign of life; a connection silent for PingIdle gets a
// ping (sent by its on-demand writer), and one that does not answer within
// PingTimeout is closed. With the defaults a dead link is gone within
// 5 + 2.5 + 7 = 14.5 s.

// livenessLoop pings quiet connections until the server shuts down.
func (s *Server) livenessLoop() {
	defer s.bg.Done()
	t := time.NewTicker(pingCheckEvery(s.opts.PingIdle))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			for _, c := range s.allConns() {
				if now.Sub(time.Unix(0, c.seen.Load())) >= s.opts.PingIdle && c.pinging.CompareAndSwap(false, true) {
					if !c.send.push(outMsg{ping: true}, false) {
						c.pinging.Store(false) // queue full: the slow-client kick deals with it
					}
				}
			}
		}
	}
}

// pingCheckEvery is how often quiet connections are looked for: a
// connection silent for idle is pinged between idle and idle plus this.
func pingCheckEvery(idle time.Duration) time.Duration { return idle / 2 }

// allConns lists every connection attached to a live room.
func (s *Server) allConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*conn
	for _, r := range s.live {
		for c := range r.attached {
			out = append(out, c)
		}
	}
	return out
}

// ping runs in the connection's writer: it waits for the pong.
func (c *conn) ping() error {
	defer c.pinging.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.opts.PingTimeout)
	defer cancel()
	if err := c.ws.Ping(ctx); err != nil {
		c.srv.metrics.disconnects.WithLabelValues("ping").Inc()
		return err
	}
	return nil
}
