package authority

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"github.com/tcanvas/tcanvas/net/authority/store"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/web"
)

// ErrShuttingDown means the server no longer accepts connections.
var ErrShuttingDown = errors.New("authority shutting down")

// Server is the authority: an http.Handler serving room WebSockets, /healthz
// and /metrics, with one goroutine per live room.
type Server struct {
	opts    Options
	metrics *metrics
	mux     *http.ServeMux

	ctx    context.Context // ends the rooms at Shutdown
	cancel context.CancelFunc
	rooms  sync.WaitGroup // room goroutines
	bg     sync.WaitGroup // the server's own loops (liveness)
	conns  sync.WaitGroup // connection handlers

	mu       sync.Mutex
	live     map[string]*room
	closing  map[string]chan struct{} // rooms still flushing on their way to hibernation
	shutdown bool

	ipMu   sync.Mutex
	ips    map[string]*rate.Limiter
	stores map[string]*debtBucket // stored bytes per address (budget.go)

	cl *cluster // nil for a single node (a store without leases)

	streams *semaphore.Weighted // Budget.StreamBytes (stream.go)
	pipes   *pipeListener       // InProcessClient's connections (limits.go)
}

// New returns a server. Call Shutdown to stop it.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("authority: Options.Store is required")
	}
	opts = opts.withDefaults()
	if err := checkCreate(opts); err != nil {
		return nil, err
	}
	var gatherer prometheus.Gatherer = opts.Gatherer
	if opts.Registerer == nil {
		reg := prometheus.NewRegistry()
		opts.Registerer, gatherer = reg, reg
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts:    opts,
		metrics: newMetrics(opts.Registerer),
		mux:     http.NewServeMux(),
		ctx:     ctx,
		cancel:  cancel,
		live:    map[string]*room{},
		closing: map[string]chan struct{}{},
		ips:     map[string]*rate.Limiter{},
		streams: semaphore.NewWeighted(int64(opts.Budget.StreamBytes)),
		pipes:   &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})},
	}
	if l, ok := opts.Store.(store.Leaser); ok {
		cl, err := newCluster(s, l, opts.Cluster, opts.Registerer)
		if err != nil {
			cancel()
			return nil, err
		}
		s.cl = cl
		go cl.run()
	}
	s.bg.Add(1)
	go s.livenessLoop()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.isShutdown() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		if s.cl != nil && !s.cl.healthy() {
			http.Error(w, "store unreachable: this node cannot renew its leases", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	if gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	}
	s.mux.HandleFunc("GET /r/{room}", s.serveRoom)
	s.mux.HandleFunc("GET /r/{room}/history", s.serveHistory)
	s.mux.Handle("GET "+web.AssetPrefix, web.Assets())
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "tcanvas authority. Rooms live at /r/ROOM: open one with `tcanvas join http://"+r.Host+"/r/ROOM`.")
	})
	return s, nil
}

// ServeHTTP implements http.Handler. Every request, plain HTTP included,
// counts against its address's rate: a client cannot hold the server busy
// with cheap requests any more than with WebSockets.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.allowConn(r) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many new connections or requests from your address; retry in a second", http.StatusTooManyRequests)
		return
	}
	// The mux would clean /r/. and /r/.. and answer 307 to another path; a
	// room name that is not valid is a 400, as for any other bad name.
	if rest, ok := strings.CutPrefix(r.URL.Path, "/r/"); ok {
		if room, _, _ := strings.Cut(rest, "/"); room == "." || room == ".." {
			http.Error(w, wire.CheckRoom(room).Error(), http.StatusBadRequest)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// Shutdown stops accepting connections, makes every room durable and
// snapshotted, closes every client with "going away" and waits for all of
// the server's goroutines, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.rooms.Wait()
		s.conns.Wait()
		s.bg.Wait()
		if s.cl != nil {
			s.cl.close() // after the rooms: their last flushes need their leases
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("authority shutdown: %w", ctx.Err())
	}
}

func (s *Server) isShutdown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

// acquire returns the live room, loading or creating it, and counts the
// caller as a user of it until release.
func (s *Server) acquire(name string) (*room, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return nil, ErrShuttingDown
	}
	r := s.live[name]
	if r == nil {
		r = newRoom(s, name)
		s.live[name] = r
		s.rooms.Add(1)
		go r.run(s.closing[name])
	}
	r.refs++
	return r, nil
}

