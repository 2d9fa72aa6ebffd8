package authority

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// route sends a connection for a room that another node owns to that node,
// by proxying the WebSocket (default) or redirecting the client (HTTP 307
// to the owner's advertised URL). It returns false when the room is to be
// served here: it is live here, or its lease is free, expired or ours (the
// room's load then takes the lease). When the owner does not answer, route
// waits for its lease to run out, within the TTL plus a margin, and then
// serves the room here.
func (c *cluster) route(w http.ResponseWriter, r *http.Request, name string) bool {
	s := c.srv
	s.mu.Lock()
	_, live := s.live[name]
	s.mu.Unlock()
	if live {
		return false
	}
	fromNode := c.fromNode(r)
	ctx, cancel := context.WithTimeout(r.Context(), c.opts.LeaseTTL+2*time.Second)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	for {
		// A node cut off from the store must not hold the client for long:
		// it answers 503 quickly and the client retries, maybe elsewhere.
		lctx, lcancel := context.WithTimeout(ctx, min(time.Second, c.opts.LeaseTTL/3))
		l, err := c.leaser.Owner(lctx, name)
		lcancel()
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false
		case err != nil:
			c.routed.WithLabelValues("refuse").Inc()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "cannot reach the store to find the room's authority; retry", http.StatusServiceUnavailable)
			return true
		case l.Left <= 0 || l.Node == c.opts.NodeID:
			return false
		case fromNode:
			// The proxying node thought we own the room; we do not. The
			// client retries, and the next lookup will be fresher.
			c.routed.WithLabelValues("refuse").Inc()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "room moved to another node; retry", http.StatusServiceUnavailable)
			return true
		}
		target, err := url.Parse(l.Addr)
		if err == nil && c.answers(ctx, l.Addr) {
			if c.opts.Redirect {
				c.routed.WithLabelValues("redirect").Inc()
				u := *target
				u.Path = target.Path + "/r/" + name
				u.RawQuery = r.URL.RawQuery
				http.Redirect(w, r, u.String(), http.StatusTemporaryRedirect)
				return true
			}
			c.routed.WithLabelValues("proxy").Inc()
			// The proxied connection lives until either end closes it, or
			// this server shuts down.
			pctx, pcancel := context.WithCancel(r.Context())
			defer pcancel()
			pstop := context.AfterFunc(s.ctx, pcancel)
			defer pstop()
			c.proxyFor(target, s.clientIP(r)).ServeHTTP(w, r.WithContext(pctx))
			return true
		}
		// The owner is dead, paused or cut off: its lease will run out,
		// and then the room is ours to take.
		c.routed.WithLabelValues("wait").Inc()
		t := time.NewTimer(l.Left + 50*time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "the room's authority node does not answer and its lease has not run out; retry", http.StatusServiceUnavailable)
			return true
		}
	}
}

// answers tells whether the node at base serves /healthz now; answers are
// remembered for a second.
func (c *cluster) answers(ctx context.Context, base string) bool {
	c.mu.Lock()
	ok := time.Now().Before(c.alive[base])
	c.mu.Unlock()
	if ok {
		return true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := c.probe.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c.mu.Lock()
	if len(c.alive) > 1024 {
		clear(c.alive)
	}
	c.alive[base] = time.Now().Add(time.Second)
	c.mu.Unlock()
	return true
}

// fromNode tells whether another node proxied r to us.
func (c *cluster) fromNode(r *http.Request) bool {
	got := r.Header.Get(hdrProxyAuth)
	return c.secret != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.secret)) == 1
}

// clientIP is the address per-IP limits apply to: the TCP peer's, or for
// a request another node proxied to us, the client's as that node saw it;
// or what a trusted in-process caller attributed the request to.
func (s *Server) clientIP(r *http.Request) string {
	if ip, ok := attributedIP(r); ok {
		return ip // set in process by a trusted caller (limits.go)
	}
	if s.cl != nil && s.cl.fromNode(r) {
		if ip := r.Header.Get(hdrProxyClient); ip != "" {
			return ip
		}
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return ip
}
