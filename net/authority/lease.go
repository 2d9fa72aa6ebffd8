package authority

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tcanvas/tcanvas/net/authority/store"
)

// Cluster makes a server one node of several sharing a store that
// implements store.Leaser (Postgres). It is used only with such a store;
// with any other the server is the single authority of every room.
type Cluster struct {
	// NodeID names this node in the leases; it must differ between nodes.
	// A node restarted under the same ID takes its rooms back at once
	// rather than after their leases run out. Default: random.
	NodeID string
	// Advertise is the base URL (http://host:port) at which other nodes
	// and clients reach this node. Required.
	Advertise string
	// LeaseTTL is how long a room's lease lasts without renewal: the time
	// a room stays unavailable when its node dies. Leases are renewed every
	// third of it. Default 10s.
	LeaseTTL time.Duration
	// Redirect answers a connection for a room owned by another node with
	// an HTTP 307 to the owner's advertised URL, instead of proxying the
	// WebSocket to it.
	Redirect bool
	// Secret is shared by the nodes. A request proxied from another node
	// carries it, so the owner rate-limits the client's own address rather
	// than the proxy's and never proxies it further. Default: none (every
	// request counts as coming from its TCP peer).
	Secret []byte
}

// Headers a node adds to a request it proxies.
const (
	hdrProxyNode   = "X-Tcanvas-Proxy-Node"
	hdrProxyAuth   = "X-Tcanvas-Proxy-Auth"
	hdrProxyClient = "X-Tcanvas-Proxy-Client"
)

// cluster is a node's side of the leases: it takes a room's lease when the
// room loads here, renews all of them in one statement every TTL/3, and
// tells each room when its lease is lost or about to run out, so the room
// stops acknowledging before another node can take it.
type cluster struct {
	srv    *Server
	leaser store.Leaser
	opts   Cluster
	secret string // hex of opts.Secret, as sent in hdrProxyAuth
	base   time.Time
	margin time.Duration // a lease is given up locally this long before it runs out

	proxyTransport *http.Transport
	probe          *http.Client

	mu     sync.Mutex
	held   map[string]*roomLease // by room name
	alive  map[string]time.Time  // owner URL: answered /healthz, valid until
	lastOK atomic.Int64          // monotonic ns of the last renewal round trip that succeeded

	stop chan struct{}
	done chan struct{}

	acquired prometheus.Counter
	lost     prometheus.Counter
	routed   *prometheus.CounterVec
	renewSec prometheus.Histogram
}

// roomLease is one room's lease as its node holds it.
type roomLease struct {
	fence    uint64
	until    atomic.Int64 // monotonic ns after which the lease may no longer be relied on
	lostOnce sync.Once
	lost     chan struct{} // closed when the lease is known lost
}

func (l *roomLease) markLost() {
	l.until.Store(0)
	l.lostOnce.Do(func() { close(l.lost) })
}

func (l *roomLease) isLost() bool {
	select {
	case <-l.lost:
		return true
	default:
		return false
	}
}

func newCluster(s *Server, l store.Leaser, opts Cluster, reg prometheus.Registerer) (*cluster, error) {
	if opts.Advertise == "" {
		return nil, errors.New("authority: Cluster.Advertise is required with a shared store")
	}
	if _, err := url.Parse(opts.Advertise); err != nil {
		return nil, fmt.Errorf("authority: Cluster.Advertise: %w", err)
	}
	if opts.NodeID == "" {
		opts.NodeID = randomID(6)
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 10 * time.Second
	}
	c := &cluster{
		srv: s, leaser: l, opts: opts, secret: hex.EncodeToString(opts.Secret),
		base: time.Now(), margin: opts.LeaseTTL / 10,
		held: map[string]*roomLease{}, alive: map[string]time.Time{},
		stop: make(chan struct{}), done: make(chan struct{}),
		proxyTransport: &http.Transport{
			Proxy:                 nil,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 5 * time.Second,
		},
		acquired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tcanvas_leases_acquired_total", Help: "Room leases this node took."}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tcanvas_leases_lost_total", Help: "Room leases this node lost before releasing them (taken over, expired or fenced)."}),
		routed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tcanvas_routed_connections_total", Help: "Connections for rooms another node owns, by what was done: proxy, redirect, wait (for a dead owner's lease) or refuse."}, []string{"how"}),
		renewSec: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tcanvas_lease_renew_seconds", Help: "Time to renew all of the node's leases.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
	}
	c.probe = &http.Client{Transport: c.proxyTransport, Timeout: min(time.Second, opts.LeaseTTL/3)}
	c.lastOK.Store(c.now())
	reg.MustRegister(c.acquired, c.lost, c.routed, c.renewSec)
	return c, nil
}