func (s *Server) release(r *room) {
	s.mu.Lock()
	r.refs--
	s.mu.Unlock()
}

// tryHibernate removes an idle room from the live set if nobody is about to
// join it. While it flushes, a new joiner's fresh room waits on done.
func (s *Server) tryHibernate(r *room) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.refs > 0 || s.live[r.name] != r {
		return false
	}
	delete(s.live, r.name)
	s.closing[r.name] = r.done
	return true
}

// attach records that c uses r, so that when r ends for any reason every
// connection still on it is closed, even one whose join never ran.
func (s *Server) attach(r *room, c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.attached == nil {
		r.attached = map[*conn]struct{}{}
	}
	r.attached[c] = struct{}{}
}

func (s *Server) detach(r *room, c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(r.attached, c)
}

// kickAttached closes every connection still on a room that ended.
func (s *Server) kickAttached(r *room) {
	s.mu.Lock()
	cs := make([]*conn, 0, len(r.attached))
	for c := range r.attached {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, c := range cs {
		c.kick(websocket.StatusGoingAway, wire.CodeShutdown, "room closed; reconnect")
	}
}

// forget drops a room that ended, whether it hibernated or failed.
func (s *Server) forget(r *room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live[r.name] == r {
		delete(s.live, r.name)
	}
	if s.closing[r.name] == r.done {
		delete(s.closing, r.name)
	}
}

// LiveRooms returns the number of rooms in memory.
func (s *Server) LiveRooms() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// allowConn applies the per-IP rate of new connections.
func (s *Server) allowConn(r *http.Request) bool {
	if inProcess(r) {
		// A trusted front door (InProcessClient) rate-limits its own users'
		// sessions per address; its requests still count for every other
		// per-address budget under the address it attributes.
		return true
	}
	ip := s.clientIP(r)
	if ip == exemptAddr {
		return true
	}
	s.ipMu.Lock()
	defer s.ipMu.Unlock()
	l := s.ips[ip]
	if l == nil {
		if len(s.ips) > 10_000 {
			// Forgetting every address is crude but bounded; a flood from many
			// addresses is a job for the network in front of us.
			clear(s.ips)
		}
		l = rate.NewLimiter(s.opts.ConnRate, s.opts.ConnBurst)
		s.ips[ip] = l
	}
	return l.Allow()
}

// admit counts a long-lived request (a WebSocket or a history stream) as
// a connection that Shutdown waits for; ServeHTTP already applied the
// per-IP rate. It answers the request itself when it refuses; otherwise the
// caller must call done when the request ends.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (done func(), ok bool) {
	// Counting under the lock that Shutdown takes means no request starts
	// after Shutdown began waiting.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		http.Error(w, "authority shutting down; retry", http.StatusServiceUnavailable)
		return nil, false
	}
	s.conns.Add(1)
	return s.conns.Done, true
}

func (s *Server) serveRoom(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("room")
	if err := wire.CheckRoom(name); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if web.WantsPage(r) {
		web.ServePage(w, r) // a browser: the room's live page
		return
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		fmt.Fprintf(w, "tcanvas room %q. Join it with:\n\n  tcanvas join http://%s/r/%s\n", name, r.Host, name)
		return
	}
	done, ok := s.admit(w, r)
	if !ok {
		return
	}
	defer done()
	if s.cl != nil && s.cl.route(w, r, name) {
		return // another node owns the room
	}
	s.handleConn(w, r, name)
}