// now is monotonic nanoseconds since the cluster started: wall-clock jumps
// must not stretch a lease.
func (c *cluster) now() int64 { return int64(time.Since(c.base)) }

// remaining is how long the room may still rely on its lease.
func (c *cluster) remaining(l *roomLease) time.Duration {
	return time.Duration(l.until.Load() - c.now())
}

// acquire takes the room's lease for r, before r loads.
func (c *cluster) acquire(ctx context.Context, r *room) error {
	start := c.now()
	l, err := c.leaser.Acquire(ctx, r.name, c.opts.NodeID, c.opts.Advertise, c.opts.LeaseTTL)
	if err != nil {
		return err
	}
	rl := &roomLease{fence: l.Fence, lost: make(chan struct{})}
	rl.until.Store(start + int64(min(c.opts.LeaseTTL, l.Left)-c.margin))
	c.mu.Lock()
	c.held[r.name] = rl
	c.mu.Unlock()
	r.lease = rl
	c.acquired.Inc()
	r.log().Debug("lease acquired", "fence", l.Fence)
	return nil
}

// release gives up a room's lease once the room has ended and flushed, so
// another node may take it at once.
func (c *cluster) release(r *room) {
	l := r.lease
	c.mu.Lock()
	if c.held[r.name] == l {
		delete(c.held, r.name)
	}
	c.mu.Unlock()
	if l.isLost() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.LeaseTTL/3)
	defer cancel()
	if err := c.leaser.Release(ctx, r.name, c.opts.NodeID, l.fence); err != nil {
		r.log().Warn("lease release failed; it will expire", "err", err)
	}
}

// forgetLost drops a lease the room found lost.
func (c *cluster) forgetLost(r *room) {
	l := r.lease
	if !l.isLost() {
		c.lost.Inc()
	}
	l.markLost()
	c.mu.Lock()
	if c.held[r.name] == l {
		delete(c.held, r.name)
	}
	c.mu.Unlock()
}

// run renews every lease the node holds, every third of the TTL, until
// close. A renewal that fails leaves the leases to run out: each room's
// timer then stops it before the store could let another node in.
func (c *cluster) run() {
	defer close(c.done)
	t := time.NewTicker(c.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.renew()
	}
}

func (c *cluster) renew() {
	c.mu.Lock()
	snap := make(map[string]*roomLease, len(c.held))
	fences := make(map[string]uint64, len(c.held))
	for name, l := range c.held {
		snap[name], fences[name] = l, l.fence
	}
	c.mu.Unlock()
	start := c.now()
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.LeaseTTL/3)
	kept, err := c.leaser.Renew(ctx, c.opts.NodeID, c.opts.LeaseTTL, fences)
	cancel()
	if err != nil {
		level := slog.LevelDebug
		if len(fences) > 0 {
			level = slog.LevelWarn
		}
		c.srv.opts.Logger.Log(ctx, level, "lease renewal failed", "rooms", len(fences), "err", err)
		return
	}
	c.lastOK.Store(start)
	c.renewSec.Observe(time.Duration(c.now() - start).Seconds())
	until := start + int64(c.opts.LeaseTTL-c.margin)
	for name, l := range snap {
		if kept[name] {
			l.until.Store(until)
			continue
		}
		// Taken over (or the row changed): the room stops now.
		c.srv.opts.Logger.Warn("lease lost", "room", name, "fence", l.fence)
		l.markLost()
	}
}

// healthy is false when the store has not answered a renewal for as long
// as a lease is relied on: this node could hold no room now, and a load
// balancer (or another node about to proxy to it) should know.
func (c *cluster) healthy() bool {
	return time.Duration(c.now()-c.lastOK.Load()) < c.opts.LeaseTTL-c.margin
}

func (c *cluster) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
	c.proxyTransport.CloseIdleConnections()
}

// proxyFor returns a reverse proxy to the owner at target.
func (c *cluster) proxyFor(target *url.URL, client string) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// The Host the client asked for, so that the owner's Origin
			// check compares the client's Origin with the address it used.
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			pr.Out.Header.Del(hdrProxyAuth)
			if c.secret != "" {
				pr.Out.Header.Set(hdrProxyNode, c.opts.NodeID)
				pr.Out.Header.Set(hdrProxyAuth, c.secret)
				pr.Out.Header.Set(hdrProxyClient, client)
			}
		},
		Transport: c.proxyTransport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			c.srv.opts.Logger.Debug("proxy to room owner failed", "owner", target.String(), "err", err)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "the room's authority node did not answer; retry", http.StatusBadGateway)
		},
	}
}
